//! gpunet staking: a stake per device (network token) with a cooldown, block rewards
//! shared by weight among the devices that attested each epoch, and slashing through a
//! pending state with a challenge window. Governed by the registry's network admin.
//! `lib.rs` only dispatches; each instruction lives in `instructions/<noun>_<verb>.rs`.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;
pub mod vault;

use instructions::*;
use state::StakingParams;

declare_id!("CiqLM98aB6oa4H9JaNRAtyUq5K23wLwg13XjDq5rXax7");

#[program]
pub mod staking {
    use super::*;

    /// Creates the staking config and the emission vault. Network admin only.
    pub fn initialize_staking(
        ctx: Context<InitializeStaking>,
        params: StakingParams,
    ) -> Result<()> {
        instructions::config_initialize::handler(ctx, params)
    }

    /// Replaces the staking parameters. Network admin only.
    pub fn update_staking(ctx: Context<UpdateStaking>, params: StakingParams) -> Result<()> {
        instructions::config_update::handler(ctx, params)
    }

    /// Adds to a device's stake. Device owner only.
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        instructions::stake_deposit::handler(ctx, amount)
    }

    /// Starts the cooldown of part of the stake; it stops counting at once.
    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        instructions::unstake_request::handler(ctx, amount)
    }

    /// Withdraws the cooled-down stake when no slash is pending.
    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        instructions::stake_withdraw::handler(ctx)
    }

    /// Registers the device's weight for an attested epoch (agent key).
    pub fn register_weight(ctx: Context<RegisterWeight>, epoch: u64) -> Result<()> {
        instructions::weight_register::handler(ctx, epoch)
    }

    /// Pays every final registered epoch passed in the remaining accounts.
    pub fn claim_rewards<'info>(ctx: Context<'info, ClaimRewards<'info>>) -> Result<()> {
        instructions::rewards_claim::handler(ctx)
    }

    /// Escrow settlement proposes the slash for missed hired epochs (CPI).
    pub fn propose_missed_slash(
        ctx: Context<ProposeMissedSlash>,
        args: MissedSlashArgs,
    ) -> Result<()> {
        instructions::slash_propose::missed_handler(ctx, args)
    }

    /// The verifier quorum proposes a fraud slash.
    pub fn propose_fraud_slash(
        ctx: Context<ProposeFraudSlash>,
        amount: u64,
        evidence: [u8; 32],
    ) -> Result<()> {
        instructions::slash_propose::fraud_handler(ctx, amount, evidence)
    }

    /// Governance cancels a pending slash within its challenge window.
    pub fn cancel_slash(ctx: Context<CancelSlash>) -> Result<()> {
        instructions::slash_resolve::cancel_handler(ctx)
    }

    /// Anyone executes a pending slash after its challenge window.
    pub fn finalize_slash(ctx: Context<FinalizeSlash>) -> Result<()> {
        instructions::slash_resolve::finalize_handler(ctx)
    }
}
