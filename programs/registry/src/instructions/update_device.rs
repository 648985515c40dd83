use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::DeviceUpdated;
use crate::state::{Device, DeviceSpecs, DeviceStatus, seeds, validate_agent};

/// `None` leaves a field as it is.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct UpdateDeviceArgs {
    pub specs: Option<DeviceSpecs>,
    /// Applies to hires made from now on; running hires keep the price they were made at.
    pub price_per_gpu_hour: Option<u64>,
    /// Rotates the agent key (for example after the machine was reinstalled or the hot
    /// key leaked): the old key can no longer attest.
    pub agent: Option<Pubkey>,
}

#[derive(Accounts)]
pub struct UpdateDevice<'info> {
    #[account(
        mut,
        seeds = [seeds::DEVICE, device.owner.as_ref(), &device.device_id.to_le_bytes()],
        bump = device.bump,
        has_one = owner @ RegistryError::NotDeviceOwner,
    )]
    pub device: Account<'info, Device>,

    pub owner: Signer<'info>,
}

pub fn handler(ctx: Context<UpdateDevice>, args: UpdateDeviceArgs) -> Result<()> {
    require!(
        args.specs.is_some() || args.price_per_gpu_hour.is_some() || args.agent.is_some(),
        RegistryError::EmptyUpdate
    );
    let device = &mut ctx.accounts.device;
    require!(
        device.status != DeviceStatus::Retired,
        RegistryError::DeviceRetired
    );
    if let Some(specs) = args.specs {
        specs.validate()?;
        device.specs = specs;
        device.connectivity_tier = specs.connectivity_tier();
    }
    if let Some(price) = args.price_per_gpu_hour {
        require!(price > 0, RegistryError::InvalidPrice);
        device.price_per_gpu_hour = price;
    }
    if let Some(agent) = args.agent {
        validate_agent(&agent, &device.owner)?;
        device.agent = agent;
    }

    emit!(DeviceUpdated {
        device: device.key(),
        agent: device.agent,
        specs: device.specs,
        connectivity_tier: device.connectivity_tier,
        price_per_gpu_hour: device.price_per_gpu_hour,
    });
    Ok(())
}
