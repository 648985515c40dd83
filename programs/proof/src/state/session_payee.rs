use anchor_lang::prelude::*;

/// What one device has been paid from one session, PDA `["payee", session, device]`:
/// vouchers are cumulative per (session, device), so this is what a voucher is checked
/// against.
#[account]
#[derive(InitSpace, Debug)]
pub struct SessionPayee {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub session: Pubkey,
    pub device: Pubkey,
    pub paid: u64,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl SessionPayee {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

pub const VOUCHER_DOMAIN: &[u8; 17] = b"gpunet:voucher:v1";
pub const VOUCHER_LEN: usize = 17 + 32 + 32 + 8;

/// What the session's authoriser signs: `device` may have been paid up to `cumulative`
/// from `session` in total. One signature covers every inference up to that amount.
pub fn voucher_message(session: &Pubkey, device: &Pubkey, cumulative: u64) -> [u8; VOUCHER_LEN] {
    let mut m = [0u8; VOUCHER_LEN];
    m[..17].copy_from_slice(VOUCHER_DOMAIN);
    m[17..49].copy_from_slice(session.as_ref());
    m[49..81].copy_from_slice(device.as_ref());
    m[81..].copy_from_slice(&cumulative.to_le_bytes());
    m
}

/// Parses a voucher message for `session` and `device`, returning its cumulative amount.
pub fn parse_voucher(message: &[u8], session: &Pubkey, device: &Pubkey) -> Option<u64> {
    if message.len() != VOUCHER_LEN
        || &message[..17] != VOUCHER_DOMAIN
        || &message[17..49] != session.as_ref()
        || &message[49..81] != device.as_ref()
    {
        return None;
    }
    Some(u64::from_le_bytes(message[81..].try_into().ok()?))
}
