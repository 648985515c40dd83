use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use common::tokens::transfer;
use registry::state::Device;

use crate::errors::StakingError;
use crate::events::Staked;
use crate::state::{StakeAccount, StakingConfig, seeds};

#[event_cpi]
#[derive(Accounts)]
pub struct Stake<'info> {
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(has_one = owner @ StakingError::NotDeviceOwner)]
    pub device: Box<Account<'info, Device>>,

    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + StakeAccount::INIT_SPACE,
        seeds = [seeds::STAKE, device.key().as_ref()],
        bump,
    )]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        init_if_needed,
        payer = owner,
        seeds = [seeds::STAKE_VAULT, device.key().as_ref()],
        bump,
        token::mint = stake_mint,
        token::authority = config,
        token::token_program = token_program,
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

    #[account(mut)]
    pub owner: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Adds `amount` to the device's active stake (opening the stake account the first time).
pub fn handler(ctx: Context<Stake>, amount: u64) -> Result<()> {
    require!(amount > 0, StakingError::ZeroAmount);
    let a = &ctx.accounts;
    transfer(
        &a.token_program.to_account_info(),
        &a.owner_token.to_account_info(),
        &a.stake_vault.to_account_info(),
        &a.owner.to_account_info(),
        &a.stake_mint,
        amount,
        &[],
    )?;
    let device = ctx.accounts.device.key();
    let owner = ctx.accounts.owner.key();
    let stake = &mut ctx.accounts.stake;
    if stake.device == Pubkey::default() {
        stake.device = device;
        stake.owner = owner;
        stake.version = StakeAccount::VERSION;
        stake.bump = ctx.bumps.stake;
        stake.vault_bump = ctx.bumps.stake_vault;
    }
    stake.active = stake
        .active
        .checked_add(amount)
        .ok_or(StakingError::Overflow)?;
    let active = stake.active;
    emit_cpi!(Staked {
        device,
        owner,
        amount,
        active
    });
    Ok(())
}
