//! The one token transfer every gpunet program makes: `transfer_checked` through
//! token_interface (SPL Token or Token-2022), optionally signed by a PDA.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TransferChecked};

/// Moves `amount` of `mint` from `from` to `to`, authorised by `authority` — a signer, or a
/// PDA of the calling program when `signer_seeds` is not empty. Zero is a no-op.
pub fn transfer<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    amount: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            *token_program.key,
            TransferChecked {
                from: from.clone(),
                mint: mint.to_account_info(),
                to: to.clone(),
                authority: authority.clone(),
            },
            signer_seeds,
        ),
        amount,
        mint.decimals,
    )
}
