use anchor_lang::prelude::*;

use crate::errors::RegistryError;
use crate::events::ConfigUpdated;
use crate::state::{FeeSchedule, NetworkConfig, seeds, validate_verifiers};

/// A verifier set and its quorum change together, so they are always consistent.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct VerifierSet {
    pub verifiers: Vec<Pubkey>,
    pub quorum: u8,
}

/// Every field is optional; `None` leaves the value as it is. The mints cannot change:
/// leases, stakes and vaults already exist in them.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct UpdateConfigArgs {
    pub fees: Option<FeeSchedule>,
    /// Takes effect at the next epoch boundary; epoch numbers never jump.
    pub epoch_seconds: Option<u32>,
    pub treasury: Option<Pubkey>,
    pub verifier_set: Option<VerifierSet>,
    pub paused: Option<bool>,
    /// Proposes a new admin, who must then call `accept_admin`.
    pub new_admin: Option<Pubkey>,
}

impl UpdateConfigArgs {
    fn is_empty(&self) -> bool {
        self.fees.is_none()
            && self.epoch_seconds.is_none()
            && self.treasury.is_none()
            && self.verifier_set.is_none()
            && self.paused.is_none()
            && self.new_admin.is_none()
    }

    pub fn validate(&self) -> Result<()> {
        require!(!self.is_empty(), RegistryError::EmptyUpdate);
        if let Some(fees) = &self.fees {
            fees.validate()?;
        }
        if let Some(treasury) = self.treasury {
            require!(
                treasury != Pubkey::default(),
                RegistryError::InvalidTreasury
            );
        }
        if let Some(set) = &self.verifier_set {
            validate_verifiers(&set.verifiers, set.quorum)?;
        }
        if let Some(admin) = self.new_admin {
            require!(admin != Pubkey::default(), RegistryError::InvalidAdmin);
        }
        Ok(())
    }
}

#[derive(Accounts)]
pub struct UpdateConfig<'info> {
    #[account(
        mut,
        seeds = [seeds::NETWORK],
        bump = config.bump,
        has_one = admin @ RegistryError::NotAdmin,
    )]
    pub config: Account<'info, NetworkConfig>,

    pub admin: Signer<'info>,
}

pub fn handler(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
    args.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;

    if let Some(fees) = args.fees {
        config.fees = fees;
    }
    if let Some(epoch_seconds) = args.epoch_seconds {
        config.set_epoch_seconds(epoch_seconds, now)?;
    }
    if let Some(treasury) = args.treasury {
        config.treasury = treasury;
    }
    if let Some(set) = args.verifier_set {
        config.verifiers = set.verifiers;
        config.verifier_quorum = set.quorum;
    }
    if let Some(paused) = args.paused {
        config.paused = paused;
    }
    if let Some(admin) = args.new_admin {
        config.pending_admin = Some(admin);
    }

    emit!(ConfigUpdated {
        config: config.key(),
        admin: config.admin,
        pending_admin: config.pending_admin,
        treasury: config.treasury,
        fees: config.fees,
        epoch_seconds: config.epoch_seconds,
        epoch_anchor: config.epoch_anchor,
        epoch_anchor_timestamp: config.epoch_anchor_timestamp,
        verifier_quorum: config.verifier_quorum,
        verifiers: config.verifiers.clone(),
        paused: config.paused,
    });
    Ok(())
}
