use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;

use crate::errors::StakingError;
use crate::events::RewardsClaimed;
use crate::state::{EpochRewardsView, StakeAccount, StakingConfig, seeds};
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct ClaimRewards<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        mut,
        seeds = [seeds::EMISSION_VAULT],
        bump = config.emission_vault_bump,
    )]
    pub emission_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the device owner in the stake mint.
    #[account(
        mut,
        token::mint = stake_mint,
        token::authority = stake.owner,
        token::token_program = token_program,
    )]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.stake_mint)]
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    pub token_program: Interface<'info, TokenInterface>,
    // Remaining accounts: the `EpochRewards` of the final epochs to claim (writable).
}

/// Pays the owner every registered epoch that is final and whose `EpochRewards` account is
/// passed, in one transfer, and forgets those epochs (a second claim pays nothing for
/// them). Anyone may send it: the rewards go to the owner.
pub fn handler<'info>(ctx: Context<'info, ClaimRewards<'info>>) -> Result<()> {
    let (mut epochs, mut amounts) = (
        Vec::with_capacity(ctx.remaining_accounts.len()),
        Vec::with_capacity(ctx.remaining_accounts.len()),
    );
    let current = ctx
        .accounts
        .network
        .epoch_at(Clock::get()?.unix_timestamp)?;
    let grace = ctx.accounts.config.grace_epochs;
    let mut total: u64 = 0;
    for info in ctx.remaining_accounts {
        let rewards = EpochRewardsView::read(info)?;
        let final_after = rewards
            .epoch
            .saturating_add(1)
            .saturating_add(u64::from(grace));
        if current <= final_after {
            continue;
        }
        let stake = &mut ctx.accounts.stake;
        let Some(i) = stake
            .pending_rewards
            .iter()
            .position(|p| p.epoch == rewards.epoch)
        else {
            continue;
        };
        let pending = stake.pending_rewards.swap_remove(i);
        let share = rewards.share(pending.weight);
        let claimed = rewards
            .claimed
            .checked_add(share)
            .filter(|c| *c <= rewards.emission)
            .ok_or(StakingError::Overflow)?;
        EpochRewardsView::write_claimed(info, claimed)?;
        total = total.checked_add(share).ok_or(StakingError::Overflow)?;
        epochs.push(pending.epoch);
        amounts.push(share);
    }
    require!(!epochs.is_empty(), StakingError::NothingToClaim);

    let a = &ctx.accounts;
    vault::pay_out(
        &a.config,
        &a.emission_vault.to_account_info(),
        &a.owner_token.to_account_info(),
        &a.stake_mint,
        &a.token_program.to_account_info(),
        total,
    )?;
    let stake = &mut ctx.accounts.stake;
    stake.rewards_claimed = stake
        .rewards_claimed
        .checked_add(total)
        .ok_or(StakingError::Overflow)?;
    let event = RewardsClaimed {
        device: stake.device,
        owner: stake.owner,
        epochs,
        amounts,
        total,
    };
    emit_cpi!(event);
    Ok(())
}
