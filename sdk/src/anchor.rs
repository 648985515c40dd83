//! Anchor's conventions every program module of the sdk builds on: program-derived
//! addresses, the upgradeable loader's program-data address, and instructions from the
//! programs' generated account structs and argument types.

use crate::{Instruction, Pubkey};

/// The upgradeable loader's program-data account of `program_id` (holds the ELF and the
/// upgrade authority).
pub fn program_data_address(program_id: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[program_id.as_ref()],
        &solana_sdk_ids::bpf_loader_upgradeable::ID,
    )
    .0
}

/// The PDA of `seeds` under `program_id` (bump searched).
pub fn pda(program_id: &Pubkey, seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, program_id).0
}

/// An instruction of an Anchor program from its generated accounts struct and data.
pub fn anchor_instruction(
    program_id: Pubkey,
    accounts: impl anchor_lang::ToAccountMetas,
    data: impl anchor_lang::InstructionData,
) -> Instruction {
    Instruction {
        program_id,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}
