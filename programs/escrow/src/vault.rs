//! Token movements out of a lease vault, signed by the lease PDA (deposits into it are
//! plain `common::tokens::transfer`s signed by the renter).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, CloseAccount, Mint};
use common::tokens::transfer;

use crate::state::{Lease, seeds};

/// Moves `amount` from the lease's vault to `to`, signed by the lease PDA. Zero is a no-op.
pub fn pay_out<'info>(
    lease: &Account<'info, Lease>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    token_program: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let authority = lease.to_account_info();
    as_lease(lease, |signer| {
        transfer(token_program, vault, to, &authority, mint, amount, signer)
    })
}

/// Closes the (empty) vault, its rent going to `destination`.
pub fn close<'info>(
    lease: &Account<'info, Lease>,
    vault: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
    token_program: &AccountInfo<'info>,
) -> Result<()> {
    as_lease(lease, |signer| {
        token_interface::close_account(CpiContext::new_with_signer(
            *token_program.key,
            CloseAccount {
                account: vault.clone(),
                destination: destination.clone(),
                authority: lease.to_account_info(),
            },
            signer,
        ))
    })
}

/// Runs `f` with the lease PDA's signer seeds.
fn as_lease<R>(lease: &Lease, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
    let lease_id = lease.lease_id.to_le_bytes();
    let seeds: &[&[u8]] = &[
        seeds::LEASE,
        lease.renter.as_ref(),
        &lease_id,
        core::slice::from_ref(&lease.bump),
    ];
    f(&[seeds])
}
