//! Staking program: ids, PDAs, instruction builders and reward views.

use anchor_lang::{InstructionData, ToAccountMetas};
pub use staking::errors::StakingError;
pub use staking::events::*;
pub use staking::instructions::{MissedSlashArgs, fraud_slash_message};
use staking::state::seeds;
pub use staking::state::{
    EmissionSchedule, EpochRewards, HardwareMultiplier, PendingReward, Slash, SlashPolicy,
    SlashReason, SlashStatus, StakeAccount, StakingConfig, StakingParams,
};

use crate::{AccountMeta, Instruction, Pubkey};

pub const PROGRAM_ID: Pubkey = staking::ID;

fn find(seeds: &[&[u8]]) -> Pubkey {
    crate::pda(&PROGRAM_ID, seeds)
}

/// `["staking"]`: the config, also the authority of every staking vault.
pub fn config_address() -> Pubkey {
    find(&[seeds::CONFIG])
}

/// `["emission"]`: the block-reward vault (fund it by transferring stake tokens to it).
pub fn emission_vault_address() -> Pubkey {
    find(&[seeds::EMISSION_VAULT])
}

/// `["stake", device]`.
pub fn stake_address(device: &Pubkey) -> Pubkey {
    find(&[seeds::STAKE, device.as_ref()])
}

/// `["stake_vault", device]`.
pub fn stake_vault_address(device: &Pubkey) -> Pubkey {
    find(&[seeds::STAKE_VAULT, device.as_ref()])
}

/// `["epoch_rewards", epoch]`.
pub fn epoch_rewards_address(epoch: u64) -> Pubkey {
    find(&[seeds::EPOCH_REWARDS, &epoch.to_le_bytes()])
}

/// `["slash", stake, slash_id]`; the next one has `slash_id = stake.slashes_proposed`.
pub fn slash_address(stake: &Pubkey, slash_id: u64) -> Pubkey {
    find(&[seeds::SLASH, stake.as_ref(), &slash_id.to_le_bytes()])
}

/// The PDA that signs staking's `emit_cpi!` events.
pub fn event_authority() -> Pubkey {
    find(&[b"__event_authority"])
}

fn instruction(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    crate::anchor_instruction(PROGRAM_ID, accounts, data)
}

/// The token program that owns the stake mint.
#[derive(Clone, Copy, Debug)]
pub struct StakeMint {
    pub mint: Pubkey,
    pub token_program: Pubkey,
}

/// `initialize_staking`, signed by the network admin.
pub fn initialize_staking(admin: Pubkey, mint: StakeMint, params: StakingParams) -> Instruction {
    let accounts = staking::accounts::InitializeStaking {
        network: crate::registry::config_address(),
        config: config_address(),
        emission_vault: emission_vault_address(),
        stake_mint: mint.mint,
        admin,
        token_program: mint.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::InitializeStaking { params })
}

/// `update_staking`, signed by the network admin.
pub fn update_staking(admin: Pubkey, params: StakingParams) -> Instruction {
    let accounts = staking::accounts::UpdateStaking {
        network: crate::registry::config_address(),
        config: config_address(),
        admin,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::UpdateStaking { params })
}

/// `stake` of `amount` from `owner_token`, signed by the device owner.
pub fn stake(
    owner: Pubkey,
    device: Pubkey,
    owner_token: Pubkey,
    mint: StakeMint,
    amount: u64,
) -> Instruction {
    let accounts = staking::accounts::Stake {
        config: config_address(),
        device,
        stake: stake_address(&device),
        stake_vault: stake_vault_address(&device),
        owner_token,
        stake_mint: mint.mint,
        owner,
        token_program: mint.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::Stake { amount })
}

/// `request_unstake`, signed by the device owner.
pub fn request_unstake(owner: Pubkey, device: Pubkey, amount: u64) -> Instruction {
    let accounts = staking::accounts::RequestUnstake {
        config: config_address(),
        stake: stake_address(&device),
        owner,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::RequestUnstake { amount })
}

/// `withdraw` to `owner_token`, signed by the device owner.
pub fn withdraw(
    owner: Pubkey,
    device: Pubkey,
    owner_token: Pubkey,
    mint: StakeMint,
) -> Instruction {
    let accounts = staking::accounts::Withdraw {
        config: config_address(),
        stake: stake_address(&device),
        stake_vault: stake_vault_address(&device),
        owner_token,
        stake_mint: mint.mint,
        owner,
        token_program: mint.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::Withdraw {})
}

/// `register_weight` for `epoch`, signed by the device's agent key (which pays the rent of
/// the epoch's rewards account if it is the first).
pub fn register_weight(agent: Pubkey, device: Pubkey, epoch: u64) -> Instruction {
    let accounts = staking::accounts::RegisterWeight {
        network: crate::registry::config_address(),
        config: config_address(),
        device,
        stake: stake_address(&device),
        epoch_rewards: epoch_rewards_address(epoch),
        agent,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::RegisterWeight { epoch })
}

/// `claim_rewards` of `epochs` (their `EpochRewards` are appended), paying `owner_token`.
pub fn claim_rewards(
    device: Pubkey,
    owner_token: Pubkey,
    mint: StakeMint,
    epochs: &[u64],
) -> Instruction {
    let accounts = staking::accounts::ClaimRewards {
        network: crate::registry::config_address(),
        config: config_address(),
        stake: stake_address(&device),
        emission_vault: emission_vault_address(),
        owner_token,
        stake_mint: mint.mint,
        token_program: mint.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    let mut ix = instruction(accounts, staking::instruction::ClaimRewards {});
    ix.accounts.extend(
        epochs
            .iter()
            .map(|e| AccountMeta::new(epoch_rewards_address(*e), false)),
    );
    ix
}

/// `propose_fraud_slash` of the stake's next slash id, paid by `payer`; put the verifiers'
/// signatures over `fraud_slash_message(...)` in the same transaction.
pub fn propose_fraud_slash(
    payer: Pubkey,
    device: Pubkey,
    slash_id: u64,
    amount: u64,
    evidence: [u8; 32],
) -> Instruction {
    let stake = stake_address(&device);
    let accounts = staking::accounts::ProposeFraudSlash {
        network: crate::registry::config_address(),
        config: config_address(),
        stake,
        slash: slash_address(&stake, slash_id),
        payer,
        instructions: solana_sdk_ids::sysvar::instructions::ID,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(
        accounts,
        staking::instruction::ProposeFraudSlash { amount, evidence },
    )
}

/// `cancel_slash`, signed by the network admin.
pub fn cancel_slash(admin: Pubkey, device: Pubkey, slash_id: u64) -> Instruction {
    let stake = stake_address(&device);
    let accounts = staking::accounts::CancelSlash {
        network: crate::registry::config_address(),
        config: config_address(),
        stake,
        slash: slash_address(&stake, slash_id),
        admin,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::CancelSlash {})
}

/// `finalize_slash` (anyone), paying the treasury's and the beneficiary's stake-mint
/// token accounts.
pub fn finalize_slash(
    device: Pubkey,
    slash_id: u64,
    treasury_token: Pubkey,
    beneficiary_token: Pubkey,
    mint: StakeMint,
) -> Instruction {
    let stake = stake_address(&device);
    let accounts = staking::accounts::FinalizeSlash {
        network: crate::registry::config_address(),
        config: config_address(),
        stake,
        slash: slash_address(&stake, slash_id),
        stake_vault: stake_vault_address(&device),
        treasury_token,
        beneficiary_token,
        stake_mint: mint.mint,
        token_program: mint.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, staking::instruction::FinalizeSlash {})
}
