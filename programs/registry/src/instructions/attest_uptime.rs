use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::UptimeAttested;
use crate::state::attestation::attestation_message;
use crate::state::{Device, DeviceStatus, NetworkConfig, max_uptime_minutes, uptime_bps};
use common::ed25519::count_signers;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AttestUptimeArgs {
    pub epoch: u64,
    pub uptime_minutes: u16,
    /// Digest of the proof-of-work benchmark the agent ran this epoch.
    pub pow_digest: [u8; 32],
}

#[derive(Accounts)]
pub struct AttestUptime<'info> {
    /// Owner and discriminator identify it: the only `NetworkConfig` this program ever
    /// creates is the one at `["network"]`, so re-deriving the PDA (1,500 CU) adds nothing.
    pub config: Account<'info, NetworkConfig>,

    /// Likewise, every `Device` of this program was created at its PDA by `register_device`.
    #[account(mut, has_one = agent @ RegistryError::NotDeviceAgent)]
    pub device: Account<'info, Device>,

    pub agent: Signer<'info>,

    /// CHECK: the instructions sysvar (address checked when verifier signatures are read).
    pub instructions: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<AttestUptime>, args: AttestUptimeArgs) -> Result<()> {
    let config = &ctx.accounts.config;
    let device = &mut ctx.accounts.device;
    require!(
        device.status != DeviceStatus::Retired,
        RegistryError::DeviceRetired
    );

    let current = config.epoch_at(Clock::get()?.unix_timestamp)?;
    require!(
        args.epoch == current || args.epoch.checked_add(1) == Some(current),
        RegistryError::EpochNotAttestable
    );
    require!(
        !device.uptime.is_attested(args.epoch),
        RegistryError::AlreadyAttested
    );
    require!(
        args.uptime_minutes > 0
            && u64::from(args.uptime_minutes) <= max_uptime_minutes(config.epoch_seconds),
        RegistryError::InvalidUptime
    );

    let mut verifier_signatures = 0;
    if config.verifier_quorum > 0 {
        let message = attestation_message(
            &device.key(),
            args.epoch,
            args.uptime_minutes,
            &args.pow_digest,
        );
        let signed = count_signers(
            &ctx.accounts.instructions.to_account_info(),
            &config.verifiers,
            &message,
        )
        .map_err(RegistryError::from)?;
        require!(
            signed >= usize::from(config.verifier_quorum),
            RegistryError::VerifierQuorumNotMet
        );
        verifier_signatures = signed as u8;
    }

    let sample = uptime_bps(args.uptime_minutes, config.epoch_seconds);
    device
        .uptime
        .record(args.epoch, args.uptime_minutes, sample, args.pow_digest);

    emit!(UptimeAttested {
        device: device.key(),
        epoch: args.epoch,
        uptime_minutes: args.uptime_minutes,
        pow_digest: args.pow_digest,
        reliability_bps: device.uptime.reliability_bps,
        epochs_attested: device.uptime.epochs_attested,
        verifier_signatures,
    });
    Ok(())
}
