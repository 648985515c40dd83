use anchor_lang::prelude::*;
use registry::state::NetworkConfig;

use crate::errors::EscrowError;
use crate::events::LeaseTerminated;
use crate::state::Lease;

#[event_cpi]
#[derive(Accounts)]
pub struct TerminateLease<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut, has_one = renter @ EscrowError::NotRenter)]
    pub lease: Box<Account<'info, Lease>>,

    pub renter: Signer<'info>,
}

/// Ends the whole cluster after the running epoch: no hire, extension or billing past it.
/// Each hire is then released by `release_hire`, which anyone may send.
pub fn handler(ctx: Context<TerminateLease>) -> Result<()> {
    let lease = &mut ctx.accounts.lease;
    lease.require_open()?;
    let current = ctx.accounts.config.epoch_at(Clock::get()?.unix_timestamp)?;
    let at = current.checked_add(1).ok_or(EscrowError::Overflow)?;
    lease.terminated_at_epoch = Some(at);
    let lease_key = lease.key();
    emit_cpi!(LeaseTerminated {
        lease: lease_key,
        terminated_at_epoch: at,
    });
    Ok(())
}
