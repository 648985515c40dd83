//! Cluster leases on the built escrow and registry programs in litesvm: the whole life of
//! a cluster with exact balances, then every rejection.

use std::collections::BTreeMap;

use anchor_lang::error::ErrorCode as AnchorError;
use gpunet_sdk::escrow::{self, EscrowError, Hire};
use gpunet_sdk::registry::{self, DeviceStatus, RegistryError, UpdateConfigArgs};
use gpunet_tests::market::{Market, Renter, TestDevice};
use gpunet_tests::{Failed, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

/// What one epoch of a hire costs, from the spec: price × GPUs per one-hour epoch, renter
/// fee on top and supplier fee withheld, both in bps of the price, rounded down.
fn epoch_amounts(price_per_gpu_hour: u64, gpus: u64) -> (u64, u64, u64) {
    let price = price_per_gpu_hour * gpus;
    (price, price * 25 / 10_000, price * 50 / 10_000)
}

/// Expected token balances, updated by hand at every step.
#[derive(Default)]
struct Ledger {
    renter: u64,
    vault: u64,
    treasury: u64,
    owners: BTreeMap<Pubkey, u64>,
}

impl Ledger {
    fn check(&self, m: &Market, renter: &Renter, step: &str) {
        let c = &m.chain;
        assert_eq!(
            c.token_balance(&renter.token),
            self.renter,
            "{step}: renter"
        );
        assert_eq!(m.vault_balance(renter), self.vault, "{step}: vault");
        assert_eq!(
            c.token_balance(&m.treasury_token),
            self.treasury,
            "{step}: treasury"
        );
        for (account, balance) in &self.owners {
            assert_eq!(
                c.token_balance(account),
                *balance,
                "{step}: owner {account}"
            );
        }
        assert_eq!(
            m.lease(renter).totals.owed(),
            self.vault,
            "{step}: vault = what is owed"
        );
    }

    /// Applies a settlement of `attested` and `missed` epochs of a device.
    fn settle(
        &mut self,
        owner: &Pubkey,
        (price, rfee, sfee): (u64, u64, u64),
        attested: u64,
        missed: u64,
    ) {
        *self.owners.get_mut(owner).unwrap() += attested * (price - sfee);
        self.treasury += attested * (sfee + rfee);
        self.renter += missed * (price + rfee);
        self.vault -= attested * (price + rfee) + missed * (price + rfee);
    }
}

#[test]
fn a_cluster_lives_from_deploy_to_close_with_exact_balances() {
    let mut m = Market::new();
    let e0 = m.current_epoch();
    let a = m.register_device(1, 8, 2 * USDC); // 8 GPUs at 2 USDC
    let b = m.register_device(2, 4, 1_500_000); // 4 GPUs at 1.5 USDC
    let c = m.register_device(3, 1, 999_999); // 1 GPU
    let renter = m.renter(10_000 * USDC, 7, 2 * USDC);
    let ta = epoch_amounts(2 * USDC, 8);
    let tb = epoch_amounts(1_500_000, 4);
    let tc = epoch_amounts(999_999, 1);
    assert_eq!(ta, (16_000_000, 40_000, 80_000));
    assert_eq!(tc, (999_999, 2_499, 4_999));
    let mut l = Ledger {
        renter: 10_000 * USDC,
        ..Ledger::default()
    };
    for d in [&a, &b, &c] {
        l.owners.insert(d.owner_token, 0);
    }
    l.check(&m, &renter, "lease created");

    // Deploy: A and B for 5 epochs, C for 4, starting at the next epoch boundary.
    for (d, t, epochs) in [(&a, ta, 5), (&b, tb, 5), (&c, tc, 4)] {
        m.add_hire(&renter, d, epochs).unwrap();
        let deposit = epochs * (t.0 + t.1);
        l.renter -= deposit;
        l.vault += deposit;
        let hire = m.hire(&renter, d);
        assert_eq!(
            (hire.start_epoch, hire.end_epoch),
            (e0 + 1, e0 + 1 + epochs)
        );
    }
    l.check(&m, &renter, "hired");
    assert_eq!(m.lease(&renter).active_hires, 3);

    // Epoch e0+1: A and B attest, C is down.
    m.warp_epochs(1);
    m.attest(&a, e0 + 1).unwrap();
    m.attest(&b, e0 + 1).unwrap();
    // Epoch e0+2: A attests; C attests e0+2 late (during e0+3); B misses e0+2.
    m.warp_epochs(1);
    m.attest(&a, e0 + 2).unwrap();
    let anyone = m.chain.funded_keypair(1);
    // e0+1 can still be attested during e0+2: nothing is final, settling is refused.
    m.settle(&anyone, &renter, &a)
        .unwrap_err()
        .assert_anchor_error(EscrowError::NothingToSettle.into());
    l.check(&m, &renter, "settle refused before the window closes");

    m.warp_epochs(1); // e0+3
    m.attest(&c, e0 + 2).unwrap();
    m.attest(&a, e0 + 3).unwrap();
    m.attest(&b, e0 + 3).unwrap();
    m.settle(&anyone, &renter, &a).unwrap(); // e0+1 attested
    l.settle(&a.owner_token, ta, 1, 0);
    l.check(&m, &renter, "A settled through e0+1");
    m.settle(&anyone, &renter, &c).unwrap(); // e0+1 missed
    l.settle(&c.owner_token, tc, 0, 1);
    l.check(&m, &renter, "C settled through e0+1");
    assert_eq!(m.hire(&renter, &c).epochs_missed, 1);

    m.warp_epochs(1); // e0+4
    m.attest(&a, e0 + 4).unwrap();
    m.attest(&b, e0 + 4).unwrap();
    m.attest(&c, e0 + 4).unwrap();
    // Extend A by 3 epochs (end e0+9) at its original terms.
    m.extend(&renter, &a, 3).unwrap();
    l.renter -= 3 * (ta.0 + ta.1);
    l.vault += 3 * (ta.0 + ta.1);
    assert_eq!(m.hire(&renter, &a).end_epoch, e0 + 9);
    l.check(&m, &renter, "A extended");
    m.settle(&anyone, &renter, &b).unwrap(); // e0+1 attested, e0+2 missed
    l.settle(&b.owner_token, tb, 1, 1);
    l.check(&m, &renter, "B settled through e0+2");

    m.warp_epochs(1); // e0+5: terminate early; billing stops after e0+5
    m.attest(&a, e0 + 5).unwrap();
    m.terminate(&renter).unwrap();
    assert_eq!(m.lease(&renter).terminated_at_epoch, Some(e0 + 6));
    // Once terminated, anyone may free the devices; unused epochs come back at once.
    m.release(&anyone, &renter, &a).unwrap(); // e0+6..e0+9 back
    l.renter += 3 * (ta.0 + ta.1);
    l.vault -= 3 * (ta.0 + ta.1);
    m.release(&anyone, &renter, &b).unwrap(); // nothing after e0+5 was bought
    m.release(&anyone, &renter, &c).unwrap(); // C ended at e0+5
    l.check(&m, &renter, "released");
    assert!(
        m.chain.account(&escrow::lock_address(&a.address)).is_none(),
        "lock closed"
    );
    assert_eq!(m.lease(&renter).active_hires, 0);
    // A released device is free for another renter at once.
    let other = m.renter(100 * USDC, 1, 2 * USDC);
    m.add_hire(&other, &a, 1).unwrap();

    // Settle the rest after the window closes, in several calls.
    m.warp_epochs(2); // e0+7: everything up to e0+5 is final
    m.settle(&anyone, &renter, &a).unwrap(); // e0+2..e0+6: 4 attested
    l.settle(&a.owner_token, ta, 4, 0);
    m.settle(&anyone, &renter, &b).unwrap(); // e0+3, e0+4 attested; e0+5 missed
    l.settle(&b.owner_token, tb, 2, 1);
    m.settle(&anyone, &renter, &c).unwrap(); // e0+2, e0+4 attested; e0+3 missed
    l.settle(&c.owner_token, tc, 2, 1);
    l.check(&m, &renter, "all settled");
    assert_eq!(l.vault, 0);
    for d in [&a, &b, &c] {
        let hire: Hire = m.hire(&renter, d);
        assert!(hire.is_settled() && hire.released);
        m.settle(&anyone, &renter, d)
            .unwrap_err()
            .assert_anchor_error(EscrowError::NothingToSettle.into());
    }
    let a_hire = m.hire(&renter, &a);
    assert_eq!((a_hire.epochs_paid, a_hire.epochs_missed), (5, 0));
    assert_eq!(a_hire.paid_to_owner, 5 * (ta.0 - ta.2));

    // Close: rent back to the renter, vault closed, nothing left anywhere.
    let lamports_before = m.chain.account(&renter.wallet.pubkey()).unwrap().lamports;
    for d in [&a, &b, &c] {
        m.close_hire(&anyone, &renter, d).unwrap();
    }
    m.close_lease(&renter).unwrap();
    assert!(m.chain.account(&renter.lease).is_none());
    assert!(
        m.chain
            .account(&escrow::vault_address(&renter.lease))
            .is_none()
    );
    let lamports_after = m.chain.account(&renter.wallet.pubkey()).unwrap().lamports;
    assert!(lamports_after > lamports_before, "rent returned");
    let paid_out: u64 = l.owners.values().sum::<u64>() + l.treasury;
    assert_eq!(
        l.renter + paid_out,
        10_000 * USDC,
        "no token created or destroyed"
    );
    assert_eq!(m.chain.token_balance(&renter.token), l.renter);
}
