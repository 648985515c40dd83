//! The staking program's accounts: its configuration, stakes, epoch rewards and slashes.

use diesel::prelude::*;
use gpunet_sdk::staking::{
    EpochRewards, Slash, SlashReason, SlashStatus, StakeAccount, StakingConfig,
};

use super::key;
use crate::schema::{epoch_rewards, slashes, stakes, staking_config};
use crate::store::rows::{AccountRow, StoreError, bigint, int};

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = staking_config, treat_none_as_default_value = false)]
pub struct StakingConfigRow {
    pub address: Vec<u8>,
    pub stake_mint: Vec<u8>,
    pub base_stake_per_gpu: i64,
    pub default_multiplier_bps: i64,
    pub cooldown_seconds: i64,
    pub challenge_window_seconds: i64,
    pub missed_epoch_bps: i32,
    pub renter_share_bps: i32,
    pub emission_start_epoch: i64,
    pub emission_per_epoch: i64,
    pub emission_cap: i64,
    pub allocated: i64,
    pub grace_epochs: i64,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl StakingConfigRow {
    pub fn of(account: &AccountRow, c: StakingConfig) -> Result<Self, StoreError> {
        Ok(StakingConfigRow {
            address: account.pubkey.clone(),
            stake_mint: key(&c.stake_mint),
            base_stake_per_gpu: bigint("base_stake_per_gpu", c.base_stake_per_gpu)?,
            default_multiplier_bps: c.default_multiplier_bps.into(),
            cooldown_seconds: c.cooldown_seconds.into(),
            challenge_window_seconds: c.challenge_window_seconds.into(),
            missed_epoch_bps: c.slash.missed_epoch_bps.into(),
            renter_share_bps: c.slash.renter_share_bps.into(),
            emission_start_epoch: bigint("emission.start_epoch", c.emission.start_epoch)?,
            emission_per_epoch: bigint("emission.per_epoch", c.emission.per_epoch)?,
            // An uncapped schedule (u64::MAX) is stored as BIGINT's maximum.
            emission_cap: i64::try_from(c.emission.cap).unwrap_or(i64::MAX),
            allocated: bigint("allocated", c.allocated)?,
            grace_epochs: c.grace_epochs.into(),
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = stakes, treat_none_as_default_value = false)]
pub struct StakeRow {
    pub address: Vec<u8>,
    pub device: Vec<u8>,
    pub owner: Vec<u8>,
    pub active: i64,
    pub cooling: i64,
    pub unlock_at: i64,
    pub pending_slashes: i32,
    pub pending_slash_amount: i64,
    pub slashes_proposed: i64,
    pub slashed_total: i64,
    pub rewards_claimed: i64,
    pub pending_rewards: i32,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl StakeRow {
    pub fn of(account: &AccountRow, s: StakeAccount) -> Result<Self, StoreError> {
        Ok(StakeRow {
            address: account.pubkey.clone(),
            device: key(&s.device),
            owner: key(&s.owner),
            active: bigint("active", s.active)?,
            cooling: bigint("cooling", s.cooling)?,
            unlock_at: s.unlock_at,
            pending_slashes: int("pending_slashes", s.pending_slashes)?,
            pending_slash_amount: bigint("pending_slash_amount", s.pending_slash_amount)?,
            slashes_proposed: bigint("slashes_proposed", s.slashes_proposed)?,
            slashed_total: bigint("slashed_total", s.slashed_total)?,
            rewards_claimed: bigint("rewards_claimed", s.rewards_claimed)?,
            pending_rewards: int("pending_rewards", s.pending_rewards.len() as u32)?,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = epoch_rewards, treat_none_as_default_value = false)]
pub struct EpochRewardsRow {
    pub address: Vec<u8>,
    pub epoch: i64,
    pub emission: i64,
    pub total_weight: i64,
    pub devices: i32,
    pub claimed: i64,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl EpochRewardsRow {
    pub fn of(account: &AccountRow, e: EpochRewards) -> Result<Self, StoreError> {
        Ok(EpochRewardsRow {
            address: account.pubkey.clone(),
            epoch: bigint("epoch", e.epoch)?,
            emission: bigint("emission", e.emission)?,
            total_weight: bigint("total_weight", e.total_weight)?,
            devices: int("devices", e.devices)?,
            claimed: bigint("claimed", e.claimed)?,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = slashes, treat_none_as_default_value = false)]
pub struct SlashRow {
    pub address: Vec<u8>,
    pub stake: Vec<u8>,
    pub device: Vec<u8>,
    pub slash_id: i64,
    pub amount: i64,
    pub reason: String,
    pub missed_epochs: Option<i64>,
    pub evidence: Vec<u8>,
    pub beneficiary: Option<Vec<u8>>,
    pub proposed_at: i64,
    pub status: String,
    pub taken: i64,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl SlashRow {
    pub fn of(account: &AccountRow, s: Slash) -> Result<Self, StoreError> {
        let (reason, missed_epochs) = match s.reason {
            SlashReason::MissedEpochs { count } => {
                ("missed_epochs", Some(bigint("missed_epochs", count)?))
            }
            SlashReason::Fraud => ("fraud", None),
        };
        Ok(SlashRow {
            address: account.pubkey.clone(),
            stake: key(&s.stake),
            device: key(&s.device),
            slash_id: bigint("slash_id", s.slash_id)?,
            amount: bigint("amount", s.amount)?,
            reason: reason.into(),
            missed_epochs,
            evidence: s.evidence.to_vec(),
            beneficiary: s.beneficiary.as_ref().map(key),
            proposed_at: s.proposed_at,
            status: match s.status {
                SlashStatus::Pending => "pending",
                SlashStatus::Cancelled => "cancelled",
                SlashStatus::Finalized => "finalized",
            }
            .into(),
            taken: bigint("taken", s.taken)?,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}
