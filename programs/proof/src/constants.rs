//! Protocol bounds of proof-of-compute (prices and fees live in `Model` and the registry's
//! `NetworkConfig`).

/// 100 % in basis points.
pub const BPS: u64 = 10_000;

/// Longest model metadata URI, in bytes.
pub const MAX_URI_LEN: usize = 128;

/// Most records one `submit_*_receipts` accepts (a 1,232-byte transaction holds fewer).
pub const MAX_BATCH: usize = 32;
