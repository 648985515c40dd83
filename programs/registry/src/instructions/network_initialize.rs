use anchor_lang::prelude::*;
use anchor_spl::token_interface::Mint;

use crate::errors::RegistryError;
use crate::events::NetworkInitialized;
use crate::program::Registry;
use crate::state::{FeeSchedule, NetworkConfig, seeds, validate_epoch_seconds, validate_verifiers};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializeNetworkArgs {
    pub fees: FeeSchedule,
    pub epoch_seconds: u32,
    pub treasury: Pubkey,
    pub verifiers: Vec<Pubkey>,
    pub verifier_quorum: u8,
}

impl InitializeNetworkArgs {
    pub fn validate(&self) -> Result<()> {
        self.fees.validate()?;
        validate_epoch_seconds(self.epoch_seconds)?;
        require!(self.treasury != Pubkey::default(), RegistryError::InvalidTreasury);
        validate_verifiers(&self.verifiers, self.verifier_quorum)
    }
}

#[derive(Accounts)]
pub struct InitializeNetwork<'info> {
    #[account(
        init,
        payer = admin,
        space = 8 + NetworkConfig::INIT_SPACE,
        seeds = [seeds::NETWORK],
        bump,
    )]
    pub config: Account<'info, NetworkConfig>,

    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        constraint = program.programdata_address()? == Some(program_data.key())
            @ RegistryError::WrongProgramData,
    )]
    pub program: Program<'info, Registry>,

    #[account(
        constraint = program_data.upgrade_authority_address == Some(admin.key())
            @ RegistryError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,

    #[account(
        constraint = payment_mint.key() != stake_mint.key() @ RegistryError::SameMints,
    )]
    pub payment_mint: InterfaceAccount<'info, Mint>,
    pub stake_mint: InterfaceAccount<'info, Mint>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeNetwork>, args: InitializeNetworkArgs) -> Result<()> {
    args.validate()?;
    let now = Clock::get()?.unix_timestamp;

    let config = &mut ctx.accounts.config;
    config.set_inner(NetworkConfig {
        admin: ctx.accounts.admin.key(),
        pending_admin: None,
        payment_mint: ctx.accounts.payment_mint.key(),
        stake_mint: ctx.accounts.stake_mint.key(),
        treasury: args.treasury,
        fees: args.fees,
        epoch_seconds: args.epoch_seconds,
        epoch_anchor: 0,
        epoch_anchor_timestamp: now,
        genesis_timestamp: now,
        verifiers: args.verifiers.clone(),
        verifier_quorum: args.verifier_quorum,
        paused: false,
        bump: ctx.bumps.config,
    });

    emit!(NetworkInitialized {
        config: config.key(),
        admin: config.admin,
        payment_mint: config.payment_mint,
        stake_mint: config.stake_mint,
        treasury: config.treasury,
        fees: config.fees,
        epoch_seconds: config.epoch_seconds,
        genesis_timestamp: now,
        verifier_quorum: config.verifier_quorum,
        verifiers: args.verifiers,
    });
    Ok(())
}
