//! Every PDA seed prefix of staking, in one place.

/// `["staking"]`: the singleton `StakingConfig`, also the authority of every vault.
pub const CONFIG: &[u8] = b"staking";
/// `["emission"]`: the pre-funded token account block rewards are paid from.
pub const EMISSION_VAULT: &[u8] = b"emission";
/// `["stake", device]`: a device's `StakeAccount`.
pub const STAKE: &[u8] = b"stake";
/// `["stake_vault", device]`: the token account holding a device's stake.
pub const STAKE_VAULT: &[u8] = b"stake_vault";
/// `["epoch_rewards", epoch (u64 LE)]`: an epoch's emission and total weight.
pub const EPOCH_REWARDS: &[u8] = b"epoch_rewards";
/// `["slash", stake, slash_id (u64 LE)]`: a proposed slash.
pub const SLASH: &[u8] = b"slash";
