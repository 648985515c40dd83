use anchor_lang::prelude::*;

use crate::constants::{MAX_JOB_LEN, MAX_NAME_LEN};
use crate::errors::EscrowError;

/// A cluster: one renter, one payment vault, any number of hires. PDA
/// `["lease", renter, lease_id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Lease {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub renter: Pubkey,
    pub lease_id: u64,
    #[max_len(MAX_NAME_LEN)]
    pub name: String,
    /// What the leased devices run, read by the worker agent: `cmd:<shell command>` (run
    /// with `sh -c`), `image:<container image reference>`, or empty for the agent's
    /// built-in benchmark workload.
    #[max_len(MAX_JOB_LEN)]
    pub job: String,
    pub payment_mint: Pubkey,
    /// Token account `["vault", lease]`, owned by this PDA.
    pub vault: Pubkey,
    /// No device priced above this (payment base units per GPU-hour) can be hired.
    pub max_price_per_gpu_hour: u64,
    pub created_at: i64,
    /// Set by `terminate_lease`: no hire runs past this epoch (exclusive).
    pub terminated_at_epoch: Option<u64>,
    /// Hire accounts not yet closed.
    pub hires: u32,
    /// Hires whose device is still locked.
    pub active_hires: u32,
    /// Running totals; the vault owes `deposited - paid_to_owners - fees - refunded`.
    pub totals: LeaseTotals,
    pub bump: u8,
    pub vault_bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Lease {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct LeaseTotals {
    pub deposited: u64,
    pub paid_to_owners: u64,
    pub fees: u64,
    pub refunded: u64,
}

impl LeaseTotals {
    /// What the vault must still hold: deposits not yet paid out, charged or refunded.
    pub fn owed(&self) -> u64 {
        self.deposited - self.paid_to_owners - self.fees - self.refunded
    }
}

impl Lease {
    pub fn is_terminated(&self) -> bool {
        self.terminated_at_epoch.is_some()
    }

    pub fn require_open(&self) -> Result<()> {
        require!(!self.is_terminated(), EscrowError::LeaseTerminated);
        Ok(())
    }
}

pub fn validate_name(name: &str) -> Result<()> {
    require!(
        !name.is_empty() && name.len() <= MAX_NAME_LEN,
        EscrowError::InvalidName
    );
    Ok(())
}

/// Job spec schemes the worker agent understands.
pub const JOB_SCHEMES: [&str; 2] = ["cmd:", "image:"];

/// A job is empty (the agent's benchmark workload) or `cmd:...` / `image:...`, at most
/// `MAX_JOB_LEN` bytes.
pub fn validate_job(job: &str) -> Result<()> {
    require!(
        job.len() <= MAX_JOB_LEN
            && (job.is_empty() || JOB_SCHEMES.iter().any(|scheme| job.starts_with(scheme))),
        EscrowError::InvalidJob
    );
    Ok(())
}
