//! gpunet registry: the network's configuration, its devices and their uptime
//! attestations. `lib.rs` only dispatches; each instruction lives in
//! `instructions/<instruction>.rs`, named after it, with its accounts, checks and handler.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod program_id;
pub mod state;

use instructions::*;
pub use program_id::*;
use state::DeviceStatus;

common::security_txt!("gpunet registry");

#[program]
pub mod registry {
    use super::*;

    /// Creates the singleton `NetworkConfig`. Only the program's upgrade authority may
    /// call it, so nobody can front-run the deployer and make themselves admin.
    pub fn initialize_network(
        ctx: Context<InitializeNetwork>,
        args: InitializeNetworkArgs,
    ) -> Result<()> {
        instructions::initialize_network::handler(ctx, args)
    }

    /// Changes fees, epoch length, treasury, verifier set and quorum, or the pause flag,
    /// and can propose a new admin. Admin only; every field is validated as at init.
    pub fn update_config(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
        instructions::update_config::handler(ctx, args)
    }

    /// Completes an admin transfer proposed through `update_config`.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::accept_admin::handler(ctx)
    }

    /// Registers a device of the signing owner wallet with its agent key, specs and price.
    pub fn register_device(ctx: Context<RegisterDevice>, args: RegisterDeviceArgs) -> Result<()> {
        instructions::register_device::handler(ctx, args)
    }

    /// Changes specs, price or agent key. Owner only.
    pub fn update_device(ctx: Context<UpdateDevice>, args: UpdateDeviceArgs) -> Result<()> {
        instructions::update_device::handler(ctx, args)
    }

    /// Pauses, resumes or retires a device. Owner only.
    pub fn set_device_status(ctx: Context<SetDeviceStatus>, status: DeviceStatus) -> Result<()> {
        instructions::set_device_status::handler(ctx, status)
    }

    /// Records that the device was up in `epoch` (the current or the previous one), once
    /// per epoch, signed by its agent key and, when the network requires it, co-signed by
    /// a quorum of verifiers through ed25519 instructions in the same transaction.
    pub fn attest_uptime(ctx: Context<AttestUptime>, args: AttestUptimeArgs) -> Result<()> {
        instructions::attest_uptime::handler(ctx, args)
    }
}
