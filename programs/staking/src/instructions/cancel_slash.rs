use anchor_lang::prelude::*;
use registry::state::NetworkConfig;

use crate::errors::StakingError;
use crate::events::SlashCancelled;
use crate::state::{Slash, SlashStatus, StakeAccount, StakingConfig};

#[event_cpi]
#[derive(Accounts)]
pub struct CancelSlash<'info> {
    #[account(has_one = admin @ StakingError::NotAdmin)]
    pub network: Box<Account<'info, NetworkConfig>>,

    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(mut, has_one = stake @ StakingError::WrongAccount)]
    pub slash: Box<Account<'info, Slash>>,

    pub admin: Signer<'info>,
}

/// Governance drops a pending slash within its challenge window.
pub fn handler(ctx: Context<CancelSlash>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let window = i64::from(ctx.accounts.config.challenge_window_seconds);
    let slash = &mut ctx.accounts.slash;
    require!(
        slash.status == SlashStatus::Pending,
        StakingError::SlashNotPending
    );
    require!(
        now < slash.proposed_at + window,
        StakingError::ChallengeWindowClosed
    );
    slash.status = SlashStatus::Cancelled;
    let stake = &mut ctx.accounts.stake;
    stake.pending_slashes -= 1;
    stake.pending_slash_amount -= slash.amount;
    let event = SlashCancelled {
        slash: slash.key(),
        device: slash.device,
    };
    emit_cpi!(event);
    Ok(())
}
