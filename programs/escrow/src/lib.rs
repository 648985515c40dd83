//! gpunet escrow: cluster leases. A renter deposits into a lease vault, binds devices for
//! whole epochs, and every final epoch is settled lazily by anyone: attested epochs pay the
//! device owner (minus the supplier fee), missed ones refund the renter. `lib.rs` only
//! dispatches; each instruction lives in `instructions/<instruction>.rs`, named after it.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod program_id;
pub mod state;
pub mod vault;

use instructions::*;
pub use program_id::*;

common::security_txt!("gpunet escrow");

#[program]
pub mod escrow {
    use super::*;

    /// Opens a cluster with its payment vault. Signed by the renter, who pays the rent.
    pub fn create_lease(ctx: Context<CreateLease>, args: CreateLeaseArgs) -> Result<()> {
        instructions::create_lease::handler(ctx, args)
    }

    /// Binds one active device, priced at or below the lease's maximum, for `epochs`
    /// epochs from the next epoch boundary, depositing price × GPUs × epochs + renter fee.
    pub fn add_hire(ctx: Context<AddHire>, epochs: u64) -> Result<()> {
        instructions::add_hire::handler(ctx, epochs)
    }

    /// Pays or refunds the hire's final epochs (permissionless, bounded per call).
    pub fn settle_hire(ctx: Context<SettleHire>) -> Result<()> {
        instructions::settle_hire::handler(ctx)
    }

    /// Adds epochs to a running hire at its original terms. Renter only.
    pub fn extend_hire(ctx: Context<ExtendHire>, epochs: u64) -> Result<()> {
        instructions::extend_hire::handler(ctx, epochs)
    }

    /// Frees the device and refunds the epochs after the running one.
    pub fn release_hire(ctx: Context<ReleaseHire>) -> Result<()> {
        instructions::release_hire::handler(ctx)
    }

    /// Ends the cluster after the running epoch. Renter only.
    pub fn terminate_lease(ctx: Context<TerminateLease>) -> Result<()> {
        instructions::terminate_lease::handler(ctx)
    }

    /// Closes a released, settled hire; the rent returns to the renter.
    pub fn close_hire(ctx: Context<CloseHire>) -> Result<()> {
        instructions::close_hire::handler(ctx)
    }

    /// Closes a lease without hires, with its vault. Renter only.
    pub fn close_lease(ctx: Context<CloseLease>) -> Result<()> {
        instructions::close_lease::handler(ctx)
    }
}
