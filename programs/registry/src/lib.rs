//! gpunet registry: the network's configuration, its devices and their uptime
//! attestations. `lib.rs` only dispatches; each instruction lives in
//! `instructions/<noun>_<verb>.rs` with its accounts, checks and handler.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;
pub mod tokens;

use instructions::*;
use state::DeviceStatus;

declare_id!("2xSEWANw6rMRcdou1SSjDqLbDUPrrXsvw5vpAf1DAXHv");

#[program]
pub mod registry {
    use super::*;

    /// Creates the singleton `NetworkConfig`. Only the program's upgrade authority may
    /// call it, so nobody can front-run the deployer and make themselves admin.
    pub fn initialize_network(
        ctx: Context<InitializeNetwork>,
        args: InitializeNetworkArgs,
    ) -> Result<()> {
        instructions::network_initialize::handler(ctx, args)
    }

    /// Changes fees, epoch length, treasury, verifier set and quorum, or the pause flag,
    /// and can propose a new admin. Admin only; every field is validated as at init.
    pub fn update_config(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
        instructions::config_update::handler(ctx, args)
    }

    /// Completes an admin transfer proposed through `update_config`.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::admin_accept::handler(ctx)
    }

    /// Registers a device of the signing owner wallet with its agent key, specs and price.
    pub fn register_device(ctx: Context<RegisterDevice>, args: RegisterDeviceArgs) -> Result<()> {
        instructions::device_register::handler(ctx, args)
    }

    /// Changes specs, price or agent key. Owner only.
    pub fn update_device(ctx: Context<UpdateDevice>, args: UpdateDeviceArgs) -> Result<()> {
        instructions::device_update::handler(ctx, args)
    }

    /// Pauses, resumes or retires a device. Owner only.
    pub fn set_device_status(ctx: Context<SetDeviceStatus>, status: DeviceStatus) -> Result<()> {
        instructions::device_set_status::handler(ctx, status)
    }

    /// Records that the device was up in `epoch` (the current or the previous one), once
    /// per epoch, signed by its agent key and, when the network requires it, co-signed by
    /// a quorum of verifiers through ed25519 instructions in the same transaction.
    pub fn attest_uptime(ctx: Context<AttestUptime>, args: AttestUptimeArgs) -> Result<()> {
        instructions::uptime_attest::handler(ctx, args)
    }
}
