use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::AdminTransferred;
use crate::state::{NetworkConfig, seeds};

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    #[account(mut, seeds = [seeds::NETWORK], bump = config.bump)]
    pub config: Account<'info, NetworkConfig>,

    pub new_admin: Signer<'info>,
}

impl AcceptAdmin<'_> {
    pub fn validate(&self) -> Result<()> {
        let pending = self
            .config
            .pending_admin
            .ok_or(RegistryError::NoPendingAdmin)?;
        require_keys_eq!(
            pending,
            self.new_admin.key(),
            RegistryError::NotPendingAdmin
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    ctx.accounts.validate()?;
    let config = &mut ctx.accounts.config;
    let previous_admin = config.admin;
    config.admin = ctx.accounts.new_admin.key();
    config.pending_admin = None;

    emit!(AdminTransferred {
        config: config.key(),
        previous_admin,
        admin: config.admin
    });
    Ok(())
}
