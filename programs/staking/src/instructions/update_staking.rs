use anchor_lang::prelude::*;
use registry::state::NetworkConfig;

use crate::errors::StakingError;
use crate::events::StakingConfigured;
use crate::state::{StakingConfig, StakingParams};

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateStaking<'info> {
    #[account(has_one = admin @ StakingError::NotAdmin)]
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    pub admin: Signer<'info>,
}

/// Replaces every parameter (validated as at init). Emission already assigned to epochs
/// stays assigned; the cap applies to the total.
pub fn handler(ctx: Context<UpdateStaking>, params: StakingParams) -> Result<()> {
    params.validate()?;
    let config = &mut ctx.accounts.config;
    config.apply(params.clone());
    let key = config.key();
    emit_cpi!(StakingConfigured {
        config: key,
        params
    });
    Ok(())
}
