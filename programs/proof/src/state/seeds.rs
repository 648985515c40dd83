//! Every PDA seed prefix of proof-of-compute, in one place.

/// `["model", owner, model_id (u64 LE)]`.
pub const MODEL: &[u8] = b"model";
/// `["session", consumer, session_id (u64 LE)]`.
pub const SESSION: &[u8] = b"session";
/// `["session_vault", session]`: the session's token account, owned by the session PDA.
pub const SESSION_VAULT: &[u8] = b"session_vault";
/// `["payee", session, device]`: what a device has been paid from a session.
pub const PAYEE: &[u8] = b"payee";
/// `["receipts", device]`: the device's `ReceiptLog`.
pub const RECEIPTS: &[u8] = b"receipts";
