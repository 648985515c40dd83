use anchor_lang::prelude::*;
use escrow::state::Hire;
use registry::state::{Device, NetworkConfig};

use crate::errors::ProofError;
use crate::state::{InferenceTerms, ReceiptBatch, ReceiptKind, ReceiptLog, Split, seeds};

#[derive(Accounts)]
pub struct SubmitJobReceipts<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(has_one = agent @ ProofError::NotDeviceAgent)]
    pub device: Box<Account<'info, Device>>,

    #[account(mut)]
    pub agent: Signer<'info>,

    #[account(
        init_if_needed,
        payer = agent,
        space = 8 + ReceiptLog::INIT_SPACE,
        seeds = [seeds::RECEIPTS, device.key().as_ref()],
        bump,
    )]
    pub receipt_log: Box<Account<'info, ReceiptLog>>,

    /// The escrow `Hire` the work was done for (owner-checked by `Account`).
    #[account(constraint = hire.device == device.key() @ ProofError::HireNotActive)]
    pub hire: Box<Account<'info, Hire>>,

    pub system_program: Program<'info, System>,
}

/// Records a batch of lease jobs done for an active hire of this device (paid through the
/// lease; the records carry the compute used). `model` names what ran (or the default key).
pub fn handler(ctx: Context<SubmitJobReceipts>, batch: ReceiptBatch, model: Pubkey) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let current = ctx.accounts.network.epoch_at(now)?;
    let hire = &ctx.accounts.hire;
    require!(
        !hire.released && hire.start_epoch <= current && current < hire.end_epoch,
        ProofError::HireNotActive
    );
    let compute_units = batch
        .records
        .iter()
        .map(|r| u64::from(r.compute_units))
        .sum();
    let (device, hire_key) = (ctx.accounts.device.key(), hire.key());
    let bump = ctx.bumps.receipt_log;
    let event = ctx.accounts.receipt_log.record(
        bump,
        device,
        ReceiptKind::LeaseJob,
        hire_key,
        model,
        &InferenceTerms::default(),
        &batch,
        compute_units,
        Split::default(),
        now,
    )?;
    emit!(event);
    Ok(())
}
