use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashStatus {
    Pending,
    Cancelled,
    Finalized,
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashReason {
    /// Hired epochs the device did not attest, proposed by escrow settlement.
    MissedEpochs { count: u64 },
    /// Fraud, proposed by the verifier quorum.
    Fraud,
}

/// A proposed slash, PDA `["slash", stake, slash_id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Slash {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub stake: Pubkey,
    pub device: Pubkey,
    pub slash_id: u64,
    pub amount: u64,
    pub reason: SlashReason,
    /// Lease, hire or off-chain evidence this slash refers to.
    pub evidence: [u8; 32],
    /// Wallet that receives the renter share (the wronged renter), if any.
    pub beneficiary: Option<Pubkey>,
    pub proposed_at: i64,
    pub status: SlashStatus,
    /// Actually taken at finalisation (at most `amount`, at most what was staked).
    pub taken: u64,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Slash {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}
