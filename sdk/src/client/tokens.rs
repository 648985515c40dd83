//! Token accounts, the client's way: every wallet's account of a mint is its associated
//! token account, so the client (and the CLI) can find the payee of any settlement or
//! inference from the wallet alone. The two associated-token-program instructions needed
//! are built by hand here (a fixed, documented layout) rather than pulling in another
//! crate for them.

use solana_program_pack::Pack;

use crate::{AccountMeta, Instruction, Pubkey};

/// The associated token account program (`ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL`).
pub const ASSOCIATED_TOKEN_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// SPL Token (`TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`).
pub const TOKEN_PROGRAM_ID: Pubkey = spl_token_interface::ID;

/// The associated token account of `wallet` for `mint` under `token_program`.
pub fn associated_token_address(wallet: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    crate::pda(
        &ASSOCIATED_TOKEN_PROGRAM_ID,
        &[wallet.as_ref(), token_program.as_ref(), mint.as_ref()],
    )
}

/// The associated token program's `CreateIdempotent` (instruction 1): creates the account
/// if it is missing and succeeds if it exists, so it can lead any transaction that pays
/// someone. `payer` funds the rent.
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    wallet: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated_token_address(wallet, mint, token_program), false),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(solana_sdk_ids::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}

/// The balance, in base units, of a token account's raw data (the first 165 bytes are
/// the same for SPL Token and Token-2022 accounts).
pub fn token_amount(data: &[u8]) -> Option<u64> {
    let base = data.get(..spl_token_interface::state::Account::LEN)?;
    spl_token_interface::state::Account::unpack_from_slice(base)
        .ok()
        .map(|a| a.amount)
}

/// The decimals and mint authority of a mint's raw data.
pub fn mint_info(data: &[u8]) -> Option<(u8, Option<Pubkey>)> {
    let base = data.get(..spl_token_interface::state::Mint::LEN)?;
    let mint = spl_token_interface::state::Mint::unpack_from_slice(base).ok()?;
    Some((mint.decimals, mint.mint_authority.into()))
}
