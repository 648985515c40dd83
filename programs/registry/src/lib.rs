//! gpunet registry: the network's configuration (and, as the protocol grows, its devices
//! and their uptime attestations). `lib.rs` only dispatches; each instruction lives in
//! `instructions/<noun>_<verb>.rs` with its accounts, checks and handler.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;

use instructions::*;

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
}
