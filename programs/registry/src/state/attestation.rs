//! What verifiers sign to co-sign an uptime attestation.
//!
//! A verifier signs `attestation_message(device, epoch, uptime_minutes, pow_digest)` with
//! ed25519; the agent puts the signatures in ed25519-program instructions of the same
//! transaction, and `attest_uptime` counts them with `common::ed25519::count_signers`.

use anchor_lang::prelude::*;

pub use common::ed25519::ED25519_PROGRAM_ID;

pub const ATTESTATION_DOMAIN: &[u8; 16] = b"gpunet:attest:v1";
pub const ATTESTATION_MESSAGE_LEN: usize = 16 + 32 + 8 + 2 + 32;

/// The bytes every verifier signs for one attestation.
pub fn attestation_message(
    device: &Pubkey,
    epoch: u64,
    uptime_minutes: u16,
    pow_digest: &[u8; 32],
) -> [u8; ATTESTATION_MESSAGE_LEN] {
    let mut m = [0u8; ATTESTATION_MESSAGE_LEN];
    m[..16].copy_from_slice(ATTESTATION_DOMAIN);
    m[16..48].copy_from_slice(device.as_ref());
    m[48..56].copy_from_slice(&epoch.to_le_bytes());
    m[56..58].copy_from_slice(&uptime_minutes.to_le_bytes());
    m[58..].copy_from_slice(pow_digest);
    m
}
