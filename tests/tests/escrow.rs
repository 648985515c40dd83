//! Cluster leases on the built escrow and registry programs in litesvm: the whole life of
//! a cluster with exact balances, then every rejection.

use std::collections::BTreeMap;

use anchor_lang::error::ErrorCode as AnchorError;
use gpunet_sdk::escrow::{self, EscrowError, Hire, Payees};
use gpunet_sdk::registry::{self, DeviceStatus, UpdateConfigArgs};
use gpunet_sdk::staking::StakingError;
use gpunet_tests::Pubkey;
use gpunet_tests::market::{Market, Renter, TOKEN, TestDevice, USDC};
use solana_keypair::Keypair;
use solana_signer::Signer;

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

/// A market with two renters (one lease each) and two devices at 1 USDC per GPU-hour.
struct Setup {
    m: Market,
    r: Renter,
    r2: Renter,
    d: TestDevice,
    d2: TestDevice,
    stranger: Keypair,
}

fn setup() -> Setup {
    let mut m = Market::new();
    let d = m.register_device(1, 8, USDC);
    let d2 = m.register_device(2, 2, USDC);
    let r = m.renter(1_000 * USDC, 1, 2 * USDC);
    let r2 = m.renter(1_000 * USDC, 2, 2 * USDC);
    let stranger = m.chain.funded_keypair(10);
    Setup {
        m,
        r,
        r2,
        d,
        d2,
        stranger,
    }
}

/// Runs `ix` signed by `signer` and asserts it fails with `code`, leaving every token
/// balance of the setup unchanged.
#[track_caller]
fn refused(s: &mut Setup, ix: solana_instruction::Instruction, signer: &Keypair, code: u32) {
    let balances = |s: &Setup| {
        [
            &s.r.token,
            &s.r2.token,
            &s.d.owner_token,
            &s.d2.owner_token,
            &s.m.treasury_token,
        ]
        .map(|a| s.m.chain.token_balance(a))
    };
    let before = (
        balances(s),
        s.m.vault_balance(&s.r),
        s.m.vault_balance(&s.r2),
    );
    s.m.chain
        .send(&[ix], &[signer])
        .unwrap_err()
        .assert_anchor_error(code);
    let after = (
        balances(s),
        s.m.vault_balance(&s.r),
        s.m.vault_balance(&s.r2),
    );
    assert_eq!(before, after, "a refused instruction moved tokens");
}

fn pause(m: &mut Market, paused: bool) {
    let admin = m.admin.insecure_clone();
    let ix = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(paused),
            ..Default::default()
        },
    );
    m.chain.execute(&[ix], &[&admin]);
}

/// A copy of `address`'s account at a new address, owned by another program.
fn foreign_copy(m: &mut Market, address: &Pubkey) -> Pubkey {
    let mut account = m.chain.account(address).unwrap();
    account.owner = Pubkey::new_unique();
    let copy = Pubkey::new_unique();
    m.chain.svm.set_account(copy, account).unwrap();
    copy
}

#[test]
fn create_lease_rejects_a_fake_mint_bad_names_and_prices_a_foreign_config_and_a_paused_network() {
    let mut s = setup();
    let renter = s.m.chain.funded_keypair(10);
    let args = |id: u64, name: &str, max: u64| gpunet_sdk::escrow::CreateLeaseArgs {
        lease_id: id,
        name: name.into(),
        job: String::new(),
        max_price_per_gpu_hour: max,
    };
    let fake_authority = s.m.chain.funded_keypair(1);
    let fake_mint = s.m.chain.create_mint(&fake_authority.pubkey(), 6);
    let mut payment = s.m.payment();
    payment.mint = fake_mint;
    let ix = escrow::create_lease(renter.pubkey(), payment, args(1, "x", 1));
    refused(&mut s, ix, &renter, EscrowError::WrongPaymentMint.into());
    for (name, max, error) in [
        ("", 1, EscrowError::InvalidName),
        (&"n".repeat(33)[..], 1, EscrowError::InvalidName),
        ("ok", 0, EscrowError::InvalidMaxPrice),
    ] {
        let ix = escrow::create_lease(renter.pubkey(), s.m.payment(), args(1, name, max));
        refused(&mut s, ix, &renter, error.into());
    }
    let mut ix = escrow::create_lease(renter.pubkey(), s.m.payment(), args(1, "x", 1));
    ix.accounts[0].pubkey = foreign_copy(&mut s.m, &registry::config_address());
    refused(
        &mut s,
        ix,
        &renter,
        AnchorError::AccountOwnedByWrongProgram.into(),
    );
    pause(&mut s.m, true);
    let ix = escrow::create_lease(renter.pubkey(), s.m.payment(), args(1, "x", 1));
    refused(&mut s, ix, &renter, EscrowError::NetworkPaused.into());
}

fn lease_args(lease_id: u64, job: &str) -> escrow::CreateLeaseArgs {
    escrow::CreateLeaseArgs {
        lease_id,
        name: format!("job {lease_id}"),
        job: job.into(),
        max_price_per_gpu_hour: USDC,
    }
}

#[test]
fn create_lease_refuses_a_job_too_long_or_of_an_unknown_scheme() {
    let mut s = setup();
    let renter = s.m.chain.funded_keypair(10);
    let too_long = format!("cmd:{}", "x".repeat(escrow::MAX_JOB_LEN - 3));
    assert_eq!(too_long.len(), 129);
    let too_long_image = format!("image:{}", "r".repeat(escrow::MAX_JOB_LEN));
    for job in [
        too_long.as_str(),
        too_long_image.as_str(),
        "docker:nginx",
        "CMD:true",
        "cmd",
        "image",
        " cmd:true",
        "nvidia-smi",
    ] {
        let ix = escrow::create_lease(renter.pubkey(), s.m.payment(), lease_args(1, job));
        refused(&mut s, ix, &renter, EscrowError::InvalidJob.into());
        assert!(
            s.m.chain
                .account(&escrow::lease_address(&renter.pubkey(), 1))
                .is_none(),
            "{job:?}: no lease"
        );
    }
}

#[test]
fn create_lease_stores_the_job_and_emits_it() {
    use gpunet_sdk::escrow::{Lease, LeaseCreated};
    let mut m = Market::new();
    let renter = m.chain.funded_keypair(10);
    let longest = format!("image:{}", "r".repeat(escrow::MAX_JOB_LEN - 6));
    for (lease_id, job) in [
        (1, "cmd:python3 train.py --epochs 3 && echo done"),
        (2, "image:ghcr.io/example/trainer:1.4"),
        (3, longest.as_str()),
        (4, ""),
    ] {
        let ix = escrow::create_lease(renter.pubkey(), m.payment(), lease_args(lease_id, job));
        let tx = m.chain.execute(&[ix], &[&renter]);
        let address = escrow::lease_address(&renter.pubkey(), lease_id);
        let lease: Lease = m.chain.anchor_account(&address);
        assert_eq!(lease.job, job);
        assert_eq!(lease.name, format!("job {lease_id}"), "the name is intact");
        assert_eq!(
            lease.payment_mint, m.usdc,
            "the fields after the job are intact"
        );
        assert_eq!(lease.max_price_per_gpu_hour, USDC);
        let event = tx.event::<LeaseCreated>();
        assert_eq!((event.lease, event.job.as_str()), (address, job));
    }
}

#[test]
fn add_hire_rejects_strangers_bad_devices_bad_amounts_and_substituted_accounts() {
    let mut s = setup();
    let pay = s.m.payment();
    let hire = |s: &Setup, signer: &Keypair, token: Pubkey, device: Pubkey, epochs: u64| {
        escrow::add_hire(signer.pubkey(), s.r.lease, device, token, pay, epochs)
    };
    // A stranger cannot add devices (and charge deposits) to someone else's lease.
    let stranger_token =
        s.m.chain
            .create_token_account(&s.stranger.pubkey(), &s.m.usdc);
    let stranger = s.stranger.insecure_clone();
    let ix = hire(&s, &stranger, stranger_token, s.d.address, 1);
    refused(&mut s, ix, &stranger, EscrowError::NotRenter.into());
    // Amounts: zero epochs, and epochs whose deposit overflows u64.
    let renter = s.r.wallet.insecure_clone();
    for (epochs, error) in [
        (0, EscrowError::ZeroEpochs),
        (u64::MAX, EscrowError::Overflow),
    ] {
        let ix = hire(&s, &renter, s.r.token, s.d.address, epochs);
        refused(&mut s, ix, &renter, error.into());
    }
    // Price above the lease's maximum.
    let pricey = s.m.register_device(3, 1, 2 * USDC + 1);
    let ix = hire(&s, &renter, s.r.token, pricey.address, 1);
    refused(&mut s, ix, &renter, EscrowError::PriceAboveMax.into());
    // Paused and retired devices.
    for status in [DeviceStatus::Paused, DeviceStatus::Retired] {
        let owner = s.d2.owner.insecure_clone();
        let ix = registry::set_device_status(owner.pubkey(), s.d2.address, status);
        s.m.chain.execute(&[ix], &[&owner]);
        let ix = hire(&s, &renter, s.r.token, s.d2.address, 1);
        refused(&mut s, ix, &renter, EscrowError::DeviceNotActive.into());
    }
    // Stake: below the minimum (one token short), or another device's stake.
    let short = s.m.register_unstaked_device(4, 2, USDC);
    s.m.stake(&short, 400 * TOKEN - 1).unwrap();
    let ix = hire(&s, &renter, s.r.token, short.address, 1);
    refused(&mut s, ix, &renter, EscrowError::BelowMinimumStake.into());
    let mut ix = hire(&s, &renter, s.r.token, short.address, 1);
    ix.accounts[4].pubkey = gpunet_sdk::staking::stake_address(&s.d.address);
    refused(&mut s, ix, &renter, EscrowError::WrongAccount.into());
    let unstaked = s.m.register_unstaked_device(5, 1, USDC);
    let ix = hire(&s, &renter, s.r.token, unstaked.address, 1);
    refused(
        &mut s,
        ix,
        &renter,
        AnchorError::AccountNotInitialized.into(),
    );
    // One more token and it can be hired; requesting an unstake makes it unhireable again.
    s.m.stake(&short, 1).unwrap();
    let owner = short.owner.insecure_clone();
    let ix = gpunet_sdk::staking::request_unstake(owner.pubkey(), short.address, 1);
    s.m.chain.execute(&[ix], &[&owner]);
    let ix = hire(&s, &renter, s.r.token, short.address, 1);
    refused(&mut s, ix, &renter, EscrowError::BelowMinimumStake.into());
    // A device account that is not the registry's.
    let fake_device = foreign_copy(&mut s.m, &s.d.address);
    let ix = hire(&s, &renter, s.r.token, fake_device, 1);
    refused(
        &mut s,
        ix,
        &renter,
        AnchorError::AccountOwnedByWrongProgram.into(),
    );
    // Another lease's vault.
    let mut ix = hire(&s, &renter, s.r.token, s.d.address, 1);
    ix.accounts[7].pubkey = escrow::vault_address(&s.r2.lease);
    refused(&mut s, ix, &renter, EscrowError::WrongAccount.into());
    // Paying from a token account of another mint.
    let fake_authority = s.m.chain.funded_keypair(1);
    let fake_mint = s.m.chain.create_mint(&fake_authority.pubkey(), 6);
    let fake_token = s.m.chain.create_token_account(&renter.pubkey(), &fake_mint);
    s.m.chain
        .mint_to(&fake_mint, &fake_authority, &fake_token, 1_000 * USDC);
    let ix = hire(&s, &renter, fake_token, s.d.address, 1);
    refused(&mut s, ix, &renter, AnchorError::ConstraintTokenMint.into());
    let mut fake = pay;
    fake.mint = fake_mint;
    let ix = escrow::add_hire(renter.pubkey(), s.r.lease, s.d.address, fake_token, fake, 1);
    refused(&mut s, ix, &renter, EscrowError::WrongPaymentMint.into());
    // More than the renter holds.
    let ix = hire(&s, &renter, s.r.token, s.d.address, 1_000);
    let failed = s.m.chain.send(&[ix], &[&renter]).unwrap_err();
    assert_eq!(
        failed.custom_code(),
        Some(1),
        "token program: insufficient funds"
    );

    // Double booking: once hired, the device cannot be hired again by anyone.
    s.m.add_hire(&s.r, &s.d, 2).unwrap();
    let r2 = s.r2.wallet.insecure_clone();
    let ix = escrow::add_hire(r2.pubkey(), s.r2.lease, s.d.address, s.r2.token, pay, 1);
    let failed = s.m.chain.send(&[ix], &[&r2]).unwrap_err();
    assert_eq!(
        failed.custom_code(),
        Some(0),
        "lock exists: {:?}",
        failed.logs
    );
    let ix = hire(&s, &renter, s.r.token, s.d.address, 1);
    let failed = s.m.chain.send(&[ix], &[&renter]).unwrap_err();
    assert_eq!(failed.custom_code(), Some(0), "hire exists");
    // A paused network accepts no hire.
    pause(&mut s.m, true);
    let ix = escrow::add_hire(r2.pubkey(), s.r2.lease, pricey.address, s.r2.token, pay, 1);
    refused(&mut s, ix, &r2, EscrowError::NetworkPaused.into());
}

#[test]
fn settlement_rejects_substituted_devices_hires_vaults_and_payees() {
    let mut s = setup();
    s.m.add_hire(&s.r, &s.d, 3).unwrap();
    s.m.add_hire(&s.r2, &s.d2, 3).unwrap();
    let start = s.m.hire(&s.r, &s.d).start_epoch;
    s.m.warp_epochs(1);
    s.m.attest(&s.d, start).unwrap();
    s.m.warp_epochs(3); // start attested, start + 1 missed: settling proposes a slash
    let payees = s.m.payees(&s.r, &s.d);
    let caller = s.stranger.insecure_clone();
    let settle = |s: &Setup, p: Payees| s.m.settle_ix(&caller, &s.r, &s.d, p);

    // The hire names its device: another device's attestations cannot pay for it.
    let mut ix = settle(&s, payees);
    ix.accounts[3].pubkey = s.d2.address;
    refused(&mut s, ix, &caller, EscrowError::WrongAccount.into());
    // Another lease's hire with this lease.
    let mut ix = settle(&s, payees);
    ix.accounts[2].pubkey = escrow::hire_address(&s.r2.lease, &s.d2.address);
    refused(&mut s, ix, &caller, EscrowError::WrongAccount.into());
    // Another lease's vault.
    let mut ix = settle(&s, payees);
    ix.accounts[4].pubkey = escrow::vault_address(&s.r2.lease);
    refused(&mut s, ix, &caller, EscrowError::WrongAccount.into());
    // Another device's stake, to push the missed epoch's slash onto it.
    let mut ix = settle(&s, payees);
    let other_stake = gpunet_sdk::staking::stake_address(&s.d2.address);
    ix.accounts[11].pubkey = other_stake;
    ix.accounts[12].pubkey = gpunet_sdk::staking::slash_address(&other_stake, 0);
    refused(&mut s, ix, &caller, StakingError::WrongAccount.into());
    // A slasher other than the escrow's own PDA.
    let mut ix = settle(&s, payees);
    ix.accounts[13].pubkey = caller.pubkey();
    refused(&mut s, ix, &caller, AnchorError::ConstraintAddress.into());
    // Payees that are not the owner, the treasury and the renter.
    let thief_token = s.m.chain.create_token_account(&caller.pubkey(), &s.m.usdc);
    for field in 0..3 {
        let mut p = payees;
        match field {
            0 => p.owner_token = thief_token,
            1 => p.treasury_token = thief_token,
            _ => p.renter_token = thief_token,
        }
        let ix = settle(&s, p);
        refused(
            &mut s,
            ix,
            &caller,
            AnchorError::ConstraintTokenOwner.into(),
        );
    }
    // Right accounts: settles, and the missed epoch is proposed for slashing against this
    // device's stake; a replay has nothing left to settle.
    s.m.settle(&caller, &s.r, &s.d).unwrap();
    assert_eq!(s.m.stake_account(&s.d).pending_slashes, 1);
    assert_eq!(s.m.stake_account(&s.d2).pending_slashes, 0);
    let ix = settle(&s, payees);
    refused(&mut s, ix, &caller, EscrowError::NothingToSettle.into());
}

#[test]
fn extend_release_terminate_and_close_refuse_what_is_not_allowed() {
    let mut s = setup();
    let pay = s.m.payment();
    s.m.add_hire(&s.r, &s.d, 2).unwrap();
    let renter = s.r.wallet.insecure_clone();
    let stranger = s.stranger.insecure_clone();
    let stranger_token =
        s.m.chain
            .create_token_account(&stranger.pubkey(), &s.m.usdc);

    // Extend: renter only, bounded amounts.
    let ix = escrow::extend_hire(
        stranger.pubkey(),
        s.r.lease,
        s.d.address,
        stranger_token,
        pay,
        1,
    );
    refused(&mut s, ix, &stranger, EscrowError::NotRenter.into());
    for (epochs, error) in [
        (0, EscrowError::ZeroEpochs),
        (u64::MAX, EscrowError::Overflow),
    ] {
        let ix = escrow::extend_hire(
            renter.pubkey(),
            s.r.lease,
            s.d.address,
            s.r.token,
            pay,
            epochs,
        );
        refused(&mut s, ix, &renter, error.into());
    }
    // Release: a stranger cannot free a running hire of an active lease.
    let ix = escrow::release_hire(
        stranger.pubkey(),
        renter.pubkey(),
        s.r.lease,
        s.d.address,
        s.r.token,
        pay,
    );
    refused(&mut s, ix, &stranger, EscrowError::ReleaseNotAllowed.into());
    // Nor point the release at another device's lock.
    s.m.add_hire(&s.r2, &s.d2, 2).unwrap();
    let mut ix = escrow::release_hire(
        renter.pubkey(),
        renter.pubkey(),
        s.r.lease,
        s.d.address,
        s.r.token,
        pay,
    );
    ix.accounts[3].pubkey = escrow::lock_address(&s.d2.address);
    refused(&mut s, ix, &renter, AnchorError::ConstraintSeeds.into());
    // Close: money is still owed on the hire, and the lease still has it.
    let ix = escrow::close_hire(renter.pubkey(), s.r.lease, s.d.address);
    refused(&mut s, ix, &stranger, EscrowError::HireNotSettled.into());
    let ix = escrow::close_lease(renter.pubkey(), s.r.lease, s.r.token, pay);
    refused(&mut s, ix, &renter, EscrowError::LeaseHasHires.into());
    let ix = escrow::close_lease(stranger.pubkey(), s.r.lease, stranger_token, pay);
    refused(&mut s, ix, &stranger, EscrowError::NotRenter.into());
    // Terminate: renter only, once.
    let ix = escrow::terminate_lease(stranger.pubkey(), s.r.lease);
    refused(&mut s, ix, &stranger, EscrowError::NotRenter.into());
    s.m.terminate(&s.r).unwrap();
    let ix = escrow::terminate_lease(renter.pubkey(), s.r.lease);
    refused(&mut s, ix, &renter, EscrowError::LeaseTerminated.into());
    // A terminated lease takes no extension or new hire.
    let ix = escrow::extend_hire(renter.pubkey(), s.r.lease, s.d.address, s.r.token, pay, 1);
    refused(&mut s, ix, &renter, EscrowError::LeaseTerminated.into());
    let spare = s.m.register_device(9, 1, USDC);
    let ix = escrow::add_hire(renter.pubkey(), s.r.lease, spare.address, s.r.token, pay, 1);
    refused(&mut s, ix, &renter, EscrowError::LeaseTerminated.into());
    // Released once; the second release finds no lock.
    s.m.release(&stranger, &s.r, &s.d).unwrap();
    let ix = escrow::release_hire(
        renter.pubkey(),
        renter.pubkey(),
        s.r.lease,
        s.d.address,
        s.r.token,
        pay,
    );
    refused(
        &mut s,
        ix,
        &renter,
        AnchorError::AccountNotInitialized.into(),
    );
    // A released hire cannot be extended (in another, open lease either).
    let r2 = s.r2.wallet.insecure_clone();
    s.m.release(&r2, &s.r2, &s.d2).unwrap();
    let ix = escrow::extend_hire(r2.pubkey(), s.r2.lease, s.d2.address, s.r2.token, pay, 1);
    refused(&mut s, ix, &r2, EscrowError::HireReleased.into());
}

#[test]
fn an_ended_hire_cannot_be_extended_but_anyone_can_release_it() {
    let mut s = setup();
    let pay = s.m.payment();
    s.m.add_hire(&s.r, &s.d, 1).unwrap();
    s.m.warp_epochs(2); // the only epoch has passed
    let renter = s.r.wallet.insecure_clone();
    let ix = escrow::extend_hire(renter.pubkey(), s.r.lease, s.d.address, s.r.token, pay, 1);
    refused(&mut s, ix, &renter, EscrowError::HireEnded.into());
    let stranger = s.stranger.insecure_clone();
    let executed = s.m.release(&stranger, &s.r, &s.d).unwrap();
    let event: gpunet_sdk::escrow::HireReleased = executed.event();
    assert_eq!(event.refunded, 0);
}

#[test]
fn a_paused_network_takes_no_new_lease_hire_or_extension_but_settles() {
    let mut s = setup();
    let pay = s.m.payment();
    s.m.add_hire(&s.r, &s.d, 2).unwrap();
    let start = s.m.hire(&s.r, &s.d).start_epoch;
    s.m.warp_epochs(1);
    s.m.attest(&s.d, start).unwrap();
    pause(&mut s.m, true);
    let renter = s.r.wallet.insecure_clone();
    let ix = escrow::extend_hire(renter.pubkey(), s.r.lease, s.d.address, s.r.token, pay, 1);
    refused(&mut s, ix, &renter, EscrowError::NetworkPaused.into());
    s.m.warp_epochs(2);
    let anyone = s.stranger.insecure_clone();
    s.m.settle(&anyone, &s.r, &s.d).unwrap();
    assert_eq!(s.m.hire(&s.r, &s.d).epochs_paid, 1);
}

/// What an indexer keeps per hire, built from events alone.
#[derive(Debug, Default, PartialEq)]
struct HireRow {
    start_epoch: u64,
    end_epoch: u64,
    settled_through: u64,
    released: bool,
    epochs_paid: u64,
    epochs_missed: u64,
    paid_to_owner: u64,
    fees: u64,
    refunded: u64,
}

#[test]
fn the_events_alone_rebuild_every_lease_hire_and_settlement() {
    use gpunet_sdk::escrow::{
        HireAdded, HireExtended, HireReleased, HireSettled, LeaseCreated, LeaseTerminated,
    };
    let mut s = setup();
    let anyone = s.stranger.insecure_clone();
    let mut txs = Vec::new();
    let renter = s.m.renter(1_000 * USDC, 9, 2 * USDC);
    txs.push(s.m.add_hire(&renter, &s.d, 3).unwrap());
    txs.push(s.m.add_hire(&renter, &s.d2, 5).unwrap());
    let start = s.m.hire(&renter, &s.d).start_epoch;
    s.m.warp_epochs(1);
    s.m.attest(&s.d, start).unwrap();
    s.m.attest(&s.d2, start).unwrap();
    s.m.warp_epochs(1);
    s.m.attest(&s.d2, start + 1).unwrap();
    txs.push(s.m.extend(&renter, &s.d, 2).unwrap());
    s.m.warp_epochs(1);
    txs.push(s.m.settle(&anyone, &renter, &s.d).unwrap());
    txs.push(s.m.settle(&anyone, &renter, &s.d2).unwrap());
    txs.push(s.m.terminate(&renter).unwrap());
    txs.push(s.m.release(&anyone, &renter, &s.d).unwrap());
    txs.push(s.m.release(&anyone, &renter, &s.d2).unwrap());
    s.m.warp_epochs(2);
    txs.push(s.m.settle(&anyone, &renter, &s.d).unwrap());
    txs.push(s.m.settle(&anyone, &renter, &s.d2).unwrap());

    let mut rows: BTreeMap<Pubkey, HireRow> = BTreeMap::new();
    let mut totals = gpunet_sdk::escrow::LeaseTotals::default();
    let mut terminated_at = None;
    for tx in &txs {
        assert!(tx.events::<LeaseCreated>().is_empty());
        for e in tx.events::<HireAdded>() {
            assert_eq!(e.lease, renter.lease);
            totals.deposited += e.deposit;
            rows.insert(
                e.hire,
                HireRow {
                    start_epoch: e.start_epoch,
                    end_epoch: e.end_epoch,
                    settled_through: e.start_epoch,
                    ..HireRow::default()
                },
            );
        }
        for e in tx.events::<HireExtended>() {
            totals.deposited += e.deposit;
            rows.get_mut(&e.hire).unwrap().end_epoch = e.end_epoch;
        }
        for e in tx.events::<HireSettled>() {
            let row = rows.get_mut(&e.hire).unwrap();
            assert_eq!(
                e.from_epoch, row.settled_through,
                "settlements chain without gaps"
            );
            assert_eq!(e.attested + e.missed, e.to_epoch - e.from_epoch);
            assert_eq!(u64::from(e.missed_mask.count_ones()), e.missed);
            row.settled_through = e.to_epoch;
            row.epochs_paid += e.attested;
            row.epochs_missed += e.missed;
            row.paid_to_owner += e.to_owner;
            row.fees += e.to_treasury;
            row.refunded += e.to_renter;
            totals.paid_to_owners += e.to_owner;
            totals.fees += e.to_treasury;
            totals.refunded += e.to_renter;
        }
        for e in tx.events::<HireReleased>() {
            let row = rows.get_mut(&e.hire).unwrap();
            row.end_epoch = e.end_epoch;
            row.released = true;
            row.refunded += e.refunded;
            totals.refunded += e.refunded;
        }
        for e in tx.events::<LeaseTerminated>() {
            terminated_at = Some(e.terminated_at_epoch);
        }
    }
    let lease = s.m.lease(&renter);
    assert_eq!(lease.totals, totals);
    assert_eq!(lease.terminated_at_epoch, terminated_at);
    assert_eq!(rows.len(), 2);
    for d in [&s.d, &s.d2] {
        let address = escrow::hire_address(&renter.lease, &d.address);
        let h: Hire = s.m.hire(&renter, d);
        let on_chain = HireRow {
            start_epoch: h.start_epoch,
            end_epoch: h.end_epoch,
            settled_through: h.settled_through,
            released: h.released,
            epochs_paid: h.epochs_paid,
            epochs_missed: h.epochs_missed,
            paid_to_owner: h.paid_to_owner,
            fees: h.fees,
            refunded: h.refunded,
        };
        assert_eq!(rows[&address], on_chain);
    }
    // The events come through the self-CPI, not the logs, so log truncation cannot lose them.
    let settle = &txs[3];
    assert!(settle.logs.iter().all(|l| !l.starts_with("Program data: ")));
    assert_eq!(
        settle
            .inner_instructions
            .iter()
            .filter(|d| d.starts_with(anchor_lang::event::EVENT_IX_TAG_LE))
            .count(),
        1
    );
}
