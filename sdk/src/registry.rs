//! Registry program: ids, PDAs and instruction builders.

use anchor_lang::{InstructionData, ToAccountMetas};
pub use registry::errors::RegistryError;
pub use registry::instructions::{InitializeNetworkArgs, UpdateConfigArgs, VerifierSet};
use registry::state::seeds;
pub use registry::state::{FeeSchedule, NetworkConfig};

use crate::{Instruction, Pubkey};

pub const PROGRAM_ID: Pubkey = registry::ID;

/// `["network"]`: the singleton network configuration.
pub fn config_address() -> Pubkey {
    Pubkey::find_program_address(&[seeds::NETWORK], &PROGRAM_ID).0
}

/// The upgradeable loader's program-data account of the registry, whose upgrade authority
/// is the only key allowed to initialise the network.
pub fn program_data_address() -> Pubkey {
    crate::program_data_address(&PROGRAM_ID)
}

/// `initialize_network`, signed by `admin` (the program's upgrade authority), who pays
/// for the config account.
pub fn initialize_network(
    admin: Pubkey,
    payment_mint: Pubkey,
    stake_mint: Pubkey,
    args: InitializeNetworkArgs,
) -> Instruction {
    let accounts = registry::accounts::InitializeNetwork {
        config: config_address(),
        admin,
        program: PROGRAM_ID,
        program_data: program_data_address(),
        payment_mint,
        stake_mint,
        system_program: solana_sdk_ids::system_program::ID,
    };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::InitializeNetwork { args }.data(),
    }
}

/// `update_config`, signed by the admin.
pub fn update_config(admin: Pubkey, args: UpdateConfigArgs) -> Instruction {
    let accounts = registry::accounts::UpdateConfig {
        config: config_address(),
        admin,
    };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::UpdateConfig { args }.data(),
    }
}

/// `accept_admin`, signed by the proposed admin.
pub fn accept_admin(new_admin: Pubkey) -> Instruction {
    let accounts = registry::accounts::AcceptAdmin {
        config: config_address(),
        new_admin,
    };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::AcceptAdmin {}.data(),
    }
}
