use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::errors::StakingError;
use crate::events::Withdrawn;
use crate::state::{StakeAccount, StakingConfig, seeds};
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut, has_one = owner @ StakingError::NotDeviceOwner)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        mut,
        seeds = [seeds::STAKE_VAULT, stake.device.as_ref()],
        bump = stake.vault_bump,
    )]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = stake_mint,
        token::authority = owner,
        token::token_program = token_program,
    )]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.stake_mint)]
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    pub owner: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// Pays out the cooled-down stake, once the cooldown is over and no slash is pending.
pub fn handler(ctx: Context<Withdraw>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    require!(a.stake.cooling > 0, StakingError::NothingToWithdraw);
    require!(now >= a.stake.unlock_at, StakingError::CooldownNotOver);
    require!(a.stake.pending_slashes == 0, StakingError::SlashPending);
    let amount = a.stake.cooling;
    vault::pay_out(
        &a.config,
        &a.stake_vault.to_account_info(),
        &a.owner_token.to_account_info(),
        &a.stake_mint,
        &a.token_program.to_account_info(),
        amount,
    )?;
    let stake = &mut ctx.accounts.stake;
    stake.cooling = 0;
    let device = stake.device;
    emit_cpi!(Withdrawn { device, amount });
    Ok(())
}
