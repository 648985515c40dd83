use anchor_lang::prelude::*;

/// A consumer's prepaid inference balance for one model, PDA
/// `["session", consumer, session_id]`; tokens in `["session_vault", session]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Session {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
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
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Session {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
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
