use anchor_lang::prelude::*;

/// Proof that a device is bound, PDA `["lock", device]`: `add_hire` creates it and fails
/// if it exists, `release_hire` closes it, so a device is in at most one hire at a time.
#[account]
#[derive(InitSpace, Debug)]
pub struct DeviceLock {
    pub device: Pubkey,
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub bump: u8,
}
