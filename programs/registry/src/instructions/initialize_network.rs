use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_spl::token_interface::Mint;

use crate::errors::RegistryError;
use crate::events::NetworkInitialized;
use crate::state::upgradeable_loader::{programdata_address, upgrade_authority};
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
        require!(
            self.treasury != Pubkey::default(),
            RegistryError::InvalidTreasury
        );
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

    /// CHECK: this program's own account, owned by the upgradeable loader; its recorded
    /// program-data address must be `program_data` (checked in `validate`).
    #[account(address = crate::program_id::ID, owner = bpf_loader_upgradeable::ID)]
    pub program: UncheckedAccount<'info>,

    /// CHECK: owned by the upgradeable loader; its upgrade authority must be `admin`
    /// (checked in `validate`).
    #[account(owner = bpf_loader_upgradeable::ID)]
    pub program_data: UncheckedAccount<'info>,

    #[account(
        constraint = payment_mint.key() != stake_mint.key() @ RegistryError::SameMints,
    )]
    pub payment_mint: InterfaceAccount<'info, Mint>,
    pub stake_mint: InterfaceAccount<'info, Mint>,

    pub system_program: Program<'info, System>,
}

impl InitializeNetwork<'_> {
    /// Only the program's upgrade authority may create the network: nobody can front-run
    /// the deployer and make themselves admin.
    pub fn validate(&self) -> Result<()> {
        let recorded = programdata_address(&self.program.try_borrow_data()?)?;
        require_keys_eq!(
            recorded,
            self.program_data.key(),
            RegistryError::WrongProgramData
        );
        let authority = upgrade_authority(&self.program_data.try_borrow_data()?)?;
        require!(
            authority == Some(self.admin.key()),
            RegistryError::NotUpgradeAuthority
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<InitializeNetwork>, args: InitializeNetworkArgs) -> Result<()> {
    ctx.accounts.validate()?;
    args.validate()?;
    let now = Clock::get()?.unix_timestamp;

    let config = &mut ctx.accounts.config;
    config.set_inner(NetworkConfig {
        version: NetworkConfig::VERSION,
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
        reserved: [0; 64],
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
