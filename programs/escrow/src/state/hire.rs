use anchor_lang::prelude::*;
use common::math::mul_div;
use registry::state::{EpochAttestation, UptimeRecord};

use crate::constants::{BPS, MAX_SETTLE_EPOCHS, SECONDS_PER_HOUR};
use crate::errors::EscrowError;

/// What one epoch of a hire costs and how it splits, fixed when the device is hired.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochTerms {
    /// Price × GPUs × epoch length: what the device earns for an attested epoch.
    pub price: u64,
    /// Charged to the renter on top of `price` (renter fee bps of it).
    pub renter_fee: u64,
    /// Withheld from `price` (supplier fee bps of it).
    pub supplier_fee: u64,
}

impl EpochTerms {
    pub fn new(
        price_per_gpu_hour: u64,
        gpu_count: u16,
        epoch_seconds: u32,
        renter_fee_bps: u16,
        supplier_fee_bps: u16,
    ) -> Result<Self> {
        let gpu_seconds = u64::from(gpu_count) * u64::from(epoch_seconds);
        let price = mul_div(price_per_gpu_hour, gpu_seconds, SECONDS_PER_HOUR)
            .ok_or(EscrowError::Overflow)?;
        require!(price > 0, EscrowError::ZeroEpochPrice);
        // A fee is at most the price (bps ≤ 10,000), so it always fits.
        let fee = |bps: u16| mul_div(price, u64::from(bps), BPS).unwrap_or(u64::MAX);
        let terms = EpochTerms {
            price,
            renter_fee: fee(renter_fee_bps),
            supplier_fee: fee(supplier_fee_bps),
        };
        terms.deposit_per_epoch()?;
        Ok(terms)
    }

    /// What the renter deposits per epoch.
    pub fn deposit_per_epoch(&self) -> Result<u64> {
        Ok(self
            .price
            .checked_add(self.renter_fee)
            .ok_or(EscrowError::Overflow)?)
    }

    /// The deposit for `epochs` epochs.
    pub fn deposit(&self, epochs: u64) -> Result<u64> {
        Ok(self
            .deposit_per_epoch()?
            .checked_mul(epochs)
            .ok_or(EscrowError::Overflow)?)
    }
}

/// One device bound to a lease for epochs `start_epoch..end_epoch`. PDA
/// `["hire", lease, device]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Hire {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub lease: Pubkey,
    pub device: Pubkey,
    /// The device's owner wallet, paid for attested epochs.
    pub owner: Pubkey,
    pub gpu_count: u16,
    pub price_per_gpu_hour: u64,
    pub terms: EpochTerms,
    pub start_epoch: u64,
    /// Exclusive. Moved later by `extend_hire`, earlier by `release_hire`.
    pub end_epoch: u64,
    /// Every epoch before this one is settled.
    pub settled_through: u64,
    /// The device lock has been closed; the hire only waits for settlement.
    pub released: bool,
    pub epochs_paid: u64,
    pub epochs_missed: u64,
    pub paid_to_owner: u64,
    pub fees: u64,
    pub refunded: u64,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Hire {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

/// What `settle_hire` would do now: the read-only "settleable now" view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settlement {
    pub from_epoch: u64,
    /// Exclusive.
    pub to_epoch: u64,
    pub attested: u64,
    pub missed: u64,
    /// Bit i set: epoch `from_epoch + i` was not proven (refunded, counted for slashing).
    pub missed_mask: u64,
    pub to_owner: u64,
    pub to_treasury: u64,
    pub to_renter: u64,
}

impl Settlement {
    pub fn is_empty(&self) -> bool {
        self.to_epoch == self.from_epoch
    }
}

impl Hire {
    /// The first epoch that is not final at `current_epoch`: an epoch can still be attested
    /// during the next one, so only epochs before `current_epoch - 1` are final.
    pub fn final_before(current_epoch: u64) -> u64 {
        current_epoch.saturating_sub(1)
    }

    /// The settlement of up to `MAX_SETTLE_EPOCHS` final epochs, given the device's
    /// attestations. Epochs the ring has forgotten count as not proven.
    pub fn settlement(&self, uptime: &UptimeRecord, current_epoch: u64) -> Result<Settlement> {
        let from = self.settled_through;
        let to = self
            .end_epoch
            .min(Self::final_before(current_epoch))
            .min(from.saturating_add(MAX_SETTLE_EPOCHS))
            .max(from);
        let mut s = Settlement {
            from_epoch: from,
            to_epoch: to,
            ..Settlement::default()
        };
        for (i, epoch) in (from..to).enumerate() {
            if uptime.status_of(epoch) == EpochAttestation::Attested {
                s.attested += 1;
            } else {
                s.missed += 1;
                s.missed_mask |= 1 << i;
            }
        }
        let t = &self.terms;
        let mul = |a: u64, n: u64| a.checked_mul(n).ok_or(EscrowError::Overflow);
        s.to_owner = mul(t.price - t.supplier_fee, s.attested)?;
        s.to_treasury = mul(t.supplier_fee + t.renter_fee, s.attested)?;
        s.to_renter = mul(t.deposit_per_epoch()?, s.missed)?;
        Ok(s)
    }

    /// Where a release at `current_epoch` ends the hire: the running epoch is kept (the
    /// device is serving it), later ones are given back; `cap` is a lease termination.
    pub fn release_end(&self, current_epoch: u64, cap: Option<u64>) -> u64 {
        let mut end = self.end_epoch.min(current_epoch.saturating_add(1));
        if let Some(cap) = cap {
            end = end.min(cap);
        }
        end.max(self.start_epoch).max(self.settled_through)
    }

    /// The read-only "refundable now" view: what releasing the hire at `current_epoch`
    /// refunds at once (unused epochs; missed ones are refunded by settlement).
    pub fn refundable(&self, current_epoch: u64, cap: Option<u64>) -> Result<u64> {
        if self.released {
            return Ok(0);
        }
        let end = self.release_end(current_epoch, cap);
        self.terms.deposit(self.end_epoch - end)
    }

    /// Fully settled: nothing left to pay or refund.
    pub fn is_settled(&self) -> bool {
        self.settled_through == self.end_epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hire(start: u64, end: u64, terms: EpochTerms) -> Hire {
        Hire {
            version: Hire::VERSION,
            lease: Pubkey::new_unique(),
            device: Pubkey::new_unique(),
            owner: Pubkey::new_unique(),
            gpu_count: 8,
            price_per_gpu_hour: 1,
            terms,
            start_epoch: start,
            end_epoch: end,
            settled_through: start,
            released: false,
            epochs_paid: 0,
            epochs_missed: 0,
            paid_to_owner: 0,
            fees: 0,
            refunded: 0,
            bump: 255,
            reserved: [0; 32],
        }
    }

    #[test]
    fn epoch_terms_round_fees_down_and_reject_overflow() {
        // 2 USDC per GPU-hour, 8 GPUs, one-hour epochs, 0.25 % fees.
        let t = EpochTerms::new(2_000_000, 8, 3600, 25, 25).unwrap();
        assert_eq!(t.price, 16_000_000);
        assert_eq!(t.renter_fee, 40_000);
        assert_eq!(t.supplier_fee, 40_000);
        assert_eq!(t.deposit(24).unwrap(), 24 * 16_040_000);
        // A 90-second epoch at 1,001 units per GPU-hour: 1001 × 90 / 3600 = 25.025 -> 25.
        let t = EpochTerms::new(1_001, 1, 90, 333, 9_999).unwrap();
        assert_eq!((t.price, t.renter_fee, t.supplier_fee), (25, 0, 24));
        assert!(EpochTerms::new(1, 1, 60, 0, 0).is_err(), "rounds to zero");
        assert!(EpochTerms::new(u64::MAX, 1_024, 3600, 0, 0).is_err());
        assert!(
            EpochTerms::new(u64::MAX, 1, 3600, 1, 0).is_err(),
            "price + fee overflows"
        );
        let t = EpochTerms::new(1_000, 1, 3600, 0, 0).unwrap();
        assert!(t.deposit(u64::MAX).is_err());
    }

    #[test]
    fn settlement_pays_attested_refunds_missed_and_waits_for_the_window() {
        let terms = EpochTerms::new(3_600, 1, 3600, 100, 200).unwrap(); // 3600, 36, 72
        let h = hire(10, 14, terms);
        let mut uptime = UptimeRecord::default();
        for e in [10, 12, 13, 14] {
            uptime.record(e, 60, 10_000, [0; 32]);
        }
        // In epoch 11, epoch 10 can still be attested late: nothing is final.
        assert!(h.settlement(&uptime, 11).unwrap().is_empty());
        let s = h.settlement(&uptime, 12).unwrap();
        assert_eq!(
            (s.from_epoch, s.to_epoch, s.attested, s.missed),
            (10, 11, 1, 0)
        );
        let s = h.settlement(&uptime, 100).unwrap();
        assert_eq!(
            (s.from_epoch, s.to_epoch),
            (10, 14),
            "stops at the hire's end"
        );
        assert_eq!((s.attested, s.missed, s.missed_mask), (3, 1, 0b10));
        assert_eq!(s.to_owner, 3 * (3600 - 72));
        assert_eq!(s.to_treasury, 3 * (72 + 36));
        assert_eq!(s.to_renter, 3600 + 36);
        assert_eq!(
            s.to_owner + s.to_treasury + s.to_renter,
            terms.deposit(4).unwrap(),
            "every deposited unit goes somewhere"
        );
    }

    #[test]
    fn settlement_is_bounded_per_call() {
        let terms = EpochTerms::new(3_600, 1, 3600, 0, 0).unwrap();
        let h = hire(0, 1_000, terms);
        let s = h.settlement(&UptimeRecord::default(), 2_000).unwrap();
        assert_eq!(s.to_epoch - s.from_epoch, MAX_SETTLE_EPOCHS);
        assert_eq!(s.missed_mask, u64::MAX);
    }

    #[test]
    fn release_keeps_the_running_epoch_and_refunds_the_rest() {
        let terms = EpochTerms::new(3_600, 1, 3600, 0, 0).unwrap();
        let h = hire(10, 20, terms);
        assert_eq!(
            h.release_end(9, None),
            10,
            "before the start: everything back"
        );
        assert_eq!(h.refundable(9, None).unwrap(), 10 * 3600);
        assert_eq!(h.release_end(12, None), 13);
        assert_eq!(h.refundable(12, None).unwrap(), 7 * 3600);
        assert_eq!(h.release_end(12, Some(11)), 11, "termination caps it");
        assert_eq!(h.release_end(50, None), 20, "ended: nothing to give back");
        assert_eq!(h.refundable(50, None).unwrap(), 0);
    }
}
