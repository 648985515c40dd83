//! Opening a slash: the pending `Slash` account, the stake it holds back from
//! withdrawal, and the event that announces it (both slash proposals use it).

use anchor_lang::prelude::*;

use crate::errors::StakingError;
use crate::events::SlashProposed;
use crate::state::{Slash, SlashReason, SlashStatus, StakeAccount};

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
