//! Signatures carried by the ed25519-program instructions of the running transaction.
//!
//! The runtime verifies every ed25519-program instruction before any program runs, so a
//! program only has to read, through the instructions sysvar, which keys signed which
//! messages. Only signatures whose key, signature and message all lie inside their own
//! ed25519 instruction are reported: offsets into other instructions are ignored, so nobody
//! can point a signature at bytes the caller did not check.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::SysvarId;

/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Why the signatures could not be read; each program maps it to its own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The account passed as the instructions sysvar is not it.
    WrongInstructionsSysvar,
    /// The sysvar or an ed25519 instruction is shorter than its own offsets say.
    MalformedInstructions,
}

/// Calls `f(public key, message)` for every signature of the ed25519-program instructions
/// of this transaction that lies wholly inside its own instruction.
pub fn for_each_signature(
    instructions_sysvar: &AccountInfo,
    mut f: impl FnMut(&[u8], &[u8]),
) -> core::result::Result<(), SignatureError> {
    if *instructions_sysvar.key != anchor_lang::prelude::Instructions::id() {
        return Err(SignatureError::WrongInstructionsSysvar);
    }
    let data = instructions_sysvar
        .try_borrow_data()
        .map_err(|_| SignatureError::MalformedInstructions)?;
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

/// How many distinct keys of `signers` (at most 32) signed `message` in this transaction's
/// ed25519-program instructions.
pub fn count_signers(
    instructions_sysvar: &AccountInfo,
    signers: &[Pubkey],
    message: &[u8],
) -> core::result::Result<usize, SignatureError> {
    let mut signed: u32 = 0; // bit i: signers[i] signed
    for_each_signature(instructions_sysvar, |key, signed_message| {
        if signed_message != message {
            return;
        }
        if let Some(i) = signers.iter().take(32).position(|s| s.as_ref() == key) {
            signed |= 1 << i;
        }
    })?;
    Ok(signed.count_ones() as usize)
}

type Parsed<T> = core::result::Result<T, SignatureError>;

fn read_u16(data: &[u8], at: usize) -> Parsed<u16> {
    let bytes = data
        .get(at..at + 2)
        .ok_or(SignatureError::MalformedInstructions)?;
    Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn slice(data: &[u8], at: usize, len: usize) -> Parsed<&[u8]> {
    let end = at
        .checked_add(len)
        .ok_or(SignatureError::MalformedInstructions)?;
    data.get(at..end)
        .ok_or(SignatureError::MalformedInstructions)
}

/// Program id and data of the serialized instruction at `start` in the sysvar:
/// `u16 accounts, accounts × (u8 flags, [u8; 32] key), [u8; 32] program, u16 len, data`.
fn instruction_at(data: &[u8], start: usize) -> Parsed<(&[u8], &[u8])> {
    let accounts = read_u16(data, start)? as usize;
    let program_at = start + 2 + accounts * 33;
    let program_id = slice(data, program_at, 32)?;
    let len = read_u16(data, program_at + 32)? as usize;
    Ok((program_id, slice(data, program_at + 34, len)?))
}

/// (public key, message) of each signature of an ed25519-program instruction whose
/// offsets all point into that same instruction (`u16::MAX` or its own index).
fn ed25519_entries(ix: &[u8], own_index: u16) -> Parsed<impl Iterator<Item = (&[u8], &[u8])>> {
    let count = *ix.first().ok_or(SignatureError::MalformedInstructions)? as usize;
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
