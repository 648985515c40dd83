//! Protocol bounds. These are limits on what the configuration may hold, not the
//! configuration itself (fees, epoch length, ... live in `NetworkConfig`).

/// 100 % in basis points: no fee can exceed it.
pub const MAX_BPS: u16 = 10_000;

/// Largest verifier set the config account is sized for.
pub const MAX_VERIFIERS: usize = 16;

/// An epoch longer than 30 days would make uptime accounting and rewards meaningless.
pub const MAX_EPOCH_SECONDS: u32 = 30 * 24 * 3600;

/// Largest GPU count one device may declare.
pub const MAX_GPUS_PER_DEVICE: u16 = 1_024;

/// Epochs remembered by a device's attestation ring (21 days of one-hour epochs);
/// settlement must happen within this window to see an attestation.
pub const RING_EPOCHS: u64 = 512;
pub const RING_WORDS: usize = (RING_EPOCHS / 64) as usize;
