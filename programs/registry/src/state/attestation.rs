//! Verifier co-signatures of uptime attestations, checked through the instructions sysvar.
//!
//! A verifier signs `attestation_message(device, epoch, uptime_minutes, pow_digest)` with
//! ed25519; the agent puts the signatures in ed25519-program instructions of the same
//! transaction. The runtime has verified every such instruction before ours runs, so here
//! we only read which keys signed which message.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::SysvarId;

use crate::errors::RegistryError;

pub const ATTESTATION_DOMAIN: &[u8; 16] = b"gpunet:attest:v1";
pub const ATTESTATION_MESSAGE_LEN: usize = 16 + 32 + 8 + 2 + 32;

/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

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

/// Counts the distinct `verifiers` that signed `message` in ed25519-program instructions
/// of this transaction. Only signatures whose key, signature and message all lie in the
/// ed25519 instruction itself are counted (offsets into other instructions are ignored, so
/// nobody can point a signature at bytes we did not check).
pub fn count_verifier_signatures(
    instructions_sysvar: &AccountInfo,
    verifiers: &[Pubkey],
    message: &[u8],
) -> Result<usize> {
    let mut signed: u32 = 0; // bit i: verifiers[i] signed (at most 16 verifiers)
    for_each_signature(instructions_sysvar, |key, signed_message| {
        if signed_message != message {
            return;
        }
        if let Some(i) = verifiers.iter().position(|v| v.as_ref() == key) {
            signed |= 1 << i;
        }
    })?;
    Ok(signed.count_ones() as usize)
}

/// Calls `f(public key, message)` for every signature carried by the ed25519-program
/// instructions of this transaction (the runtime has verified them all before any program
/// runs). Only signatures whose key, signature and message lie inside their own ed25519
/// instruction are reported.
pub fn for_each_signature(
    instructions_sysvar: &AccountInfo,
    mut f: impl FnMut(&[u8], &[u8]),
) -> Result<()> {
    require_keys_eq!(
        *instructions_sysvar.key,
        anchor_lang::prelude::Instructions::id(),
        RegistryError::WrongInstructionsSysvar
    );
    let data = instructions_sysvar.try_borrow_data()?;
    let count = read_u16(&data, 0)? as usize;
    for index in 0..count {
        let start = read_u16(&data, 2 + 2 * index)? as usize;
        let (program_id, ix_data) = instruction_at(&data, start)?;
        if program_id != ED25519_PROGRAM_ID.as_ref() {
            continue;
        }
        for (key, signed_message) in ed25519_entries(ix_data, index as u16)? {
            f(key, signed_message);
        }
    }
    Ok(())
}

fn read_u16(data: &[u8], at: usize) -> Result<u16> {
    let bytes = data
        .get(at..at + 2)
        .ok_or(RegistryError::MalformedInstructions)?;
    Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn slice(data: &[u8], at: usize, len: usize) -> Result<&[u8]> {
    Ok(data
        .get(
            at..at
                .checked_add(len)
                .ok_or(RegistryError::MalformedInstructions)?,
        )
        .ok_or(RegistryError::MalformedInstructions)?)
}

/// Program id and data of the serialized instruction at `start` in the sysvar:
/// `u16 accounts, accounts × (u8 flags, [u8; 32] key), [u8; 32] program, u16 len, data`.
fn instruction_at(data: &[u8], start: usize) -> Result<(&[u8], &[u8])> {
    let accounts = read_u16(data, start)? as usize;
    let program_at = start + 2 + accounts * 33;
    let program_id = slice(data, program_at, 32)?;
    let len = read_u16(data, program_at + 32)? as usize;
    Ok((program_id, slice(data, program_at + 34, len)?))
}

/// (public key, message) of each signature of an ed25519-program instruction whose
/// offsets all point into that same instruction (`u16::MAX` or its own index).
fn ed25519_entries(ix: &[u8], own_index: u16) -> Result<impl Iterator<Item = (&[u8], &[u8])>> {
    let count = *ix.first().ok_or(RegistryError::MalformedInstructions)? as usize;
    let mut entries = Vec::with_capacity(count);
    for i in 0..count {
        let o = 2 + 14 * i;
        let field = |k: usize| read_u16(ix, o + 2 * k);
        let own = |index: u16| index == u16::MAX || index == own_index;
        let (sig_ix, key_at, key_ix) = (field(1)?, field(2)? as usize, field(3)?);
        let (msg_at, msg_len, msg_ix) = (field(4)? as usize, field(5)? as usize, field(6)?);
        if own(sig_ix) && own(key_ix) && own(msg_ix) {
            entries.push((slice(ix, key_at, 32)?, slice(ix, msg_at, msg_len)?));
        }
    }
    Ok(entries.into_iter())
}
