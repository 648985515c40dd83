//! Protocol bounds of staking (the rates and amounts themselves live in `StakingConfig`).

/// 100 % in basis points.
pub const BPS: u64 = 10_000;

/// Hardware multiplier entries the config is sized for.
pub const MAX_MULTIPLIERS: usize = 32;

/// Registered, unclaimed epochs a stake account holds; `claim_rewards` empties it.
pub const MAX_PENDING_REWARDS: usize = 48;
