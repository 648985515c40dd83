//! Recording a batch of receipts: the device's log and hash chain move on, and the
//! summary both receipt instructions emit is returned.

use anchor_lang::prelude::*;

use crate::constants::MAX_BATCH;
use crate::errors::ProofError;
use crate::events::ReceiptsSubmitted;
use crate::state::{InferenceTerms, ReceiptBatch, ReceiptKind, ReceiptLog, Split, chain_next};

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
