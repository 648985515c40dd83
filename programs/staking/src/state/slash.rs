use anchor_lang::prelude::*;

use crate::errors::StakingError;
use crate::events::SlashProposed;
use crate::state::StakeAccount;

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

impl Slash {
    /// Records a pending slash against the stake; withdrawals wait until it is resolved.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn open(
        stake: &mut Account<StakeAccount>,
        slash: &mut Account<Slash>,
        bump: u8,
        amount: u64,
        reason: SlashReason,
        evidence: [u8; 32],
        beneficiary: Option<Pubkey>,
        window: u32,
    ) -> Result<SlashProposed> {
        let now = Clock::get()?.unix_timestamp;
        let slash_id = stake.slashes_proposed;
        slash.set_inner(Slash {
            version: Slash::VERSION,
            stake: stake.key(),
            device: stake.device,
            slash_id,
            amount,
            reason,
            evidence,
            beneficiary,
            proposed_at: now,
            status: SlashStatus::Pending,
            taken: 0,
            bump,
            reserved: [0; 32],
        });
        stake.slashes_proposed += 1;
        stake.pending_slashes += 1;
        stake.pending_slash_amount = stake
            .pending_slash_amount
            .checked_add(amount)
            .ok_or(StakingError::Overflow)?;
        Ok(SlashProposed {
            slash: slash.key(),
            device: stake.device,
            slash_id,
            amount,
            reason,
            evidence,
            beneficiary,
            challenge_ends_at: now + i64::from(window),
        })
    }
}
