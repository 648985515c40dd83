use anchor_lang::prelude::*;

/// A consumer's prepaid inference balance for one model, PDA
/// `["session", consumer, session_id]`; tokens in `["session_vault", session]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Session {
    pub consumer: Pubkey,
    pub session_id: u64,
    pub model: Pubkey,
    /// Signs the vouchers that authorise payments (the consumer's app key).
    pub authorizer: Pubkey,
    pub payment_mint: Pubkey,
    pub vault: Pubkey,
    pub deposited: u64,
    pub spent: u64,
    /// Set by `request_close_session`: the session can be closed from this time on.
    pub closing_at: Option<i64>,
    pub bump: u8,
    pub vault_bump: u8,
}

impl Session {
    /// Runs `f` with the session PDA's signer seeds (the vault's authority).
    pub fn with_signer<R>(&self, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
        let session_id = self.session_id.to_le_bytes();
        let seeds: &[&[u8]] = &[
            super::seeds::SESSION,
            self.consumer.as_ref(),
            &session_id,
            core::slice::from_ref(&self.bump),
        ];
        f(&[seeds])
    }
}

/// What one device has been paid from one session, PDA `["payee", session, device]`:
/// vouchers are cumulative per (session, device), so this is what a voucher is checked
/// against.
#[account]
#[derive(InitSpace, Debug)]
pub struct SessionPayee {
    pub session: Pubkey,
    pub device: Pubkey,
    pub paid: u64,
    pub bump: u8,
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
