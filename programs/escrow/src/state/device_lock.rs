use anchor_lang::prelude::*;

/// Proof that a device is bound, PDA `["lock", device]`: `add_hire` creates it and fails
/// if it exists, `release_hire` closes it, so a device is in at most one hire at a time.
#[account]
#[derive(InitSpace, Debug)]
pub struct DeviceLock {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub device: Pubkey,
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl DeviceLock {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}
