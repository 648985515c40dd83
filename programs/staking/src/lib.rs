//! gpunet staking: a stake per device (network token) with a cooldown, block rewards
//! shared by weight among the devices that attested each epoch, and slashing through a
//! pending state with a challenge window. Governed by the registry's network admin.
//! `lib.rs` only dispatches; each instruction lives in `instructions/<instruction>.rs`,
//! named after it.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod program_id;
pub mod slashing;
pub mod state;
pub mod vault;

use instructions::*;
pub use program_id::*;
use state::StakingParams;

common::security_txt!("gpunet staking");

#[program]
pub mod staking {
    use super::*;

    /// Creates the staking config and the emission vault. Network admin only.
    pub fn initialize_staking(
        ctx: Context<InitializeStaking>,
        params: StakingParams,
    ) -> Result<()> {
        instructions::initialize_staking::handler(ctx, params)
    }

    /// Replaces the staking parameters. Network admin only.
    pub fn update_staking(ctx: Context<UpdateStaking>, params: StakingParams) -> Result<()> {
        instructions::update_staking::handler(ctx, params)
    }

    /// Adds to a device's stake. Device owner only.
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        instructions::stake::handler(ctx, amount)
    }

    /// Starts the cooldown of part of the stake; it stops counting at once.
    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        instructions::request_unstake::handler(ctx, amount)
    }

    /// Withdraws the cooled-down stake when no slash is pending.
    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        instructions::withdraw::handler(ctx)
    }

    /// Registers the device's weight for an attested epoch (agent key).
    pub fn register_weight(ctx: Context<RegisterWeight>, epoch: u64) -> Result<()> {
        instructions::register_weight::handler(ctx, epoch)
    }

    /// Pays every final registered epoch passed in the remaining accounts.
    pub fn claim_rewards<'info>(ctx: Context<'info, ClaimRewards<'info>>) -> Result<()> {
        instructions::claim_rewards::handler(ctx)
    }

    /// Escrow settlement proposes the slash for missed hired epochs (CPI).
    pub fn propose_missed_slash(
        ctx: Context<ProposeMissedSlash>,
        args: MissedSlashArgs,
    ) -> Result<()> {
        instructions::propose_missed_slash::handler(ctx, args)
    }

    /// The verifier quorum proposes a fraud slash.
    pub fn propose_fraud_slash(
        ctx: Context<ProposeFraudSlash>,
        amount: u64,
        evidence: [u8; 32],
    ) -> Result<()> {
        instructions::propose_fraud_slash::handler(ctx, amount, evidence)
    }

    /// Governance cancels a pending slash within its challenge window.
    pub fn cancel_slash(ctx: Context<CancelSlash>) -> Result<()> {
        instructions::cancel_slash::handler(ctx)
    }

    /// Anyone executes a pending slash after its challenge window.
    pub fn finalize_slash(ctx: Context<FinalizeSlash>) -> Result<()> {
        instructions::finalize_slash::handler(ctx)
    }
}
