use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;

use crate::errors::EscrowError;
use crate::events::HireReleased;
use crate::state::{DeviceLock, Hire, Lease, seeds};
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct ReleaseHire<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut)]
    pub lease: Box<Account<'info, Lease>>,

    #[account(mut, has_one = lease @ EscrowError::WrongAccount)]
    pub hire: Box<Account<'info, Hire>>,

    #[account(
        mut,
        close = renter,
        seeds = [seeds::LOCK, hire.device.as_ref()],
        bump = lock.bump,
        has_one = hire @ EscrowError::WrongAccount,
    )]
    pub lock: Box<Account<'info, DeviceLock>>,

    #[account(mut, address = lease.vault @ EscrowError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = lease.renter,
        token::token_program = token_program,
    )]
    pub renter_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the renter's wallet, which paid for the lock and gets its rent back.
    #[account(mut, address = lease.renter @ EscrowError::NotRenter)]
    pub renter: UncheckedAccount<'info>,

    #[account(address = lease.payment_mint @ EscrowError::WrongPaymentMint)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    /// The renter at any time; anyone once the lease is terminated or the hire has ended.
    pub caller: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// Frees the device: the running epoch stays billed, later epochs are refunded at once,
/// the rest is settled by `settle_hire` as usual.
pub fn handler(ctx: Context<ReleaseHire>) -> Result<()> {
    let a = &ctx.accounts;
    let current = a.config.epoch_at(Clock::get()?.unix_timestamp)?;
    let cap = a.lease.terminated_at_epoch;
    require!(
        a.caller.key() == a.lease.renter || cap.is_some() || current >= a.hire.end_epoch,
        EscrowError::ReleaseNotAllowed
    );
    let end_epoch = a.hire.release_end(current, cap);
    let refund = a.hire.refundable(current, cap)?;
    vault::pay_out(
        &a.lease,
        &a.vault.to_account_info(),
        &a.renter_token.to_account_info(),
        &a.payment_mint,
        &a.token_program.to_account_info(),
        refund,
    )?;

    let hire = &mut ctx.accounts.hire;
    hire.end_epoch = end_epoch;
    hire.released = true;
    hire.refunded = hire
        .refunded
        .checked_add(refund)
        .ok_or(EscrowError::Overflow)?;
    let lease = &mut ctx.accounts.lease;
    lease.active_hires -= 1;
    lease.totals.refunded += refund;

    let (lease, hire_key, device) = (hire.lease, hire.key(), hire.device);
    emit_cpi!(HireReleased {
        lease,
        hire: hire_key,
        device,
        end_epoch,
        refunded: refund,
    });
    Ok(())
}
