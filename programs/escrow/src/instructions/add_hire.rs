use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use common::tokens::transfer;
use registry::state::{Device, DeviceStatus, NetworkConfig};
use staking::state::{StakeAccount, StakingConfig};

use crate::errors::EscrowError;
use crate::events::HireAdded;
use crate::state::{DeviceLock, EpochTerms, Hire, Lease, seeds};

#[event_cpi]
#[derive(Accounts)]
pub struct AddHire<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut, has_one = renter @ EscrowError::NotRenter)]
    pub lease: Box<Account<'info, Lease>>,

    /// A registry `Device` (owner and discriminator checked by `Account`).
    pub device: Box<Account<'info, Device>>,

    /// The staking program's config (owner-checked by `Account`): the minimum-stake table.
    pub staking_config: Box<Account<'info, StakingConfig>>,

    /// The device's stake account in the staking program (owner-checked by `Account`).
    #[account(constraint = stake.device == device.key() @ EscrowError::WrongAccount)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        init,
        payer = renter,
        space = 8 + Hire::INIT_SPACE,
        seeds = [seeds::HIRE, lease.key().as_ref(), device.key().as_ref()],
        bump,
    )]
    pub hire: Box<Account<'info, Hire>>,

    /// Exists while the device is bound: a second hire of it fails here.
    #[account(
        init,
        payer = renter,
        space = 8 + DeviceLock::INIT_SPACE,
        seeds = [seeds::LOCK, device.key().as_ref()],
        bump,
    )]
    pub lock: Box<Account<'info, DeviceLock>>,

    #[account(mut, address = lease.vault @ EscrowError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = renter,
        token::token_program = token_program,
    )]
    pub renter_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = lease.payment_mint @ EscrowError::WrongPaymentMint)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub renter: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Binds `device` (active, priced at or below the lease maximum, staked at or above its
/// minimum) to the lease for `epochs` epochs from the next epoch boundary (the
/// device is the renter's at once; billing starts with the next full epoch).
pub fn handler(ctx: Context<AddHire>, epochs: u64) -> Result<()> {
    let config = &ctx.accounts.config;
    let lease = &ctx.accounts.lease;
    let device = &ctx.accounts.device;
    require!(!config.paused, EscrowError::NetworkPaused);
    lease.require_open()?;
    require!(
        device.status == DeviceStatus::Active,
        EscrowError::DeviceNotActive
    );
    require!(
        device.price_per_gpu_hour <= lease.max_price_per_gpu_hour,
        EscrowError::PriceAboveMax
    );
    require!(epochs > 0, EscrowError::ZeroEpochs);
    let min_stake = ctx.accounts.staking_config.min_stake(&device.specs)?;
    require!(
        ctx.accounts.stake.active >= min_stake,
        EscrowError::BelowMinimumStake
    );

    let terms = EpochTerms::new(
        device.price_per_gpu_hour,
        device.specs.gpu_count,
        config.epoch_seconds,
        config.fees.renter_fee_bps,
        config.fees.supplier_fee_bps,
    )?;
    let deposit = terms.deposit(epochs)?;
    let current = config.epoch_at(Clock::get()?.unix_timestamp)?;
    let start_epoch = current.checked_add(1).ok_or(EscrowError::Overflow)?;
    let end_epoch = start_epoch
        .checked_add(epochs)
        .ok_or(EscrowError::Overflow)?;

    let a = &ctx.accounts;
    transfer(
        &a.token_program.to_account_info(),
        &a.renter_token.to_account_info(),
        &a.vault.to_account_info(),
        &a.renter.to_account_info(),
        &a.payment_mint,
        deposit,
        &[],
    )?;

    let lease_key = ctx.accounts.lease.key();
    let device_key = device.key();
    let hire_key = ctx.accounts.hire.key();
    let (owner, gpu_count, price) = (
        device.owner,
        device.specs.gpu_count,
        device.price_per_gpu_hour,
    );
    ctx.accounts.hire.set_inner(Hire {
        version: Hire::VERSION,
        lease: lease_key,
        device: device_key,
        owner,
        gpu_count,
        price_per_gpu_hour: price,
        terms,
        start_epoch,
        end_epoch,
        settled_through: start_epoch,
        released: false,
        epochs_paid: 0,
        epochs_missed: 0,
        paid_to_owner: 0,
        fees: 0,
        refunded: 0,
        bump: ctx.bumps.hire,
        reserved: [0; 32],
    });
    ctx.accounts.lock.set_inner(DeviceLock {
        version: DeviceLock::VERSION,
        device: device_key,
        lease: lease_key,
        hire: hire_key,
        bump: ctx.bumps.lock,
        reserved: [0; 32],
    });
    let lease = &mut ctx.accounts.lease;
    lease.hires = lease.hires.checked_add(1).ok_or(EscrowError::Overflow)?;
    lease.active_hires = lease
        .active_hires
        .checked_add(1)
        .ok_or(EscrowError::Overflow)?;
    lease.totals.deposited = lease
        .totals
        .deposited
        .checked_add(deposit)
        .ok_or(EscrowError::Overflow)?;

    emit_cpi!(HireAdded {
        lease: lease_key,
        hire: hire_key,
        device: device_key,
        owner,
        gpu_count,
        price_per_gpu_hour: price,
        terms,
        start_epoch,
        end_epoch,
        deposit,
    });
    Ok(())
}
