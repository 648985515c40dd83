use anchor_lang::prelude::*;

use crate::state::{DeviceSpecs, DeviceStatus, FeeSchedule};

#[event]
pub struct NetworkInitialized {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub payment_mint: Pubkey,
    pub stake_mint: Pubkey,
    pub treasury: Pubkey,
    pub fees: FeeSchedule,
    pub epoch_seconds: u32,
    pub genesis_timestamp: i64,
    pub verifier_quorum: u8,
    pub verifiers: Vec<Pubkey>,
}

/// Emitted with the complete configuration after every `update_config`, so a reader
/// never has to merge partial changes.
#[event]
pub struct ConfigUpdated {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub pending_admin: Option<Pubkey>,
    pub treasury: Pubkey,
    pub fees: FeeSchedule,
    pub epoch_seconds: u32,
    pub epoch_anchor: u64,
    pub epoch_anchor_timestamp: i64,
    pub verifier_quorum: u8,
    pub verifiers: Vec<Pubkey>,
    pub paused: bool,
}

#[event]
pub struct AdminTransferred {
    pub config: Pubkey,
    pub previous_admin: Pubkey,
    pub admin: Pubkey,
}

#[event]
pub struct DeviceRegistered {
    pub device: Pubkey,
    pub owner: Pubkey,
    pub device_id: u64,
    pub agent: Pubkey,
    pub specs: DeviceSpecs,
    pub connectivity_tier: u8,
    pub price_per_gpu_hour: u64,
    pub registered_at: i64,
}

/// The device's specs, tier, price and agent after an `update_device` (complete, not a diff).
#[event]
pub struct DeviceUpdated {
    pub device: Pubkey,
    pub agent: Pubkey,
    pub specs: DeviceSpecs,
    pub connectivity_tier: u8,
    pub price_per_gpu_hour: u64,
}

#[event]
pub struct DeviceStatusChanged {
    pub device: Pubkey,
    pub status: DeviceStatus,
}

#[event]
pub struct UptimeAttested {
    pub device: Pubkey,
    pub epoch: u64,
    pub uptime_minutes: u16,
    pub pow_digest: [u8; 32],
    pub reliability_bps: u16,
    pub epochs_attested: u64,
    /// Verifier signatures counted (0 when the quorum is 0).
    pub verifier_signatures: u8,
}
