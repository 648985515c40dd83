use anchor_lang::prelude::*;

use crate::constants::{MAX_BPS, MAX_EPOCH_SECONDS, MAX_VERIFIERS};
use crate::errors::RegistryError;

/// Network fees in basis points of the amount they apply to. All go to the treasury.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeSchedule {
    /// Charged to the renter on top of a lease deposit.
    pub renter_fee_bps: u16,
    /// Withheld from the supplier's lease earnings.
    pub supplier_fee_bps: u16,
    /// Network share of every inference payment.
    pub inference_fee_bps: u16,
}

impl FeeSchedule {
    pub fn validate(&self) -> Result<()> {
        for fee in [
            self.renter_fee_bps,
            self.supplier_fee_bps,
            self.inference_fee_bps,
        ] {
            require!(fee <= MAX_BPS, RegistryError::FeeTooHigh);
        }
        Ok(())
    }
}

/// The singleton network configuration, PDA `["network"]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct NetworkConfig {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub admin: Pubkey,
    /// Set by `update_config`, confirmed by `accept_admin` (two steps, so a typo cannot
    /// hand the network to a key nobody holds).
    pub pending_admin: Option<Pubkey>,
    /// USDC (or any SPL / Token-2022 mint) in which leases and inferences are paid.
    pub payment_mint: Pubkey,
    /// The network token that suppliers stake and that block rewards are paid in.
    pub stake_mint: Pubkey,
    /// Wallet that owns the treasury token accounts receiving fees and slashes.
    pub treasury: Pubkey,
    pub fees: FeeSchedule,
    /// Current epoch length.
    pub epoch_seconds: u32,
    /// Epoch numbering: epoch `epoch_anchor` starts at `epoch_anchor_timestamp` and every
    /// later epoch lasts `epoch_seconds`. A change of length moves the anchor to the next
    /// epoch boundary so that epoch numbers never jump or repeat.
    pub epoch_anchor: u64,
    pub epoch_anchor_timestamp: i64,
    /// Unix time at which epoch 0 started.
    pub genesis_timestamp: i64,
    /// Verifiers whose ed25519 signatures count towards attestation quorum.
    #[max_len(MAX_VERIFIERS)]
    pub verifiers: Vec<Pubkey>,
    /// Signatures required per attestation; 0 allows self-attestation (development).
    pub verifier_quorum: u8,
    /// When set, no new leases, hires or registrations are accepted.
    pub paused: bool,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 64],
}

impl NetworkConfig {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

impl NetworkConfig {
    /// The epoch that contains unix time `now`.
    pub fn epoch_at(&self, now: i64) -> Result<u64> {
        common::epoch::epoch_at(
            self.epoch_anchor,
            self.epoch_anchor_timestamp,
            self.epoch_seconds,
            now,
        )
        .ok_or_else(|| error!(RegistryError::Overflow))
    }

    /// The start time of `epoch` (which must not precede the anchor).
    pub fn epoch_start(&self, epoch: u64) -> Result<i64> {
        common::epoch::epoch_start(
            self.epoch_anchor,
            self.epoch_anchor_timestamp,
            self.epoch_seconds,
            epoch,
        )
        .ok_or_else(|| error!(RegistryError::Overflow))
    }

    /// Changes the epoch length from the next epoch boundary on.
    pub fn set_epoch_seconds(&mut self, epoch_seconds: u32, now: i64) -> Result<()> {
        validate_epoch_seconds(epoch_seconds)?;
        let next = self
            .epoch_at(now)?
            .checked_add(1)
            .ok_or(RegistryError::Overflow)?;
        let next_start = self.epoch_start(next)?;
        self.epoch_anchor = next;
        self.epoch_anchor_timestamp = next_start;
        self.epoch_seconds = epoch_seconds;
        Ok(())
    }
}

pub fn validate_epoch_seconds(epoch_seconds: u32) -> Result<()> {
    require!(
        epoch_seconds > 0 && epoch_seconds <= MAX_EPOCH_SECONDS,
        RegistryError::InvalidEpochLength
    );
    Ok(())
}

pub fn validate_verifiers(verifiers: &[Pubkey], quorum: u8) -> Result<()> {
    require!(
        verifiers.len() <= MAX_VERIFIERS,
        RegistryError::TooManyVerifiers
    );
    for (i, verifier) in verifiers.iter().enumerate() {
        require!(
            *verifier != Pubkey::default(),
            RegistryError::InvalidVerifier
        );
        require!(
            !verifiers[..i].contains(verifier),
            RegistryError::DuplicateVerifier
        );
    }
    require!(
        usize::from(quorum) <= verifiers.len(),
        RegistryError::QuorumTooHigh
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seconds: u32, genesis: i64) -> NetworkConfig {
        NetworkConfig {
            version: NetworkConfig::VERSION,
            admin: Pubkey::new_unique(),
            pending_admin: None,
            payment_mint: Pubkey::new_unique(),
            stake_mint: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            fees: FeeSchedule {
                renter_fee_bps: 25,
                supplier_fee_bps: 25,
                inference_fee_bps: 200,
            },
            epoch_seconds: seconds,
            epoch_anchor: 0,
            epoch_anchor_timestamp: genesis,
            genesis_timestamp: genesis,
            verifiers: vec![],
            verifier_quorum: 0,
            paused: false,
            bump: 255,
            reserved: [0; 64],
        }
    }

    #[test]
    fn epochs_count_from_genesis() {
        let c = config(3600, 1_000);
        assert_eq!(c.epoch_at(1_000).unwrap(), 0);
        assert_eq!(c.epoch_at(4_599).unwrap(), 0);
        assert_eq!(c.epoch_at(4_600).unwrap(), 1);
        assert_eq!(c.epoch_at(1_000 + 3600 * 24).unwrap(), 24);
    }

    #[test]
    fn changing_epoch_length_keeps_the_running_epoch_and_never_repeats_a_number() {
        let mut c = config(3600, 0);
        // In epoch 2 (t = 7,300), shorten epochs to 60 s.
        c.set_epoch_seconds(60, 7_300).unwrap();
        assert_eq!(
            c.epoch_at(7_300).unwrap(),
            2,
            "the running epoch is unchanged"
        );
        assert_eq!(c.epoch_at(10_799).unwrap(), 2, "and runs to its old end");
        assert_eq!(c.epoch_at(10_800).unwrap(), 3);
        assert_eq!(c.epoch_at(10_860).unwrap(), 4);
        // A second change before the first took effect keeps the same boundary.
        c.set_epoch_seconds(120, 8_000).unwrap();
        assert_eq!(c.epoch_at(10_799).unwrap(), 2);
        assert_eq!(c.epoch_at(10_800 + 120).unwrap(), 4);
    }

    #[test]
    fn epoch_length_bounds() {
        assert!(validate_epoch_seconds(0).is_err());
        assert!(validate_epoch_seconds(1).is_ok());
        assert!(validate_epoch_seconds(MAX_EPOCH_SECONDS).is_ok());
        assert!(validate_epoch_seconds(MAX_EPOCH_SECONDS + 1).is_err());
    }

    #[test]
    fn verifier_set_rules() {
        let a = Pubkey::new_unique();
        let b = Pubkey::new_unique();
        assert!(validate_verifiers(&[], 0).is_ok());
        assert!(validate_verifiers(&[a, b], 2).is_ok());
        assert!(validate_verifiers(&[a, b], 3).is_err());
        assert!(validate_verifiers(&[a, a], 1).is_err());
        assert!(validate_verifiers(&[Pubkey::default()], 0).is_err());
        let many: Vec<Pubkey> = (0..=MAX_VERIFIERS).map(|_| Pubkey::new_unique()).collect();
        assert!(validate_verifiers(&many, 1).is_err());
    }

    #[test]
    fn fee_bounds() {
        let ok = FeeSchedule {
            renter_fee_bps: 10_000,
            supplier_fee_bps: 0,
            inference_fee_bps: 1,
        };
        assert!(ok.validate().is_ok());
        let bad = FeeSchedule {
            inference_fee_bps: 10_001,
            ..ok
        };
        assert!(bad.validate().is_err());
    }
}
