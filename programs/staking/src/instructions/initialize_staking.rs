use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;

use crate::errors::StakingError;
use crate::events::StakingConfigured;
use crate::state::{StakingConfig, StakingParams, seeds};

#[event_cpi]
#[derive(Accounts)]
pub struct InitializeStaking<'info> {
    /// The registry's `NetworkConfig`: its admin governs staking too.
    #[account(has_one = admin @ StakingError::NotAdmin, has_one = stake_mint)]
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(
        init,
        payer = admin,
        space = 8 + StakingConfig::INIT_SPACE,
        seeds = [seeds::CONFIG],
        bump,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(
        init,
        payer = admin,
        seeds = [seeds::EMISSION_VAULT],
        bump,
        token::mint = stake_mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub emission_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mint::token_program = token_program)]
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub admin: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeStaking>, params: StakingParams) -> Result<()> {
    params.validate()?;
    let config = &mut ctx.accounts.config;
    config.stake_mint = ctx.accounts.stake_mint.key();
    config.allocated = 0;
    config.version = StakingConfig::VERSION;
    config.bump = ctx.bumps.config;
    config.emission_vault_bump = ctx.bumps.emission_vault;
    config.apply(params.clone());
    let key = config.key();
    emit_cpi!(StakingConfigured {
        config: key,
        params
    });
    Ok(())
}
