use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::DeviceStatusChanged;
use crate::state::{Device, DeviceStatus, seeds};

#[derive(Accounts)]
pub struct SetDeviceStatus<'info> {
    #[account(
        mut,
        seeds = [seeds::DEVICE, device.owner.as_ref(), &device.device_id.to_le_bytes()],
        bump = device.bump,
        has_one = owner @ RegistryError::NotDeviceOwner,
    )]
    pub device: Account<'info, Device>,

    pub owner: Signer<'info>,
}

/// Active <-> Paused, or either -> Retired (final). Running hires are not affected: they
/// keep being settled, and epochs the device no longer attests are refunded.
pub fn handler(ctx: Context<SetDeviceStatus>, status: DeviceStatus) -> Result<()> {
    let device = &mut ctx.accounts.device;
    require!(
        device.status != DeviceStatus::Retired,
        RegistryError::DeviceRetired
    );
    require!(device.status != status, RegistryError::StatusUnchanged);
    device.status = status;
    emit!(DeviceStatusChanged {
        device: device.key(),
        status,
    });
    Ok(())
}
