use anchor_lang::prelude::*;
use common::math::mul_div;

use crate::constants::BPS;
use crate::errors::ProofError;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptKind {
    /// Work for a lease: the reference is the escrow `Hire`; paid through the lease.
    LeaseJob,
    /// A paid inference: the reference is the `Session`; paid from its vault.
    Inference,
}

/// One proof-of-compute record as it travels in instruction data (40 bytes). Its sequence
/// number, kind, reference, model and amounts follow from the batch and the model.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptRecord {
    /// GPU-milliseconds.
    pub compute_units: u32,
    /// Seconds after the batch's `base_timestamp`.
    pub time_offset: u32,
    /// Hash of the job's or inference's result.
    pub result_hash: [u8; 32],
}

/// Consecutive records of one device: sequence numbers `first_seq..first_seq + len`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReceiptBatch {
    pub first_seq: u64,
    pub base_timestamp: i64,
    pub records: Vec<ReceiptRecord>,
}

/// The prices a batch of inferences was made at, stated by the agent and checked against
/// the model and the network config (so a price change between voucher and submission
/// fails the batch instead of charging differently), and part of the hash chain. Zero for
/// lease jobs.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InferenceTerms {
    pub price_per_unit: u64,
    pub royalty_bps: u16,
    pub fee_bps: u16,
}

impl InferenceTerms {
    /// The split of one record.
    pub fn split(&self, compute_units: u32) -> Result<Split> {
        let amount = u64::from(compute_units)
            .checked_mul(self.price_per_unit)
            .ok_or(ProofError::Overflow)?;
        Split::of(amount, self.royalty_bps, self.fee_bps)
    }
}

/// How one inference payment splits. Royalty and fee round down; the worker gets the rest.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct Split {
    pub amount: u64,
    pub worker: u64,
    pub royalty: u64,
    pub fee: u64,
}

impl Split {
    pub fn of(amount: u64, royalty_bps: u16, fee_bps: u16) -> Result<Self> {
        let royalty = mul_div(amount, u64::from(royalty_bps), BPS).ok_or(ProofError::Overflow)?;
        let fee = mul_div(amount, u64::from(fee_bps), BPS).ok_or(ProofError::Overflow)?;
        let worker = amount
            .checked_sub(royalty)
            .and_then(|rest| rest.checked_sub(fee))
            .ok_or(ProofError::FeesExceedAmount)?;
        Ok(Split {
            amount,
            worker,
            royalty,
            fee,
        })
    }

    pub fn add(&mut self, other: &Split) -> Result<()> {
        let add = |a: u64, b: u64| a.checked_add(b).ok_or(ProofError::Overflow);
        self.amount = add(self.amount, other.amount)?;
        self.worker = add(self.worker, other.worker)?;
        self.royalty = add(self.royalty, other.royalty)?;
        self.fee = add(self.fee, other.fee)?;
        Ok(())
    }
}

/// The chain step for one batch: `sha256(head ‖ device ‖ kind ‖ reference ‖ model ‖
/// borsh(terms) ‖ borsh(batch))`. The program and the sdk's verifier both use this.
pub fn chain_next(
    head: &[u8; 32],
    device: &Pubkey,
    kind: ReceiptKind,
    reference: &Pubkey,
    model: &Pubkey,
    terms: &InferenceTerms,
    batch: &ReceiptBatch,
) -> [u8; 32] {
    let mut batch_bytes = Vec::with_capacity(20 + 40 * batch.records.len());
    // Writing into a Vec cannot fail.
    let _ = batch.serialize(&mut batch_bytes);
    let kind = [kind as u8];
    let mut terms_bytes = [0u8; 12];
    terms_bytes[..8].copy_from_slice(&terms.price_per_unit.to_le_bytes());
    terms_bytes[8..10].copy_from_slice(&terms.royalty_bps.to_le_bytes());
    terms_bytes[10..].copy_from_slice(&terms.fee_bps.to_le_bytes());
    solana_sha256_hasher::hashv(&[
        head,
        device.as_ref(),
        &kind,
        reference.as_ref(),
        model.as_ref(),
        &terms_bytes,
        &batch_bytes,
    ])
    .to_bytes()
}
