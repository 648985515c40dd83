//! Token movements out of staking's vaults, all owned by the config PDA.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TransferChecked};

use crate::state::{StakingConfig, seeds};

/// Moves `amount` from a staking vault to `to`, signed by the config PDA. Zero is a no-op.
pub fn pay_out<'info>(
    config: &Account<'info, StakingConfig>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    token_program: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let signer: &[&[u8]] = &[seeds::CONFIG, core::slice::from_ref(&config.bump)];
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            *token_program.key,
            TransferChecked {
                from: vault.clone(),
                mint: mint.to_account_info(),
                to: to.clone(),
                authority: config.to_account_info(),
            },
            &[signer],
        ),
        amount,
        mint.decimals,
    )
}

/// Moves `amount` from `from` (signed by `authority`) into a staking vault.
pub fn pay_in<'info>(
    from: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    token_program: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    token_interface::transfer_checked(
        CpiContext::new(
            *token_program.key,
            TransferChecked {
                from: from.clone(),
                mint: mint.to_account_info(),
                to: vault.clone(),
                authority: authority.clone(),
            },
        ),
        amount,
        mint.decimals,
    )
}
