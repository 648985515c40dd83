use anchor_lang::prelude::*;

use crate::errors::StakingError;
use crate::events::UnstakeRequested;
use crate::state::{StakeAccount, StakingConfig};

#[event_cpi]
#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut, has_one = owner @ StakingError::NotDeviceOwner)]
    pub stake: Box<Account<'info, StakeAccount>>,

    pub owner: Signer<'info>,
}

/// Moves `amount` from active to cooling: it stops counting at once (the device may fall
/// below its minimum and become unhireable), stays slashable, and can be withdrawn after
/// the cooldown, which restarts with every request.
pub fn handler(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
    require!(amount > 0, StakingError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let cooldown = i64::from(ctx.accounts.config.cooldown_seconds);
    let stake = &mut ctx.accounts.stake;
    require!(amount <= stake.active, StakingError::InsufficientStake);
    stake.active -= amount;
    stake.cooling += amount;
    stake.unlock_at = now + cooldown;
    let event = UnstakeRequested {
        device: stake.device,
        amount,
        active: stake.active,
        cooling: stake.cooling,
        unlock_at: stake.unlock_at,
    };
    emit_cpi!(event);
    Ok(())
}
