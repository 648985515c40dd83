use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::errors::EscrowError;
use crate::events::LeaseClosed;
use crate::state::Lease;
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct CloseLease<'info> {
    #[account(mut, close = renter, has_one = renter @ EscrowError::NotRenter)]
    pub lease: Box<Account<'info, Lease>>,

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

    #[account(mut)]
    pub renter: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// Closes a lease without hires: whatever is left in the vault (only tokens someone sent
/// to it directly, since every deposit has been paid out or refunded) goes to the renter,
/// and the rent of the vault and the lease returns to the renter.
pub fn handler(ctx: Context<CloseLease>) -> Result<()> {
    let a = &ctx.accounts;
    require!(a.lease.hires == 0, EscrowError::LeaseHasHires);
    let swept = a.vault.amount;
    vault::pay_out(
        &a.lease,
        &a.vault.to_account_info(),
        &a.renter_token.to_account_info(),
        &a.payment_mint,
        &a.token_program.to_account_info(),
        swept,
    )?;
    vault::close(
        &a.lease,
        &a.vault.to_account_info(),
        &a.renter.to_account_info(),
        &a.token_program.to_account_info(),
    )?;
    let lease = a.lease.key();
    emit_cpi!(LeaseClosed { lease, swept });
    Ok(())
}
