//! Property test of the escrow's money rule: random sequences of escrow instructions,
//! valid and invalid, interleaved with attestations, clock warps and tokens sent straight
//! to vaults, never create or destroy tokens and never leave a vault below what it owes.
//! `GPUNET_ESCROW_CASES` sets the number of sequences, `GPUNET_TEST_SEED` the seed.

use gpunet_sdk::escrow::{self, Hire, Lease, Payees};
use gpunet_sdk::registry::FeeSchedule;
use gpunet_tests::market::{Market, Renter, TestDevice, USDC};
use gpunet_tests::rng::Rng;
use gpunet_tests::{Executed, Failed, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

const RENTER_FUNDS: u64 = 5_000 * USDC;
const STRANGER_FUNDS: u64 = 100 * USDC;

struct World {
    m: Market,
    renters: Vec<Renter>,
    devices: Vec<TestDevice>,
    stranger: Keypair,
    stranger_token: Pubkey,
    minted: u64,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let fee = |rng: &mut Rng| match rng.below(4) {
            0 => 0,
            1 => 10_000,
            _ => rng.below(1_001) as u16,
        };
        let fees = FeeSchedule {
            renter_fee_bps: fee(rng),
            supplier_fee_bps: fee(rng),
            inference_fee_bps: 0,
        };
        let epoch_seconds = [60, 90, 3600][rng.below(3) as usize];
        let mut m = Market::with(fees, epoch_seconds, vec![], 0);
        let devices = (0..4)
            .map(|i| {
                let gpus = 1 + rng.below(8) as u16;
                let price = 1_000 + rng.below(3 * USDC);
                m.register_device(i, gpus, price)
            })
            .collect();
        let renters = (0..2)
            .map(|i| m.renter(RENTER_FUNDS, i, 3 * USDC + 1_000))
            .collect();
        let stranger = m.chain.funded_keypair(10);
        let stranger_token = m.chain.create_token_account(&stranger.pubkey(), &m.usdc);
        let authority = m.usdc_authority.insecure_clone();
        m.chain
            .mint_to(&m.usdc, &authority, &stranger_token, STRANGER_FUNDS);
        World {
            m,
            renters,
            devices,
            stranger,
            stranger_token,
            minted: 2 * RENTER_FUNDS + STRANGER_FUNDS,
        }
    }

    /// Every token account of the payment mint that exists in this world.
    fn token_accounts(&self) -> Vec<Pubkey> {
        let mut accounts = vec![self.m.treasury_token, self.stranger_token];
        accounts.extend(self.renters.iter().map(|r| r.token));
        accounts.extend(self.devices.iter().map(|d| d.owner_token));
        accounts.extend(
            self.renters
                .iter()
                .map(|r| escrow::vault_address(&r.lease))
                .filter(|v| self.m.chain.account(v).is_some()),
        );
        accounts
    }

    fn balances(&self) -> Vec<u64> {
        self.token_accounts()
            .iter()
            .map(|a| self.m.chain.token_balance(a))
            .collect()
    }

    fn check(&self, step: &str) {
        let total: u64 = self.balances().iter().sum();
        assert_eq!(total, self.minted, "{step}: tokens created or destroyed");
        for r in &self.renters {
            let Some(account) = self.m.chain.account(&r.lease) else {
                assert!(
                    self.m
                        .chain
                        .account(&escrow::vault_address(&r.lease))
                        .is_none()
                );
                continue;
            };
            let lease: Lease = gpunet_sdk::decode_account(&account.data).unwrap();
            // What the lease owes is exactly the unsettled epochs of its hires.
            let mut owed_by_hires = 0u64;
            let mut hires = 0;
            let mut active = 0;
            for d in &self.devices {
                let address = escrow::hire_address(&r.lease, &d.address);
                let Some(account) = self.m.chain.account(&address) else {
                    continue;
                };
                let hire: Hire = gpunet_sdk::decode_account(&account.data).unwrap();
                assert!(
                    hire.settled_through <= hire.end_epoch,
                    "{step}: settled past the end"
                );
                assert!(hire.start_epoch <= hire.end_epoch || hire.released);
                let unsettled = hire.end_epoch - hire.settled_through;
                owed_by_hires += unsettled * hire.terms.deposit_per_epoch().unwrap();
                hires += 1;
                let lock = self.m.chain.account(&escrow::lock_address(&d.address));
                if !hire.released {
                    active += 1;
                    let lock: escrow::DeviceLock = gpunet_sdk::decode_account(
                        &lock.expect("a running hire holds its lock").data,
                    )
                    .unwrap();
                    assert_eq!(lock.hire, address, "{step}: lock names another hire");
                }
            }
            assert_eq!(
                (lease.hires, lease.active_hires),
                (hires, active),
                "{step}: hire counts"
            );
            assert_eq!(lease.totals.owed(), owed_by_hires, "{step}: owed");
            let vault = self.m.vault_balance(r);
            assert!(
                vault >= lease.totals.owed(),
                "{step}: vault {vault} below owed {}",
                lease.totals.owed()
            );
        }
    }

    fn payees(&self, r: usize, d: usize) -> Payees {
        self.m.payees(&self.renters[r], &self.devices[d])
    }

    fn epochs(rng: &mut Rng) -> u64 {
        match rng.below(10) {
            0 => 0,
            1 => u64::MAX - rng.below(3),
            2 => rng.edgy_u64(),
            _ => 1 + rng.below(6),
        }
    }

    /// One random operation; returns its name and result.
    fn step(&mut self, rng: &mut Rng) -> (String, Option<Result<Executed, Failed>>) {
        let (r, d) = (rng.below(2) as usize, rng.below(4) as usize);
        let caller = if rng.below(3) == 0 {
            self.stranger.insecure_clone()
        } else {
            self.renters[r].wallet.insecure_clone()
        };
        let pay = self.m.payment();
        let (renter, device) = (&self.renters[r], &self.devices[d]);
        let (lease, wallet) = (renter.lease, renter.wallet.pubkey());
        // The caller's own token account: a stranger pays (or tries to) from theirs.
        let caller_token = if caller.pubkey() == wallet {
            renter.token
        } else {
            self.stranger_token
        };
        // Weights: hiring, settling and attesting often; ending things rarely.
        let op = match rng.below(80) {
            0..=17 => 0,   // add_hire
            18..=33 => 2,  // settle_hire
            34..=39 => 4,  // extend_hire
            40..=43 => 5,  // release_hire
            44 => 6,       // terminate_lease
            45..=50 => 7,  // close_hire
            51..=53 => 8,  // close_lease, or open the next lease
            54..=69 => 9,  // attest_uptime
            70..=75 => 10, // warp the clock
            _ => 11,       // tokens sent straight to a vault
        };
        let kind;
        let ix = match op {
            0 => {
                let epochs = Self::epochs(rng);
                let ix = escrow::add_hire(
                    caller.pubkey(),
                    lease,
                    device.address,
                    caller_token,
                    pay,
                    epochs,
                );
                return (
                    format!("add_hire r{r} d{d} {epochs}"),
                    Some(self.m.chain.send(&[ix], &[&caller])),
                );
            }
            2 => {
                let mut payees = self.payees(r, d);
                if rng.below(8) == 0 {
                    payees.owner_token = self.stranger_token; // substituted payee
                }
                let ix = self.m.settle_ix(&caller, renter, device, payees);
                return (
                    format!("settle r{r} d{d}"),
                    Some(self.m.chain.send(&[ix], &[&caller])),
                );
            }
            4 => {
                let epochs = Self::epochs(rng);
                let ix = escrow::extend_hire(
                    caller.pubkey(),
                    lease,
                    device.address,
                    caller_token,
                    pay,
                    epochs,
                );
                return (
                    format!("extend r{r} d{d} {epochs}"),
                    Some(self.m.chain.send(&[ix], &[&caller])),
                );
            }
            5 => {
                kind = "release_hire";
                escrow::release_hire(
                    caller.pubkey(),
                    wallet,
                    lease,
                    device.address,
                    renter.token,
                    pay,
                )
            }
            6 => {
                kind = "terminate_lease";
                escrow::terminate_lease(caller.pubkey(), lease)
            }
            7 => {
                kind = "close_hire";
                escrow::close_hire(wallet, lease, device.address)
            }
            8 if self.m.chain.account(&lease).is_none() => {
                // The lease was closed: the renter opens the next one.
                let renter = &mut self.renters[r];
                let lease_id = renter.lease_id + 2;
                let ix = escrow::create_lease(
                    renter.wallet.pubkey(),
                    pay,
                    escrow::CreateLeaseArgs {
                        lease_id,
                        name: "again".into(),
                        job: "cmd:true".into(),
                        max_price_per_gpu_hour: 3 * USDC + 1_000,
                    },
                );
                let wallet = renter.wallet.insecure_clone();
                renter.lease_id = lease_id;
                renter.lease = escrow::lease_address(&wallet.pubkey(), lease_id);
                return (
                    format!("create_lease r{r} {lease_id}"),
                    Some(self.m.chain.send(&[ix], &[&wallet])),
                );
            }
            8 => {
                kind = "close_lease";
                escrow::close_lease(caller.pubkey(), lease, caller_token, pay)
            }
            9 => {
                let epoch = self.m.current_epoch().saturating_sub(rng.below(3));
                let device = &self.devices[d];
                return (
                    format!("attest d{d} {epoch}"),
                    Some(self.m.attest(device, epoch)),
                );
            }
            10 => {
                let epochs = rng.below(4);
                self.m.warp_epochs(epochs);
                return (format!("warp {epochs}"), None);
            }
            _ => {
                // Tokens sent straight to a vault: allowed, owed nothing, swept on close.
                let vault = escrow::vault_address(&lease);
                let amount = rng.below(10 * USDC);
                let ix = spl_token_interface::instruction::transfer(
                    &spl_token_interface::ID,
                    &self.stranger_token,
                    &vault,
                    &self.stranger.pubkey(),
                    &[],
                    amount,
                )
                .unwrap();
                let stranger = self.stranger.insecure_clone();
                return (
                    format!("donate r{r} {amount}"),
                    Some(self.m.chain.send(&[ix], &[&stranger])),
                );
            }
        };
        let name = format!(
            "{kind} r{r} d{d} by {}",
            if caller.pubkey() == wallet {
                "renter"
            } else {
                "stranger"
            }
        );
        (name, Some(self.m.chain.send(&[ix], &[&caller])))
    }

    /// Ends everything: terminate, release, settle to the end, close. Afterwards every
    /// token is back with a renter, an owner, the treasury or the stranger.
    fn wind_down(&mut self) {
        let pay = self.m.payment();
        let anyone = self.stranger.insecure_clone();
        for r in 0..2 {
            let _ = self.m.terminate(&self.renters[r]);
        }
        for r in 0..2 {
            for d in 0..4 {
                let renter = &self.renters[r];
                let ix = escrow::release_hire(
                    anyone.pubkey(),
                    renter.wallet.pubkey(),
                    renter.lease,
                    self.devices[d].address,
                    renter.token,
                    pay,
                );
                let _ = self.m.chain.send(&[ix], &[&anyone]);
            }
        }
        self.m.warp_epochs(3);
        for r in 0..2 {
            for d in 0..4 {
                while self
                    .m
                    .settle(&anyone, &self.renters[r], &self.devices[d])
                    .is_ok()
                {}
                let _ = self
                    .m
                    .close_hire(&anyone, &self.renters[r], &self.devices[d]);
            }
            let _ = self.m.close_lease(&self.renters[r]);
            assert!(
                self.m.chain.account(&self.renters[r].lease).is_none(),
                "lease {r} closes in the end"
            );
        }
        self.check("wound down");
        assert_eq!(self.balances().len(), 8, "no vault left");
    }
}

#[test]
fn random_escrow_sequences_conserve_tokens_and_keep_vaults_solvent() {
    let cases: u64 = std::env::var("GPUNET_ESCROW_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut seeds = Rng::from_env(0x6770_756e_6574);
    let (mut succeeded, mut failed) = (0, 0);
    let mut kinds_succeeded = std::collections::BTreeSet::new();
    for case in 0..cases {
        let seed = seeds.next_u64();
        let mut rng = Rng::new(seed);
        let mut w = World::new(&mut rng);
        w.check("start");
        for i in 0..120 {
            let before = w.balances();
            let (name, result) = w.step(&mut rng);
            let step = format!("case {case} (seed {seed}) step {i}: {name}");
            match result {
                None => {}
                Some(Ok(_)) => {
                    succeeded += 1;
                    kinds_succeeded.insert(name.split(' ').next().unwrap().to_string());
                }
                Some(Err(ref e)) => {
                    if std::env::var("GPUNET_DEBUG").is_ok() {
                        eprintln!("{name}: {:?}", e.error);
                    }
                    failed += 1;
                    assert_eq!(
                        w.balances(),
                        before,
                        "{step}: a failed instruction moved tokens"
                    );
                }
            }
            w.check(&step);
        }
        w.wind_down();
    }
    // The sequences must exercise every instruction and both outcomes, or the property
    // says little.
    assert!(
        succeeded > cases * 15 && failed > cases * 15,
        "{succeeded} succeeded, {failed} failed"
    );
    let all = [
        "add_hire",
        "settle",
        "extend",
        "release_hire",
        "terminate_lease",
        "close_hire",
        "close_lease",
        "create_lease",
        "attest",
        "donate",
    ];
    for kind in all {
        assert!(
            kinds_succeeded.contains(kind),
            "no successful {kind} in {cases} sequences: {kinds_succeeded:?}"
        );
    }
}
