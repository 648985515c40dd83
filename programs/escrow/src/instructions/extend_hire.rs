use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use common::tokens::transfer;
use registry::state::{Device, DeviceStatus, NetworkConfig};

use crate::errors::EscrowError;
use crate::events::HireExtended;
use crate::state::{Hire, Lease};

#[event_cpi]
#[derive(Accounts)]
pub struct ExtendHire<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut, has_one = renter @ EscrowError::NotRenter)]
    pub lease: Box<Account<'info, Lease>>,

    #[account(
        mut,
        has_one = lease @ EscrowError::WrongAccount,
        has_one = device @ EscrowError::WrongAccount,
    )]
    pub hire: Box<Account<'info, Hire>>,

    pub device: Box<Account<'info, Device>>,

    #[account(mut, address = lease.vault @ EscrowError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = renter,
        token::token_program = token_program,
    )]
    pub renter_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = lease.payment_mint @ EscrowError::WrongPaymentMint)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    pub renter: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// Adds `epochs` to a running hire at the terms it was made at.
pub fn handler(ctx: Context<ExtendHire>, epochs: u64) -> Result<()> {
    let a = &ctx.accounts;
    require!(!a.config.paused, EscrowError::NetworkPaused);
    a.lease.require_open()?;
    require!(!a.hire.released, EscrowError::HireReleased);
    let current = a.config.epoch_at(Clock::get()?.unix_timestamp)?;
    require!(a.hire.end_epoch > current, EscrowError::HireEnded);
    require!(
        a.device.status == DeviceStatus::Active,
        EscrowError::DeviceNotActive
    );
    require!(epochs > 0, EscrowError::ZeroEpochs);
    let deposit = a.hire.terms.deposit(epochs)?;
    let end_epoch = a
        .hire
        .end_epoch
        .checked_add(epochs)
        .ok_or(EscrowError::Overflow)?;

    transfer(
        &a.token_program.to_account_info(),
        &a.renter_token.to_account_info(),
        &a.vault.to_account_info(),
        &a.renter.to_account_info(),
        &a.payment_mint,
        deposit,
        &[],
    )?;

    let lease = &mut ctx.accounts.lease;
    lease.totals.deposited = lease
        .totals
        .deposited
        .checked_add(deposit)
        .ok_or(EscrowError::Overflow)?;
    let hire = &mut ctx.accounts.hire;
    hire.end_epoch = end_epoch;

    let (lease, hire_key, device) = (hire.lease, hire.key(), hire.device);
    emit_cpi!(HireExtended {
        lease,
        hire: hire_key,
        device,
        end_epoch,
        deposit,
    });
    Ok(())
}
