use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use common::ed25519::for_each_signature;
use common::tokens::transfer;
use registry::state::{Device, NetworkConfig};

use crate::errors::ProofError;
use crate::state::{
    InferenceTerms, Model, ReceiptBatch, ReceiptKind, ReceiptLog, Session, SessionPayee, Split,
    parse_voucher, seeds,
};

#[derive(Accounts)]
pub struct SubmitInferenceReceipts<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(has_one = agent @ ProofError::NotDeviceAgent)]
    pub device: Box<Account<'info, Device>>,

    /// The device's hot key; pays for the log and payee accounts the first time.
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

    #[account(
        mut,
        has_one = model @ ProofError::WrongAccount,
        has_one = vault @ ProofError::WrongAccount,
    )]
    pub session: Box<Account<'info, Session>>,

    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        init_if_needed,
        payer = agent,
        space = 8 + SessionPayee::INIT_SPACE,
        seeds = [seeds::PAYEE, session.key().as_ref(), device.key().as_ref()],
        bump,
    )]
    pub payee: Box<Account<'info, SessionPayee>>,

    pub model: Box<Account<'info, Model>>,

    /// Any token account of the device owner: the worker's payout.
    #[account(mut, token::mint = payment_mint, token::authority = device.owner, token::token_program = token_program)]
    pub worker_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the model owner: the royalty.
    #[account(mut, token::mint = payment_mint, token::authority = model.owner, token::token_program = token_program)]
    pub royalty_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the treasury: the network fee.
    #[account(mut, token::mint = payment_mint, token::authority = network.treasury, token::token_program = token_program)]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = session.payment_mint @ ProofError::WrongAccount)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,

    /// CHECK: the instructions sysvar (address checked when the voucher is read).
    pub instructions: UncheckedAccount<'info>,
}

/// Records a batch of paid inferences and pays them from the session: each record costs
/// `compute_units × price_per_unit`, split into the model owner's royalty, the network fee
/// and the worker's payout. The session's authoriser must have signed a voucher (an
/// ed25519 instruction in the same transaction) for at least everything this device has
/// been paid from the session, this batch included.
pub fn handler(
    ctx: Context<SubmitInferenceReceipts>,
    batch: ReceiptBatch,
    terms: InferenceTerms,
) -> Result<()> {
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    require!(
        a.session.closing_at.is_none_or(|t| now < t),
        ProofError::SessionClosing
    );
    let current = InferenceTerms {
        price_per_unit: a.model.price_per_unit,
        royalty_bps: a.model.royalty_bps,
        fee_bps: a.network.fees.inference_fee_bps,
    };
    require!(terms == current, ProofError::TermsChanged);
    let mut total = Split::default();
    let mut compute_units: u64 = 0;
    for record in &batch.records {
        total.add(&terms.split(record.compute_units)?)?;
        compute_units += u64::from(record.compute_units);
    }

    // The best voucher of the authoriser for this (session, device).
    let (session_key, device_key) = (a.session.key(), a.device.key());
    let authorizer = a.session.authorizer;
    let mut authorised: Option<u64> = None;
    for_each_signature(&a.instructions.to_account_info(), |key, message| {
        if key == authorizer.as_ref()
            && let Some(cumulative) = parse_voucher(message, &session_key, &device_key)
        {
            authorised = Some(authorised.map_or(cumulative, |best| best.max(cumulative)));
        }
    })
    .map_err(ProofError::from)?;
    let paid_after = a
        .payee
        .paid
        .checked_add(total.amount)
        .ok_or(ProofError::Overflow)?;
    require!(
        authorised.is_some_and(|cumulative| paid_after <= cumulative),
        ProofError::VoucherMissing
    );

    let (token_program, vault, authority) = (
        a.token_program.to_account_info(),
        a.vault.to_account_info(),
        a.session.to_account_info(),
    );
    a.session.with_signer(|signer| -> Result<()> {
        for (to, amount) in [
            (a.worker_token.to_account_info(), total.worker),
            (a.royalty_token.to_account_info(), total.royalty),
            (a.treasury_token.to_account_info(), total.fee),
        ] {
            transfer(
                &token_program,
                &vault,
                &to,
                &authority,
                &a.payment_mint,
                amount,
                signer,
            )?;
        }
        Ok(())
    })?;

    let model = a.model.key();
    let payee = &mut ctx.accounts.payee;
    if payee.session == Pubkey::default() {
        payee.session = session_key;
        payee.device = device_key;
        payee.version = SessionPayee::VERSION;
        payee.bump = ctx.bumps.payee;
    }
    payee.paid = paid_after;
    let session = &mut ctx.accounts.session;
    session.spent = session
        .spent
        .checked_add(total.amount)
        .ok_or(ProofError::Overflow)?;
    let bump = ctx.bumps.receipt_log;
    let event = ctx.accounts.receipt_log.record(
        bump,
        device_key,
        ReceiptKind::Inference,
        session_key,
        model,
        &terms,
        &batch,
        compute_units,
        total,
        now,
    )?;
    emit!(event);
    Ok(())
}
