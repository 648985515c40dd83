use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;

use crate::constants::BPS;
use crate::errors::StakingError;
use crate::events::SlashFinalized;
use crate::state::{Slash, SlashStatus, StakeAccount, StakingConfig, seeds};
use crate::vault;

#[event_cpi]
#[derive(Accounts)]
pub struct FinalizeSlash<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(mut, has_one = stake @ StakingError::WrongAccount)]
    pub slash: Box<Account<'info, Slash>>,

    #[account(
        mut,
        seeds = [seeds::STAKE_VAULT, stake.device.as_ref()],
        bump = stake.vault_bump,
    )]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the network treasury in the stake mint.
    #[account(
        mut,
        token::mint = stake_mint,
        token::authority = network.treasury,
        token::token_program = token_program,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The beneficiary's token account in the stake mint (any account when the slash has
    /// no beneficiary or the renter share is zero; it then receives nothing).
    #[account(mut, token::mint = stake_mint, token::token_program = token_program)]
    pub beneficiary_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.stake_mint)]
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// After the challenge window anyone executes a pending slash: up to its amount is taken,
/// from the cooling stake first (stake on its way out cannot escape), then the active one;
/// the renter share goes to the beneficiary, the rest to the treasury.
pub fn handler(ctx: Context<FinalizeSlash>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let window = i64::from(a.config.challenge_window_seconds);
    require!(
        a.slash.status == SlashStatus::Pending,
        StakingError::SlashNotPending
    );
    require!(
        now >= a.slash.proposed_at + window,
        StakingError::ChallengeWindowOpen
    );

    let taken = a.slash.amount.min(a.stake.cooling + a.stake.active);
    let to_renter = match a.slash.beneficiary {
        Some(beneficiary) => {
            let share = (u128::from(taken) * u128::from(a.config.slash.renter_share_bps)
                / u128::from(BPS)) as u64;
            if share > 0 {
                require_keys_eq!(
                    a.beneficiary_token.owner,
                    beneficiary,
                    StakingError::WrongAccount
                );
            }
            share
        }
        None => 0,
    };
    let to_treasury = taken - to_renter;
    let vault_info = a.stake_vault.to_account_info();
    let token_program = a.token_program.to_account_info();
    for (to, amount) in [
        (a.beneficiary_token.to_account_info(), to_renter),
        (a.treasury_token.to_account_info(), to_treasury),
    ] {
        vault::pay_out(
            &a.config,
            &vault_info,
            &to,
            &a.stake_mint,
            &token_program,
            amount,
        )?;
    }

    let stake = &mut ctx.accounts.stake;
    let from_cooling = taken.min(stake.cooling);
    stake.cooling -= from_cooling;
    stake.active -= taken - from_cooling;
    stake.pending_slashes -= 1;
    let slash = &mut ctx.accounts.slash;
    stake.pending_slash_amount -= slash.amount;
    stake.slashed_total += taken;
    slash.status = SlashStatus::Finalized;
    slash.taken = taken;
    let event = SlashFinalized {
        slash: slash.key(),
        device: slash.device,
        taken,
        to_renter,
        to_treasury,
    };
    emit_cpi!(event);
    Ok(())
}
