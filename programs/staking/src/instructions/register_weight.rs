use anchor_lang::prelude::*;
use registry::state::{Device, NetworkConfig};

use crate::constants::MAX_PENDING_REWARDS;
use crate::errors::StakingError;
use crate::events::WeightRegistered;
use crate::state::{EpochRewards, PendingReward, StakeAccount, StakingConfig, seeds};

#[event_cpi]
#[derive(Accounts)]
#[instruction(epoch: u64)]
pub struct RegisterWeight<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(has_one = agent @ StakingError::NotDeviceAgent)]
    pub device: Box<Account<'info, Device>>,

    #[account(mut, has_one = device @ StakingError::WrongAccount)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        init_if_needed,
        payer = agent,
        space = 8 + EpochRewards::INIT_SPACE,
        seeds = [seeds::EPOCH_REWARDS, &epoch.to_le_bytes()],
        bump,
    )]
    pub epoch_rewards: Box<Account<'info, EpochRewards>>,

    #[account(mut)]
    pub agent: Signer<'info>,

    pub system_program: Program<'info, System>,
}

/// Enters the device in `epoch`'s block rewards with its weight. Signed by the agent key,
/// typically in the same transaction as its attestation of that epoch; the device must
/// have attested the epoch and hold at least its minimum stake.
pub fn handler(ctx: Context<RegisterWeight>, epoch: u64) -> Result<()> {
    let current = ctx
        .accounts
        .network
        .epoch_at(Clock::get()?.unix_timestamp)?;
    let config = &mut ctx.accounts.config;
    let device = &ctx.accounts.device;
    let stake = &mut ctx.accounts.stake;
    require!(epoch <= current, StakingError::EpochNotAttested);
    require!(
        current <= config.registration_last_epoch(epoch),
        StakingError::RegistrationClosed
    );
    require!(
        device.uptime.is_attested(epoch),
        StakingError::EpochNotAttested
    );
    require!(
        stake.active >= config.min_stake(&device.specs)?,
        StakingError::BelowMinimumStake
    );
    require!(
        !stake.pending_rewards.iter().any(|p| p.epoch == epoch),
        StakingError::WeightAlreadyRegistered
    );
    require!(
        stake.pending_rewards.len() < MAX_PENDING_REWARDS,
        StakingError::TooManyPending
    );
    let weight = config.weight(&device.specs);
    stake.pending_rewards.push(PendingReward { epoch, weight });

    let rewards = &mut ctx.accounts.epoch_rewards;
    if rewards.devices == 0 {
        rewards.epoch = epoch;
        rewards.emission = config.allocate(epoch);
        rewards.version = EpochRewards::VERSION;
        rewards.bump = ctx.bumps.epoch_rewards;
    }
    rewards.total_weight = rewards
        .total_weight
        .checked_add(weight)
        .ok_or(StakingError::Overflow)?;
    rewards.devices += 1;

    let event = WeightRegistered {
        device: device.key(),
        epoch,
        weight,
        total_weight: rewards.total_weight,
        emission: rewards.emission,
    };
    emit_cpi!(event);
    Ok(())
}
