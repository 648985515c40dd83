use anchor_lang::prelude::*;

use crate::constants::{MAX_BPS, MAX_GPUS_PER_DEVICE, RING_EPOCHS, RING_WORDS};
use crate::errors::RegistryError;

/// What the supplier declares about the machine. Codes are documented in docs/registry.md.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceSpecs {
    /// GPU model code (0 = CPU only); the staking config maps it to a hardware multiplier.
    pub gpu_model: u16,
    /// GPUs in the machine (1 for a CPU-only device).
    pub gpu_count: u16,
    /// Memory per GPU in MiB.
    pub vram_mib: u32,
    pub cpu_cores: u16,
    pub ram_mib: u32,
    pub bandwidth_down_mbps: u32,
    pub bandwidth_up_mbps: u32,
    /// ISO 3166-1 alpha-2 country code, upper case ASCII.
    pub country: [u8; 2],
    /// Region within the country (0 = unspecified).
    pub region: u16,
    /// Supplier group code (independent data centre, mining farm, partner network, ...).
    pub supplier_group: u8,
    /// Security tier code (0 = none declared).
    pub security_tier: u8,
    /// Renewable-powered.
    pub green: bool,
}

impl DeviceSpecs {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.gpu_count >= 1 && self.gpu_count <= MAX_GPUS_PER_DEVICE,
            RegistryError::InvalidGpuCount
        );
        require!(
            self.country.iter().all(u8::is_ascii_uppercase),
            RegistryError::InvalidCountry
        );
        Ok(())
    }

    /// Connectivity tier from the slower direction: 0 below 100 Mbit/s, 1 from 100 Mbit/s,
    /// 2 from 1 Gbit/s, 3 from 10 Gbit/s.
    pub fn connectivity_tier(&self) -> u8 {
        match self.bandwidth_down_mbps.min(self.bandwidth_up_mbps) {
            0..100 => 0,
            100..1_000 => 1,
            1_000..10_000 => 2,
            _ => 3,
        }
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Can be hired and attests uptime.
    Active,
    /// Set by the owner: attests, keeps running hires, accepts no new hire.
    Paused,
    /// Final: no attestations, no hires.
    Retired,
}

/// A supplier's machine, PDA `["device", owner, device_id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Device {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    /// Cold wallet: owns stake and earnings, changes specs, price and status.
    pub owner: Pubkey,
    pub device_id: u64,
    /// Hot key on the machine: can only attest uptime and submit receipts.
    pub agent: Pubkey,
    pub specs: DeviceSpecs,
    /// Derived from the declared bandwidth by `DeviceSpecs::connectivity_tier`.
    pub connectivity_tier: u8,
    /// Price per GPU-hour in payment-mint base units.
    pub price_per_gpu_hour: u64,
    pub status: DeviceStatus,
    pub registered_at: i64,
    pub uptime: UptimeRecord,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Device {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

/// Attestations of a device: which recent epochs were attested, counters and score.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UptimeRecord {
    /// Bit `e % RING_EPOCHS` tells whether epoch `e` was attested, for the `RING_EPOCHS`
    /// epochs ending at `head_epoch`. Meaningless while `epochs_attested == 0`.
    pub bitmap: [u64; RING_WORDS],
    /// Highest epoch attested so far.
    pub head_epoch: u64,
    pub epochs_attested: u64,
    pub uptime_minutes: u64,
    /// Exponentially weighted uptime, basis points (weight 1/8 per epoch; a skipped epoch
    /// counts as zero uptime).
    pub reliability_bps: u16,
    /// Digest of the proof-of-work benchmark of the last attestation.
    pub last_pow_digest: [u8; 32],
}

/// What the ring knows about one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochAttestation {
    Attested,
    Missed,
    /// Too old for the ring: it no longer tells. Settlement treats it as not proven.
    Forgotten,
}

impl Default for UptimeRecord {
    fn default() -> Self {
        UptimeRecord {
            bitmap: [0; RING_WORDS],
            head_epoch: 0,
            epochs_attested: 0,
            uptime_minutes: 0,
            reliability_bps: 0,
            last_pow_digest: [0; 32],
        }
    }
}

impl UptimeRecord {
    fn bit(epoch: u64) -> (usize, u64) {
        let slot = (epoch % RING_EPOCHS) as usize;
        (slot / 64, 1u64 << (slot % 64))
    }

    /// The oldest epoch the ring still describes.
    fn oldest_known(&self) -> u64 {
        self.head_epoch.saturating_sub(RING_EPOCHS - 1)
    }

    pub fn status_of(&self, epoch: u64) -> EpochAttestation {
        if self.epochs_attested == 0 || epoch > self.head_epoch {
            return EpochAttestation::Missed;
        }
        if epoch < self.oldest_known() {
            return EpochAttestation::Forgotten;
        }
        let (word, mask) = Self::bit(epoch);
        if self.bitmap[word] & mask != 0 {
            EpochAttestation::Attested
        } else {
            EpochAttestation::Missed
        }
    }

    pub fn is_attested(&self, epoch: u64) -> bool {
        self.status_of(epoch) == EpochAttestation::Attested
    }

    /// Clears the bits of `count` (< RING_EPOCHS) epochs from `from` on, a word at a time.
    fn clear(&mut self, from: u64, count: u64) {
        let mut slot = from % RING_EPOCHS;
        let mut left = count;
        while left > 0 {
            let bit = slot % 64;
            let n = (64 - bit).min(left);
            let mask = if n == 64 {
                u64::MAX
            } else {
                ((1u64 << n) - 1) << bit
            };
            self.bitmap[(slot / 64) as usize] &= !mask;
            slot = (slot + n) % RING_EPOCHS;
            left -= n;
        }
    }

    /// Records an attestation of `epoch` with `sample_bps` uptime. The caller has checked
    /// that `epoch` is the current or the previous one and not yet attested.
    pub fn record(&mut self, epoch: u64, uptime_minutes: u16, sample_bps: u16, digest: [u8; 32]) {
        let first = self.epochs_attested == 0;
        if first || epoch > self.head_epoch {
            // Epochs strictly between the old head and `epoch` were skipped.
            let skipped = if first {
                0
            } else {
                epoch - self.head_epoch - 1
            };
            if first || skipped >= RING_EPOCHS {
                self.bitmap = [0; RING_WORDS];
            } else {
                // Clear the slots the ring reuses for the skipped epochs.
                self.clear(self.head_epoch + 1, skipped);
            }
            // After 64 skipped epochs the score is zero to the basis point anyway.
            for _ in 0..skipped.min(64) {
                self.reliability_bps -= self.reliability_bps.div_ceil(8);
            }
            self.head_epoch = epoch;
        }
        let (word, mask) = Self::bit(epoch);
        self.bitmap[word] |= mask;
        self.epochs_attested += 1;
        self.uptime_minutes += u64::from(uptime_minutes);
        // r <- r + (sample - r) / 8, in integers; stays within 0..=MAX_BPS.
        let r = i32::from(self.reliability_bps);
        let next = r + (i32::from(sample_bps) - r) / 8;
        self.reliability_bps = next.clamp(0, i32::from(MAX_BPS)) as u16;
        self.last_pow_digest = digest;
    }
}

/// The agent key is a separate hot key: never the owner's wallet, never the default key.
pub fn validate_agent(agent: &Pubkey, owner: &Pubkey) -> Result<()> {
    require!(
        *agent != Pubkey::default() && agent != owner,
        RegistryError::InvalidAgent
    );
    Ok(())
}

/// Uptime as basis points of an epoch of `epoch_seconds` (capped at 100 %).
pub fn uptime_bps(uptime_minutes: u16, epoch_seconds: u32) -> u16 {
    let bps = u64::from(uptime_minutes) * 60 * u64::from(MAX_BPS) / u64::from(epoch_seconds.max(1));
    bps.min(u64::from(MAX_BPS)) as u16
}

/// Most minutes an epoch of `epoch_seconds` can hold (a partial minute counts).
pub fn max_uptime_minutes(epoch_seconds: u32) -> u64 {
    u64::from(epoch_seconds).div_ceil(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: [u8; 32] = [7; 32];

    #[test]
    fn ring_remembers_recent_epochs_and_forgets_old_ones() {
        let mut u = UptimeRecord::default();
        assert_eq!(u.status_of(0), EpochAttestation::Missed);
        u.record(10, 60, 10_000, D);
        u.record(12, 60, 10_000, D);
        assert!(u.is_attested(10));
        assert_eq!(u.status_of(11), EpochAttestation::Missed);
        assert!(u.is_attested(12));
        assert_eq!(u.status_of(13), EpochAttestation::Missed);
        // A late attestation of the previous epoch after a newer one.
        u.record(11, 30, 5_000, D);
        assert!(u.is_attested(11));
        assert_eq!(u.head_epoch, 12);
        // Jump so that epoch 10's slot is reused: it must not look attested.
        u.record(10 + RING_EPOCHS, 60, 10_000, D);
        assert_eq!(u.status_of(10), EpochAttestation::Forgotten);
        assert_eq!(u.status_of(10 + RING_EPOCHS - 1), EpochAttestation::Missed);
        assert!(u.is_attested(12), "still inside the ring");
        assert_eq!(u.epochs_attested, 4);
        assert_eq!(u.uptime_minutes, 210);
        // A jump over the whole ring clears everything.
        u.record(10 * RING_EPOCHS, 1, 100, D);
        for e in 9 * RING_EPOCHS + 1..10 * RING_EPOCHS {
            assert!(!u.is_attested(e), "epoch {e}");
        }
        assert!(u.is_attested(10 * RING_EPOCHS));
    }

    #[test]
    fn ring_agrees_with_a_plain_set_of_attested_epochs() {
        // Deterministic pseudo-random walks of current-or-previous-epoch attestations.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50 {
            let mut u = UptimeRecord::default();
            let mut set = std::collections::BTreeSet::new();
            let mut now = next() % 1_000;
            for _ in 0..300 {
                now += match next() % 10 {
                    0 => next() % (2 * RING_EPOCHS),
                    1..=4 => 0,
                    _ => 1 + next() % 70,
                };
                let epoch = if next() % 3 == 0 {
                    now.saturating_sub(1)
                } else {
                    now
                };
                if set.contains(&epoch) || (u.epochs_attested > 0 && epoch + 1 < u.head_epoch) {
                    continue;
                }
                u.record(epoch, 1, 10_000, D);
                set.insert(epoch);
                let head = u.head_epoch;
                for e in head.saturating_sub(RING_EPOCHS + 5)..head + 5 {
                    let expected = if e + RING_EPOCHS <= head {
                        EpochAttestation::Forgotten
                    } else if set.contains(&e) {
                        EpochAttestation::Attested
                    } else {
                        EpochAttestation::Missed
                    };
                    assert_eq!(u.status_of(e), expected, "epoch {e}, head {head}");
                }
            }
        }
    }

    #[test]
    fn reliability_rises_with_uptime_and_decays_on_skipped_epochs() {
        let mut u = UptimeRecord::default();
        for e in 0..100 {
            u.record(e, 60, 10_000, D);
        }
        assert!(u.reliability_bps > 9_990, "{}", u.reliability_bps);
        let before = u.reliability_bps;
        u.record(102, 60, 10_000, D); // skipped 100 and 101
        assert!(u.reliability_bps < before);
        u.record(1_000, 60, 10_000, D);
        assert_eq!(
            u.reliability_bps, 1_250,
            "64+ skipped epochs reset the score"
        );
    }

    #[test]
    fn uptime_is_measured_against_the_epoch_length() {
        assert_eq!(uptime_bps(60, 3600), 10_000);
        assert_eq!(uptime_bps(30, 3600), 5_000);
        assert_eq!(uptime_bps(1, 30), 10_000, "capped");
        assert_eq!(max_uptime_minutes(3600), 60);
        assert_eq!(max_uptime_minutes(30), 1);
    }
}
