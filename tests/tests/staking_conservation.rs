//! Property test of staking: random sequences of stake, unstake, withdraw, attest and
//! register, claim, fraud-slash proposals, cancels, finalisations and clock warps never
//! create or destroy tokens, never pay a device more than its share of an epoch, never let
//! stake out before its cooldown, and keep every stake vault equal to active + cooling.
//! `GPUNET_STAKING_CASES` sets the number of sequences, `GPUNET_TEST_SEED` the seed.

use gpunet_sdk::registry;
use gpunet_sdk::staking::{self, RewardsClaimed, StakeAccount};
use gpunet_tests::market::{Market, TOKEN, TestDevice, default_fees, specs};
use gpunet_tests::rng::Rng;
use gpunet_tests::{Executed, Failed, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

struct World {
    m: Market,
    devices: Vec<TestDevice>,
    verifier: Keypair,
    payer: Keypair,
    payer_token: Pubkey,
    minted: u64,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let verifier = Keypair::new_from_array([5; 32]);
        let mut m = Market::with(default_fees(), 3600, vec![verifier.pubkey()], 1);
        let mut devices = Vec::new();
        for i in 0..3 {
            let mut s = specs(1 + rng.below(4) as u16);
            if rng.below(2) == 0 {
                s.gpu_model = 100; // 4× multiplier
            }
            let d = m.register_device_with(i, s, 1_000_000);
            devices.push(d);
        }
        let payer = m.chain.funded_keypair(100);
        let payer_token = m.chain.create_token_account(&payer.pubkey(), &m.stake_mint);
        World {
            m,
            devices,
            verifier,
            payer,
            payer_token,
            minted: 1_000_000 * TOKEN, // the emission vault
        }
    }

    fn stake_accounts(&self) -> Vec<Option<StakeAccount>> {
        self.devices
            .iter()
            .map(|d| {
                self.m
                    .chain
                    .account(&staking::stake_address(&d.address))
                    .map(|a| gpunet_sdk::decode_account(&a.data).unwrap())
            })
            .collect()
    }

    fn total(&self) -> u64 {
        let c = &self.m.chain;
        let mut accounts = vec![
            staking::emission_vault_address(),
            self.m.treasury_stake_token,
            self.payer_token,
        ];
        for d in &self.devices {
            accounts.push(d.owner_stake_token);
            let vault = staking::stake_vault_address(&d.address);
            if c.account(&vault).is_some() {
                accounts.push(vault);
            }
        }
        accounts.iter().map(|a| c.token_balance(a)).sum()
    }

    fn check(&self, step: &str) {
        assert_eq!(
            self.total(),
            self.minted,
            "{step}: tokens created or destroyed"
        );
        for (d, stake) in self.devices.iter().zip(self.stake_accounts()) {
            let Some(stake) = stake else { continue };
            assert_eq!(
                self.m.stake_vault_balance(d),
                stake.active + stake.cooling,
                "{step}: stake vault differs from active + cooling"
            );
        }
    }

    /// Ids of the device's slashes still pending.
    fn pending_slashes(&self, i: usize, proposed: u64) -> Vec<u64> {
        let stake = staking::stake_address(&self.devices[i].address);
        (0..proposed)
            .filter(|id| {
                let slash: staking::Slash = self
                    .m
                    .chain
                    .anchor_account(&staking::slash_address(&stake, *id));
                slash.status == staking::SlashStatus::Pending
            })
            .collect()
    }

    fn step(&mut self, rng: &mut Rng) -> (String, Option<Result<Executed, Failed>>) {
        let i = rng.below(3) as usize;
        let d = &self.devices[i];
        let amount = match rng.below(4) {
            0 => rng.edgy_u64(),
            _ => rng.below(500) * TOKEN + rng.below(TOKEN),
        };
        let owner = d.owner.insecure_clone();
        let payer = self.payer.insecure_clone();
        let stake = staking::stake_address(&d.address);
        let next_slash = self.stake_accounts()[i]
            .as_ref()
            .map_or(0, |s| s.slashes_proposed);
        let result = match rng.below(20) {
            0..=2 => {
                let amount = amount % (2_000 * TOKEN);
                let authority = self.m.stake_authority.insecure_clone();
                if amount > 0 {
                    self.m.chain.mint_to(
                        &self.m.stake_mint,
                        &authority,
                        &d.owner_stake_token,
                        amount,
                    );
                    self.minted += amount;
                }
                let ix = staking::stake(
                    owner.pubkey(),
                    d.address,
                    d.owner_stake_token,
                    self.m.stake_mint(),
                    amount,
                );
                ("stake", self.m.chain.send(&[ix], &[&owner]))
            }
            3 => {
                let ix = staking::request_unstake(owner.pubkey(), d.address, amount);
                ("request_unstake", self.m.chain.send(&[ix], &[&owner]))
            }
            4..=6 => {
                let before = self.stake_accounts()[i].clone();
                let ix = staking::withdraw(
                    owner.pubkey(),
                    d.address,
                    d.owner_stake_token,
                    self.m.stake_mint(),
                );
                let result = self.m.chain.send(&[ix], &[&owner]);
                if result.is_ok() {
                    let before = before.expect("withdrew from a stake account");
                    let now = self.m.chain.clock().unix_timestamp;
                    assert!(
                        now >= before.unlock_at,
                        "withdrew before the cooldown ended"
                    );
                    assert_eq!(before.pending_slashes, 0, "withdrew with a slash pending");
                }
                ("withdraw", result)
            }
            7..=10 => {
                let epoch = self.m.current_epoch();
                let d = &self.devices[i];
                let ixs = [
                    registry::attest_uptime(
                        d.agent.pubkey(),
                        d.address,
                        registry::AttestUptimeArgs {
                            epoch,
                            uptime_minutes: 60,
                            pow_digest: [1; 32],
                        },
                    ),
                    staking::register_weight(d.agent.pubkey(), d.address, epoch),
                ];
                let agent = d.agent.insecure_clone();
                let message = registry::attestation_message(&d.address, epoch, 60, &[1; 32]);
                let signature = (
                    self.verifier.pubkey(),
                    self.verifier.sign_message(&message).into(),
                );
                let sig_ix = registry::verifier_signatures(&[signature], &message);
                (
                    "attest_and_register",
                    self.m
                        .chain
                        .send(&[sig_ix, ixs[0].clone(), ixs[1].clone()], &[&agent]),
                )
            }
            11..=13 => {
                let pending: Vec<u64> = self.stake_accounts()[i]
                    .as_ref()
                    .map(|s| s.pending_rewards.iter().map(|p| p.epoch).collect())
                    .unwrap_or_default();
                let weights: Vec<(u64, u64)> = self.stake_accounts()[i]
                    .as_ref()
                    .map(|s| {
                        s.pending_rewards
                            .iter()
                            .map(|p| (p.epoch, p.weight))
                            .collect()
                    })
                    .unwrap_or_default();
                let result = self.m.claim(&payer, &self.devices[i], &pending);
                if let Ok(executed) = &result {
                    let claimed: RewardsClaimed = executed.event();
                    for (epoch, paid) in claimed.epochs.iter().zip(&claimed.amounts) {
                        let rewards = self.m.epoch_rewards(*epoch);
                        let weight = weights.iter().find(|(e, _)| e == epoch).unwrap().1;
                        let share = (u128::from(rewards.emission) * u128::from(weight)
                            / u128::from(rewards.total_weight))
                            as u64;
                        assert_eq!(*paid, share, "epoch {epoch}: paid other than the share");
                        assert!(
                            rewards.claimed <= rewards.emission,
                            "epoch {epoch} over-paid"
                        );
                    }
                }
                ("claim_rewards", result)
            }
            14 => {
                let amount = amount % (3_000 * TOKEN);
                let message = staking::fraud_slash_message(&stake, next_slash, amount, &[3; 32]);
                let signature = (
                    self.verifier.pubkey(),
                    self.verifier.sign_message(&message).into(),
                );
                let ixs = [
                    registry::verifier_signatures(&[signature], &message),
                    staking::propose_fraud_slash(
                        payer.pubkey(),
                        d.address,
                        next_slash,
                        amount,
                        [3; 32],
                    ),
                ];
                ("propose_fraud_slash", self.m.chain.send(&ixs, &[&payer]))
            }
            15 => {
                let pending = self.pending_slashes(i, next_slash);
                let id = pending
                    .first()
                    .copied()
                    .unwrap_or(rng.below(next_slash.max(1)));
                let admin = self.m.admin.insecure_clone();
                let ix = staking::cancel_slash(admin.pubkey(), d.address, id);
                ("cancel_slash", self.m.chain.send(&[ix], &[&admin]))
            }
            16..=17 => {
                let pending = self.pending_slashes(i, next_slash);
                let id = pending
                    .first()
                    .copied()
                    .unwrap_or(rng.below(next_slash.max(1)));
                let ix = staking::finalize_slash(
                    d.address,
                    id,
                    self.m.treasury_stake_token,
                    self.payer_token,
                    self.m.stake_mint(),
                );
                ("finalize_slash", self.m.chain.send(&[ix], &[&payer]))
            }
            18 => {
                let epochs = 1 + rng.below(3);
                self.m.warp_epochs(epochs);
                return (format!("warp {epochs} epochs"), None);
            }
            _ => {
                let days = 1 + rng.below(20);
                self.m.chain.warp_seconds(days as i64 * 24 * 3600);
                return (format!("warp {days} days"), None);
            }
        };
        (format!("{} d{i}", result.0), Some(result.1))
    }
}

#[test]
fn random_staking_sequences_conserve_tokens_pay_shares_and_respect_cooldowns() {
    let cases: u64 = std::env::var("GPUNET_STAKING_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let mut seeds = Rng::from_env(0x0073_7461_6b65);
    let mut kinds = std::collections::BTreeSet::new();
    for case in 0..cases {
        let seed = seeds.next_u64();
        let mut rng = Rng::new(seed);
        let mut w = World::new(&mut rng);
        w.check("start");
        for i in 0..150 {
            let before = w.total();
            let (name, result) = w.step(&mut rng);
            let step = format!("case {case} (seed {seed}) step {i}: {name}");
            if let Some(result) = result {
                match result {
                    Ok(_) => {
                        kinds.insert(name.split(' ').next().unwrap().to_string());
                    }
                    Err(_) => assert_eq!(
                        w.total(),
                        before,
                        "{step}: a failed instruction moved tokens"
                    ),
                }
            }
            w.check(&step);
        }
    }
    for kind in [
        "stake",
        "request_unstake",
        "withdraw",
        "attest_and_register",
        "claim_rewards",
        "propose_fraud_slash",
        "cancel_slash",
        "finalize_slash",
    ] {
        assert!(kinds.contains(kind), "no successful {kind}: {kinds:?}");
    }
}
