use anchor_lang::prelude::*;

use crate::constants::MAX_BATCH;
use crate::errors::ProofError;
use crate::events::ReceiptsSubmitted;
use crate::state::{InferenceTerms, ReceiptBatch, ReceiptKind, Split, chain_next};

/// Per device, PDA `["receipts", device]`: counters, totals and the head of a hash chain
/// over every batch, so that anyone can rebuild every record from the transactions and
/// check it against this account.
#[account]
#[derive(InitSpace, Debug)]
pub struct ReceiptLog {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub device: Pubkey,
    /// Records so far; the next batch starts at this sequence number.
    pub count: u64,
    pub compute_units: u64,
    pub totals: Split,
    /// `chain_next(previous head, batch context, batch)` after every batch; zero at first.
    pub head: [u8; 32],
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl ReceiptLog {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

impl ReceiptLog {
    /// Checks the batch continues the device's sequence, appends it to the log and the hash
    /// chain, and returns the summary to emit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        bump: u8,
        device: Pubkey,
        kind: ReceiptKind,
        reference: Pubkey,
        model: Pubkey,
        terms: &InferenceTerms,
        batch: &ReceiptBatch,
        compute_units: u64,
        split: Split,
        now: i64,
    ) -> Result<ReceiptsSubmitted> {
        let len = batch.records.len();
        require!((1..=MAX_BATCH).contains(&len), ProofError::InvalidBatchSize);
        if self.device == Pubkey::default() {
            self.device = device;
            self.version = ReceiptLog::VERSION;
            self.bump = bump;
        }
        require!(batch.first_seq == self.count, ProofError::SeqMismatch);
        for r in &batch.records {
            let at = batch
                .base_timestamp
                .checked_add(i64::from(r.time_offset))
                .ok_or(ProofError::Overflow)?;
            require!(at <= now, ProofError::FutureTimestamp);
        }
        self.count += len as u64;
        self.compute_units = self
            .compute_units
            .checked_add(compute_units)
            .ok_or(ProofError::Overflow)?;
        self.totals.add(&split)?;
        self.head = chain_next(&self.head, &device, kind, &reference, &model, terms, batch);
        Ok(ReceiptsSubmitted {
            device,
            kind,
            reference,
            model,
            first_seq: batch.first_seq,
            records: len as u32,
            compute_units,
            split,
            head: self.head,
        })
    }
}
