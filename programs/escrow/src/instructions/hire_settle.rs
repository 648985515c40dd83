use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::{Device, NetworkConfig};

use crate::errors::EscrowError;
use crate::events::HireSettled;
use crate::state::{Hire, Lease};
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct SettleHire<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut)]
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

    /// Any token account of the device owner in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = hire.owner,
        token::token_program = token_program,
    )]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the network treasury in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = config.treasury,
        token::token_program = token_program,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the renter in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = lease.renter,
        token::token_program = token_program,
    )]
    pub renter_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = lease.payment_mint @ EscrowError::WrongPaymentMint)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// Settles the hire's final epochs (at most `MAX_SETTLE_EPOCHS` per call): attested ones
/// pay the owner minus the supplier fee, missed ones refund the renter. Anyone may call.
pub fn handler(ctx: Context<SettleHire>) -> Result<()> {
    let current = ctx.accounts.config.epoch_at(Clock::get()?.unix_timestamp)?;
    let s = ctx
        .accounts
        .hire
        .settlement(&ctx.accounts.device.uptime, current)?;
    require!(!s.is_empty(), EscrowError::NothingToSettle);

    let a = &ctx.accounts;
    let vault = a.vault.to_account_info();
    let token_program = a.token_program.to_account_info();
    for (to, amount) in [
        (a.owner_token.to_account_info(), s.to_owner),
        (a.treasury_token.to_account_info(), s.to_treasury),
        (a.renter_token.to_account_info(), s.to_renter),
    ] {
        vault::pay_out(
            &a.lease,
            &vault,
            &to,
            &a.payment_mint,
            &token_program,
            amount,
        )?;
    }

    let hire = &mut ctx.accounts.hire;
    hire.settled_through = s.to_epoch;
    hire.epochs_paid += s.attested;
    hire.epochs_missed += s.missed;
    hire.paid_to_owner = hire
        .paid_to_owner
        .checked_add(s.to_owner)
        .ok_or(EscrowError::Overflow)?;
    hire.fees = hire
        .fees
        .checked_add(s.to_treasury)
        .ok_or(EscrowError::Overflow)?;
    hire.refunded = hire
        .refunded
        .checked_add(s.to_renter)
        .ok_or(EscrowError::Overflow)?;
    let totals = &mut ctx.accounts.lease.totals;
    // Bounded by the deposits, which are u64.
    totals.paid_to_owners += s.to_owner;
    totals.fees += s.to_treasury;
    totals.refunded += s.to_renter;

    let (lease, hire_key, device) = (hire.lease, hire.key(), hire.device);
    emit_cpi!(HireSettled {
        lease,
        hire: hire_key,
        device,
        from_epoch: s.from_epoch,
        to_epoch: s.to_epoch,
        attested: s.attested,
        missed: s.missed,
        missed_mask: s.missed_mask,
        to_owner: s.to_owner,
        to_treasury: s.to_treasury,
        to_renter: s.to_renter,
    });
    Ok(())
}
