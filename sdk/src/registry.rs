//! Registry program: ids, PDAs, instruction builders and verifier co-signatures.

use anchor_lang::{InstructionData, ToAccountMetas};
pub use registry::errors::RegistryError;
pub use registry::events::*;
pub use registry::instructions::{
    AttestUptimeArgs, InitializeNetworkArgs, RegisterDeviceArgs, UpdateConfigArgs,
    UpdateDeviceArgs, VerifierSet,
};
pub use registry::state::attestation::{ED25519_PROGRAM_ID, attestation_message};
use registry::state::seeds;
pub use registry::state::{
    Device, DeviceSpecs, DeviceStatus, EpochAttestation, FeeSchedule, NetworkConfig, UptimeRecord,
};

use crate::{Instruction, Pubkey};

pub const PROGRAM_ID: Pubkey = registry::ID;

/// GPU model codes (`DeviceSpecs::gpu_model`, which the staking config weighs) and the
/// name each is known by, as `nvidia-smi` prints it in a longer product name. Code 0 is a
/// device without a GPU (its CPU does the work).
pub const GPU_MODELS: &[(u16, &str)] = &[
    (0, "CPU"),
    (20, "T4"),
    (30, "A10"),
    (40, "RTX 4090"),
    (41, "RTX 3090"),
    (80, "L40S"),
    (90, "A100"),
    (100, "H100"),
    (101, "H200"),
];

/// The code of the GPU model a product name names (`NVIDIA H100 80GB HBM3` → 100),
/// matched case-insensitively on the longest known name it contains; `None` for a model
/// the table does not know.
pub fn gpu_model_code(product_name: &str) -> Option<u16> {
    let name = product_name.to_ascii_uppercase();
    GPU_MODELS
        .iter()
        .filter(|(code, known)| *code != 0 && name.contains(known))
        .max_by_key(|(_, known)| known.len())
        .map(|(code, _)| *code)
}

/// The name of a GPU model code (`None` for an unknown code).
pub fn gpu_model_name(code: u16) -> Option<&'static str> {
    GPU_MODELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

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

/// `["device", owner, device_id]`: a device of `owner`.
pub fn device_address(owner: &Pubkey, device_id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::DEVICE, owner.as_ref(), &device_id.to_le_bytes()],
        &PROGRAM_ID,
    )
    .0
}

/// `register_device`, signed by the owner wallet, which pays for the account.
pub fn register_device(owner: Pubkey, args: RegisterDeviceArgs) -> Instruction {
    let accounts = registry::accounts::RegisterDevice {
        config: config_address(),
        device: device_address(&owner, args.device_id),
        owner,
        system_program: solana_sdk_ids::system_program::ID,
    };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::RegisterDevice { args }.data(),
    }
}

/// `update_device`, signed by the owner wallet.
pub fn update_device(owner: Pubkey, device: Pubkey, args: UpdateDeviceArgs) -> Instruction {
    let accounts = registry::accounts::UpdateDevice { device, owner };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::UpdateDevice { args }.data(),
    }
}

/// `set_device_status`, signed by the owner wallet.
pub fn set_device_status(owner: Pubkey, device: Pubkey, status: DeviceStatus) -> Instruction {
    let accounts = registry::accounts::SetDeviceStatus { device, owner };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::SetDeviceStatus { status }.data(),
    }
}

/// `attest_uptime`, signed by the device's agent key. When the network's verifier quorum
/// is above zero, put `verifier_signatures` instructions in the same transaction.
pub fn attest_uptime(agent: Pubkey, device: Pubkey, args: AttestUptimeArgs) -> Instruction {
    let accounts = registry::accounts::AttestUptime {
        config: config_address(),
        device,
        agent,
        instructions: solana_sdk_ids::sysvar::instructions::ID,
    };
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: registry::instruction::AttestUptime { args }.data(),
    }
}

/// An ed25519-program instruction carrying verifiers' signatures of one `message`
/// (for an attestation: `attestation_message(...)`). Each entry is a verifier key and its
/// 64-byte signature; every offset points into this instruction, as the registry requires.
pub fn verifier_signatures(signatures: &[(Pubkey, [u8; 64])], message: &[u8]) -> Instruction {
    const HEADER: usize = 2;
    const OFFSETS: usize = 14;
    const ENTRY: usize = 32 + 64;
    let offsets_end = HEADER + OFFSETS * signatures.len();
    let message_at = offsets_end + ENTRY * signatures.len();
    let mut data = vec![0u8; message_at + message.len()];
    data[0] = u8::try_from(signatures.len()).expect("at most 255 signatures");
    let u16_of = |v: usize| u16::try_from(v).expect("instruction data under 64 KiB");
    for (i, (key, signature)) in signatures.iter().enumerate() {
        let entry = offsets_end + ENTRY * i;
        data[entry..entry + 32].copy_from_slice(key.as_ref());
        data[entry + 32..entry + ENTRY].copy_from_slice(signature);
        let fields = [
            u16_of(entry + 32), // signature
            u16::MAX,
            u16_of(entry), // public key
            u16::MAX,
            u16_of(message_at),
            u16_of(message.len()),
            u16::MAX,
        ];
        let at = HEADER + OFFSETS * i;
        for (k, field) in fields.iter().enumerate() {
            data[at + 2 * k..at + 2 * k + 2].copy_from_slice(&field.to_le_bytes());
        }
    }
    data.truncate(message_at);
    data.extend_from_slice(message);
    Instruction {
        program_id: ED25519_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}
