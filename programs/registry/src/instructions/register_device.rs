use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::DeviceRegistered;
use crate::state::{
    Device, DeviceSpecs, DeviceStatus, NetworkConfig, UptimeRecord, seeds, validate_agent,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RegisterDeviceArgs {
    /// Chosen by the owner; one owner can register many devices.
    pub device_id: u64,
    pub agent: Pubkey,
    pub specs: DeviceSpecs,
    pub price_per_gpu_hour: u64,
}

#[derive(Accounts)]
#[instruction(args: RegisterDeviceArgs)]
pub struct RegisterDevice<'info> {
    #[account(seeds = [seeds::NETWORK], bump = config.bump)]
    pub config: Account<'info, NetworkConfig>,

    #[account(
        init,
        payer = owner,
        space = 8 + Device::INIT_SPACE,
        seeds = [seeds::DEVICE, owner.key().as_ref(), &args.device_id.to_le_bytes()],
        bump,
    )]
    pub device: Account<'info, Device>,

    #[account(mut)]
    pub owner: Signer<'info>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<RegisterDevice>, args: RegisterDeviceArgs) -> Result<()> {
    require!(!ctx.accounts.config.paused, RegistryError::NetworkPaused);
    args.specs.validate()?;
    require!(args.price_per_gpu_hour > 0, RegistryError::InvalidPrice);
    let owner = ctx.accounts.owner.key();
    validate_agent(&args.agent, &owner)?;

    let now = Clock::get()?.unix_timestamp;
    let device = &mut ctx.accounts.device;
    device.set_inner(Device {
        version: Device::VERSION,
        owner,
        device_id: args.device_id,
        agent: args.agent,
        specs: args.specs,
        connectivity_tier: args.specs.connectivity_tier(),
        price_per_gpu_hour: args.price_per_gpu_hour,
        status: DeviceStatus::Active,
        registered_at: now,
        uptime: UptimeRecord::default(),
        bump: ctx.bumps.device,
        reserved: [0; 32],
    });

    emit!(DeviceRegistered {
        device: device.key(),
        owner,
        device_id: args.device_id,
        agent: args.agent,
        specs: args.specs,
        connectivity_tier: device.connectivity_tier,
        price_per_gpu_hour: args.price_per_gpu_hour,
        registered_at: now,
    });
    Ok(())
}
