//! Protocol bounds of the escrow (the money rules themselves live in the registry's
//! `NetworkConfig`).

/// Longest lease name, in bytes.
pub const MAX_NAME_LEN: usize = 32;

/// Longest job spec, in bytes: `cmd:<shell command>` or `image:<container image>`; empty
/// means the worker agent's built-in benchmark workload.
pub const MAX_JOB_LEN: usize = 128;

/// Most epochs one `settle_hire` settles; also the width of the missed-epoch mask in
/// `HireSettled`.
pub const MAX_SETTLE_EPOCHS: u64 = 64;

/// 100 % in basis points.
pub const BPS: u64 = 10_000;

pub const SECONDS_PER_HOUR: u64 = 3_600;

/// The escrow's slashing authority PDA and its bump, derived at compile time.
pub const SLASHER: ([u8; 32], u8) = anchor_lang::derive_program_address(
    &[crate::state::seeds::SLASHER],
    &crate::program_id::ID.to_bytes(),
);
