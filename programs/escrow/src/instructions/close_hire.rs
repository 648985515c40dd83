use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::HireClosed;
use crate::state::{Hire, Lease};

#[event_cpi]
#[derive(Accounts)]
pub struct CloseHire<'info> {
    #[account(mut)]
    pub lease: Box<Account<'info, Lease>>,

    #[account(mut, close = renter, has_one = lease @ EscrowError::WrongAccount)]
    pub hire: Box<Account<'info, Hire>>,

    /// CHECK: the renter's wallet, which paid for the hire account and gets its rent back.
    #[account(mut, address = lease.renter @ EscrowError::NotRenter)]
    pub renter: UncheckedAccount<'info>,
}

/// Closes a released, fully settled hire. Anyone may call: the rent goes to the renter.
pub fn handler(ctx: Context<CloseHire>) -> Result<()> {
    let hire = &ctx.accounts.hire;
    require!(
        hire.released && hire.is_settled(),
        EscrowError::HireNotSettled
    );
    ctx.accounts.lease.hires -= 1;
    let event = HireClosed {
        lease: hire.lease,
        hire: hire.key(),
        device: hire.device,
        epochs_paid: hire.epochs_paid,
        epochs_missed: hire.epochs_missed,
        paid_to_owner: hire.paid_to_owner,
        fees: hire.fees,
        refunded: hire.refunded,
    };
    emit_cpi!(event);
    Ok(())
}
