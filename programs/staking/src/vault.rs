//! Token movements out of staking's vaults, all owned by the config PDA (deposits into
//! them are plain `common::tokens::transfer`s signed by the depositor).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::Mint;
use common::tokens::transfer;

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
    let signer: &[&[u8]] = &[seeds::CONFIG, core::slice::from_ref(&config.bump)];
    let authority = config.to_account_info();
    transfer(
        token_program,
        vault,
        to,
        &authority,
        mint,
        amount,
        &[signer],
    )
}
