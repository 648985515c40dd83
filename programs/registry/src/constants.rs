//! Protocol bounds. These are limits on what the configuration may hold, not the
//! configuration itself (fees, epoch length, ... live in `NetworkConfig`).

/// 100 % in basis points: no fee can exceed it.
pub const MAX_BPS: u16 = 10_000;

/// Largest verifier set the config account is sized for.
pub const MAX_VERIFIERS: usize = 16;

/// An epoch longer than 30 days would make uptime accounting and rewards meaningless.
pub const MAX_EPOCH_SECONDS: u32 = 30 * 24 * 3600;
