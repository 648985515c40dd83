//! Staking on the built programs in litesvm: stakes and cooldown, slashing from escrow
//! settlement and from the verifier quorum, block rewards by weight, and every rejection.

use anchor_lang::{InstructionData, ToAccountMetas};
use gpunet_sdk::registry;
use gpunet_sdk::staking::{self, SlashReason, SlashStatus, StakingError, StakingParams};
use gpunet_tests::market::{
    Market, Renter, TOKEN, TestDevice, USDC, default_fees, default_staking_params, specs,
};
use gpunet_tests::{Executed, Failed, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = 24 * 3600;

/// A device of 8 plain GPUs staked at its minimum (1,600 tokens), hired for 3 epochs,
/// attesting the first and the third: settlement proposes a slash for the second.
struct Missed {
    m: Market,
    d: TestDevice,
    renter: Renter,
    renter_stake_token: Pubkey,
    anyone: Keypair,
}

fn missed_epoch() -> Missed {
    let mut m = Market::new();
    let d = m.register_device(1, 8, USDC);
    let renter = m.renter(1_000 * USDC, 1, USDC);
    let renter_stake_token = m
        .chain
        .create_token_account(&renter.wallet.pubkey(), &m.stake_mint);
    m.add_hire(&renter, &d, 3).unwrap();
    let start = m.hire(&renter, &d).start_epoch;
    m.warp_epochs(1);
    m.attest(&d, start).unwrap();
    m.warp_epochs(2);
    m.attest(&d, start + 2).unwrap();
    m.warp_epochs(2);
    let anyone = m.chain.funded_keypair(1);
    m.settle(&anyone, &renter, &d).unwrap();
    Missed {
        m,
        d,
        renter,
        renter_stake_token,
        anyone,
    }
}

fn finalize(x: &mut Missed, slash_id: u64) -> Result<Executed, Failed> {
    let ix = staking::finalize_slash(
        x.d.address,
        slash_id,
        x.m.treasury_stake_token,
        x.renter_stake_token,
        x.m.stake_mint(),
    );
    let anyone = x.anyone.insecure_clone();
    x.m.chain.send(&[ix], &[&anyone])
}

#[test]
fn a_missed_hired_epoch_is_slashed_after_the_challenge_window_with_exact_amounts() {
    let mut x = missed_epoch();
    let slash = x.m.slash(&x.d, 0);
    // 1 % of the 1,600-token minimum per missed epoch.
    assert_eq!(slash.amount, 16 * TOKEN);
    assert_eq!(slash.reason, SlashReason::MissedEpochs { count: 1 });
    assert_eq!(slash.beneficiary, Some(x.renter.wallet.pubkey()));
    assert_eq!(slash.status, SlashStatus::Pending);
    assert_eq!(
        slash.evidence,
        gpunet_sdk::escrow::hire_address(&x.renter.lease, &x.d.address).to_bytes()
    );
    let stake = x.m.stake_account(&x.d);
    assert_eq!(
        (stake.pending_slashes, stake.pending_slash_amount),
        (1, 16 * TOKEN)
    );

    finalize(&mut x, 0)
        .unwrap_err()
        .assert_anchor_error(StakingError::ChallengeWindowOpen.into());
    x.m.chain.warp_seconds(3 * DAY);
    let executed = finalize(&mut x, 0).unwrap();
    let event: staking::SlashFinalized = executed.event();
    assert_eq!(
        (event.taken, event.to_renter, event.to_treasury),
        (16 * TOKEN, 8 * TOKEN, 8 * TOKEN)
    );
    assert_eq!(x.m.chain.token_balance(&x.renter_stake_token), 8 * TOKEN);
    assert_eq!(
        x.m.chain.token_balance(&x.m.treasury_stake_token),
        8 * TOKEN
    );
    assert_eq!(x.m.stake_vault_balance(&x.d), 1_584 * TOKEN);
    let stake = x.m.stake_account(&x.d);
    assert_eq!(
        (stake.active, stake.cooling, stake.slashed_total),
        (1_584 * TOKEN, 0, 16 * TOKEN)
    );
    assert_eq!((stake.pending_slashes, stake.pending_slash_amount), (0, 0));
    assert_eq!(x.m.slash(&x.d, 0).status, SlashStatus::Finalized);
    finalize(&mut x, 0)
        .unwrap_err()
        .assert_anchor_error(StakingError::SlashNotPending.into());
    // Below its minimum now: once freed, the device cannot be hired until topped up.
    let anyone = x.anyone.insecure_clone();
    x.m.release(&anyone, &x.renter, &x.d).unwrap();
    let other = x.m.renter(100 * USDC, 2, USDC);
    x.m.add_hire(&other, &x.d, 1)
        .unwrap_err()
        .assert_anchor_error(gpunet_sdk::escrow::EscrowError::BelowMinimumStake.into());
    x.m.stake(&x.d, 16 * TOKEN).unwrap();
    x.m.add_hire(&other, &x.d, 1).unwrap();
}

#[test]
fn governance_cancels_within_the_window_and_only_then() {
    let mut x = missed_epoch();
    let admin = x.m.admin.insecure_clone();
    let stranger = x.anyone.insecure_clone();
    let cancel = |signer: &Keypair| staking::cancel_slash(signer.pubkey(), x.d.address, 0);
    let ix = cancel(&stranger);
    x.m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(StakingError::NotAdmin.into());
    let ix = cancel(&admin);
    x.m.chain.execute(&[ix], &[&admin]);
    assert_eq!(x.m.slash(&x.d, 0).status, SlashStatus::Cancelled);
    assert_eq!(x.m.stake_account(&x.d).pending_slashes, 0);
    x.m.chain.warp_seconds(3 * DAY);
    finalize(&mut x, 0)
        .unwrap_err()
        .assert_anchor_error(StakingError::SlashNotPending.into());
    assert_eq!(
        x.m.stake_vault_balance(&x.d),
        1_600 * TOKEN,
        "nothing taken"
    );

    // A second missed epoch, cancelled too late.
    let mut y = missed_epoch();
    y.m.chain.warp_seconds(3 * DAY);
    let admin = y.m.admin.insecure_clone();
    let ix = staking::cancel_slash(admin.pubkey(), y.d.address, 0);
    y.m.chain
        .send(&[ix], &[&admin])
        .unwrap_err()
        .assert_anchor_error(StakingError::ChallengeWindowClosed.into());
}

#[test]
fn unstaking_during_a_pending_slash_cannot_escape_it() {
    let mut x = missed_epoch();
    let owner = x.d.owner.insecure_clone();
    let ix = staking::request_unstake(owner.pubkey(), x.d.address, 1_600 * TOKEN);
    x.m.chain.execute(&[ix], &[&owner]);
    let stake = x.m.stake_account(&x.d);
    assert_eq!((stake.active, stake.cooling), (0, 1_600 * TOKEN));
    let withdraw = staking::withdraw(
        owner.pubkey(),
        x.d.address,
        x.d.owner_stake_token,
        x.m.stake_mint(),
    );
    x.m.chain
        .send(std::slice::from_ref(&withdraw), &[&owner])
        .unwrap_err()
        .assert_anchor_error(StakingError::CooldownNotOver.into());
    x.m.chain.warp_seconds(14 * DAY);
    x.m.chain
        .send(std::slice::from_ref(&withdraw), &[&owner])
        .unwrap_err()
        .assert_anchor_error(StakingError::SlashPending.into());
    finalize(&mut x, 0).unwrap();
    let stake = x.m.stake_account(&x.d);
    assert_eq!(
        (stake.active, stake.cooling),
        (0, 1_584 * TOKEN),
        "taken from the cooling stake"
    );
    x.m.chain
        .execute(std::slice::from_ref(&withdraw), &[&owner]);
    assert_eq!(
        x.m.chain.token_balance(&x.d.owner_stake_token),
        1_584 * TOKEN
    );
    assert_eq!(x.m.stake_vault_balance(&x.d), 0);
    x.m.chain
        .send(&[withdraw], &[&owner])
        .unwrap_err()
        .assert_anchor_error(StakingError::NothingToWithdraw.into());
}

#[test]
fn stake_and_unstake_reject_strangers_zero_and_excess() {
    let mut m = Market::new();
    let d = m.register_device(1, 1, USDC);
    let stranger = m.chain.funded_keypair(1);
    let stranger_token = m
        .chain
        .create_token_account(&stranger.pubkey(), &m.stake_mint);
    let authority = m.stake_authority.insecure_clone();
    m.chain
        .mint_to(&m.stake_mint, &authority, &stranger_token, 10 * TOKEN);
    let ix = staking::stake(
        stranger.pubkey(),
        d.address,
        stranger_token,
        m.stake_mint(),
        TOKEN,
    );
    m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(StakingError::NotDeviceOwner.into());
    let ix = staking::request_unstake(stranger.pubkey(), d.address, TOKEN);
    m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(StakingError::NotDeviceOwner.into());
    let ix = staking::request_unstake(d.agent.pubkey(), d.address, TOKEN);
    m.chain
        .send(&[ix], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(StakingError::NotDeviceOwner.into());
    let owner = d.owner.insecure_clone();
    for (amount, error) in [
        (0, StakingError::ZeroAmount),
        (200 * TOKEN + 1, StakingError::InsufficientStake),
    ] {
        let ix = staking::request_unstake(owner.pubkey(), d.address, amount);
        m.chain
            .send(&[ix], &[&owner])
            .unwrap_err()
            .assert_anchor_error(error.into());
    }
    m.stake(&d, 0)
        .unwrap_err()
        .assert_anchor_error(StakingError::ZeroAmount.into());
    // The cooldown restarts with every request.
    let ix = staking::request_unstake(owner.pubkey(), d.address, TOKEN);
    m.chain.execute(&[ix], &[&owner]);
    m.chain.warp_seconds(10 * DAY);
    let ix = staking::request_unstake(owner.pubkey(), d.address, TOKEN);
    m.chain.execute(&[ix], &[&owner]);
    m.chain.warp_seconds(10 * DAY);
    let withdraw = staking::withdraw(
        owner.pubkey(),
        d.address,
        d.owner_stake_token,
        m.stake_mint(),
    );
    m.chain
        .send(std::slice::from_ref(&withdraw), &[&owner])
        .unwrap_err()
        .assert_anchor_error(StakingError::CooldownNotOver.into());
    m.chain.warp_seconds(4 * DAY);
    m.chain.execute(&[withdraw], &[&owner]);
    assert_eq!(m.chain.token_balance(&d.owner_stake_token), 2 * TOKEN);
}

#[test]
fn only_the_escrow_pda_proposes_missed_epoch_slashes() {
    let mut m = Market::new();
    let d = m.register_device(1, 1, USDC);
    let stranger = m.chain.funded_keypair(1);
    let stake = staking::stake_address(&d.address);
    // A stranger signing as the escrow authority, and a PDA-like key of another program.
    for authority in [stranger.insecure_clone(), Keypair::new_from_array([42; 32])] {
        let accounts = ::staking::accounts::ProposeMissedSlash {
            config: staking::config_address(),
            escrow_authority: authority.pubkey(),
            stake,
            slash: staking::slash_address(&stake, 0),
            payer: stranger.pubkey(),
            system_program: Pubkey::default(),
            event_authority: staking::event_authority(),
            program: staking::PROGRAM_ID,
        };
        let ix = solana_instruction::Instruction {
            program_id: staking::PROGRAM_ID,
            accounts: accounts.to_account_metas(None),
            data: ::staking::instruction::ProposeMissedSlash {
                args: staking::MissedSlashArgs {
                    device: d.address,
                    missed_epochs: 1,
                    amount: 200 * TOKEN,
                    evidence: [0; 32],
                    beneficiary: stranger.pubkey(),
                },
            }
            .data(),
        };
        let signers: Vec<&Keypair> = if authority.pubkey() == stranger.pubkey() {
            vec![&stranger]
        } else {
            vec![&stranger, &authority]
        };
        m.chain
            .send(&[ix], &signers)
            .unwrap_err()
            .assert_anchor_error(StakingError::NotEscrowAuthority.into());
    }
    assert_eq!(m.stake_account(&d).pending_slashes, 0);
}

#[test]
fn a_verifier_quorum_proposes_fraud_slashes_that_go_to_the_treasury() {
    let verifiers: Vec<Keypair> = (1..=3).map(|i| Keypair::new_from_array([i; 32])).collect();
    let keys = verifiers.iter().map(|v| v.pubkey()).collect();
    let mut m = Market::with(default_fees(), 3600, keys, 2);
    let d = m.register_device(1, 1, USDC);
    let payer = m.chain.funded_keypair(1);
    let stake = staking::stake_address(&d.address);
    let evidence = [7; 32];
    let message = staking::fraud_slash_message(&stake, 0, 50 * TOKEN, &evidence);
    let sign = |signers: &[&Keypair], message: &[u8]| {
        let s: Vec<(Pubkey, [u8; 64])> = signers
            .iter()
            .map(|k| (k.pubkey(), k.sign_message(message).into()))
            .collect();
        registry::verifier_signatures(&s, message)
    };
    let propose = staking::propose_fraud_slash(payer.pubkey(), d.address, 0, 50 * TOKEN, evidence);
    m.chain
        .send(
            &[sign(&[&verifiers[0]], &message), propose.clone()],
            &[&payer],
        )
        .unwrap_err()
        .assert_anchor_error(StakingError::VerifierQuorumNotMet.into());
    let other_amount = staking::fraud_slash_message(&stake, 0, 51 * TOKEN, &evidence);
    m.chain
        .send(
            &[
                sign(&[&verifiers[0], &verifiers[1]], &other_amount),
                propose.clone(),
            ],
            &[&payer],
        )
        .unwrap_err()
        .assert_anchor_error(StakingError::VerifierQuorumNotMet.into());
    m.chain.execute(
        &[sign(&[&verifiers[0], &verifiers[2]], &message), propose],
        &[&payer],
    );
    let slash = m.slash(&d, 0);
    assert_eq!(
        (slash.amount, slash.reason, slash.beneficiary),
        (50 * TOKEN, SlashReason::Fraud, None)
    );
    m.chain.warp_seconds(3 * DAY);
    // No beneficiary: everything goes to the treasury; the stake had only 200 tokens.
    let anyone_token = m.chain.create_token_account(&payer.pubkey(), &m.stake_mint);
    let ix = staking::finalize_slash(
        d.address,
        0,
        m.treasury_stake_token,
        anyone_token,
        m.stake_mint(),
    );
    m.chain.execute(&[ix], &[&payer]);
    assert_eq!(m.chain.token_balance(&m.treasury_stake_token), 50 * TOKEN);
    assert_eq!(m.chain.token_balance(&anyone_token), 0);
    assert_eq!(m.stake_account(&d).active, 150 * TOKEN);
}

#[test]
fn staking_parameters_change_only_by_the_admin_and_only_to_valid_values() {
    let mut m = Market::new();
    let stranger = m.chain.funded_keypair(1);
    let mut params = default_staking_params();
    params.cooldown_seconds = 7 * 24 * 3600;
    let ix = staking::update_staking(stranger.pubkey(), params.clone());
    m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(StakingError::NotAdmin.into());
    let admin = m.admin.insecure_clone();
    let invalid: Vec<(StakingParams, StakingError)> = vec![
        (
            StakingParams {
                challenge_window_seconds: 7 * 24 * 3600,
                ..params.clone()
            },
            StakingError::InvalidWindows,
        ),
        (
            StakingParams {
                challenge_window_seconds: 0,
                ..params.clone()
            },
            StakingError::InvalidWindows,
        ),
        (
            StakingParams {
                default_multiplier_bps: 0,
                ..params.clone()
            },
            StakingError::InvalidMultiplier,
        ),
        (
            StakingParams {
                multipliers: vec![params.multipliers[0], params.multipliers[0]],
                ..params.clone()
            },
            StakingError::DuplicateMultiplier,
        ),
        (
            StakingParams {
                escrow_authority: Pubkey::default(),
                ..params.clone()
            },
            StakingError::InvalidEscrowAuthority,
        ),
    ];
    for (p, error) in invalid {
        let ix = staking::update_staking(admin.pubkey(), p);
        m.chain
            .send(&[ix], &[&admin])
            .unwrap_err()
            .assert_anchor_error(error.into());
    }
    let ix = staking::update_staking(admin.pubkey(), params);
    m.chain.execute(&[ix], &[&admin]);
    let config: staking::StakingConfig = m.chain.anchor_account(&staking::config_address());
    assert_eq!(config.cooldown_seconds, 7 * 24 * 3600);
}

#[test]
fn rewards_split_each_epoch_by_weight_among_attesting_devices_and_pay_once() {
    let mut m = Market::new();
    let mut h100 = specs(2);
    h100.gpu_model = 100; // 4× multiplier
    let a = m.register_device_with(1, h100, USDC); // weight 80,000
    m.stake(&a, 1_600 * TOKEN).unwrap();
    let b = m.register_device(2, 8, USDC); // weight 80,000
    let c = m.register_device(3, 1, USDC); // weight 10,000
    let e = m.current_epoch();
    for d in [&a, &b, &c] {
        m.attest_and_register(d, e).unwrap();
    }
    m.register_weight(&a, e)
        .unwrap_err()
        .assert_anchor_error(StakingError::WeightAlreadyRegistered.into());
    m.warp_epochs(1);
    m.attest_and_register(&a, e + 1).unwrap();
    m.attest_and_register(&b, e + 1).unwrap();
    m.register_weight(&c, e + 1)
        .unwrap_err()
        .assert_anchor_error(StakingError::EpochNotAttested.into());
    m.warp_epochs(1);
    m.attest_and_register(&a, e + 2).unwrap();
    // A device below its minimum stake attests but cannot enter the rewards.
    let poor = m.register_unstaked_device(4, 1, USDC);
    m.stake(&poor, 199 * TOKEN).unwrap();
    m.attest_and_register(&poor, e + 2)
        .unwrap_err()
        .assert_anchor_error(StakingError::BelowMinimumStake.into());

    let emission = 4_566 * TOKEN;
    assert_eq!(m.epoch_rewards(e).total_weight, 170_000);
    assert_eq!(m.epoch_rewards(e).emission, emission);
    let anyone = m.chain.funded_keypair(1);
    // Epoch e is final once the current epoch passes e + 1 + 2 grace epochs.
    m.claim(&anyone, &a, &[e])
        .unwrap_err()
        .assert_anchor_error(StakingError::NothingToClaim.into());
    m.warp_epochs(2); // current e + 4: only e is final (e + 1 becomes final in e + 5)
    let share =
        |w: u64, total: u64| (u128::from(emission) * u128::from(w) / u128::from(total)) as u64;
    let executed = m.claim(&anyone, &a, &[e, e + 1, e + 2]).unwrap();
    let claimed: staking::RewardsClaimed = executed.event();
    assert_eq!(claimed.epochs, vec![e]);
    let a_e = share(80_000, 170_000);
    assert_eq!(m.chain.token_balance(&a.owner_stake_token), a_e);
    // Claiming again pays nothing more for that epoch.
    m.claim(&anyone, &a, &[e])
        .unwrap_err()
        .assert_anchor_error(StakingError::NothingToClaim.into());
    m.warp_epochs(2); // e + 6: e + 1 and e + 2 final, paid in one claim
    let executed = m.claim(&anyone, &a, &[e + 1, e + 2]).unwrap();
    assert_eq!(executed.event::<staking::RewardsClaimed>().epochs.len(), 2);
    let a_e1 = share(80_000, 160_000);
    assert_eq!(
        m.chain.token_balance(&a.owner_stake_token),
        a_e + a_e1 + emission,
        "alone in e + 2"
    );
    m.claim(&anyone, &b, &[e, e + 1]).unwrap();
    m.claim(&anyone, &c, &[e, e + 1]).unwrap();
    let b_total = share(80_000, 170_000) + share(80_000, 160_000);
    assert_eq!(m.chain.token_balance(&b.owner_stake_token), b_total);
    assert_eq!(
        m.chain.token_balance(&c.owner_stake_token),
        share(10_000, 170_000),
        "nothing for e + 1"
    );
    // Each epoch paid out at most its emission; the rounding dust is accounted for.
    let paid_e = share(80_000, 170_000) * 2 + share(10_000, 170_000);
    assert_eq!(m.epoch_rewards(e).claimed, paid_e);
    assert!(emission - paid_e < 3, "dust below one unit per device");
    assert_eq!(m.epoch_rewards(e + 1).claimed, 2 * share(80_000, 160_000));

    // Weights for an epoch can be registered only until its deadline.
    let late = m.current_epoch();
    m.attest(&b, late).unwrap();
    m.warp_epochs(4);
    m.register_weight(&b, late)
        .unwrap_err()
        .assert_anchor_error(StakingError::RegistrationClosed.into());
    // Another device's stake cannot be used to register.
    let ix = {
        let mut ix = staking::register_weight(c.agent.pubkey(), c.address, late);
        ix.accounts[3].pubkey = staking::stake_address(&b.address);
        ix
    };
    m.chain
        .send(&[ix], &[&c.agent])
        .unwrap_err()
        .assert_anchor_error(StakingError::WrongAccount.into());
}

#[test]
fn rewards_respect_the_decay_and_the_hard_cap() {
    let mut m = Market::new();
    let admin = m.admin.insecure_clone();
    let e = m.current_epoch();
    let mut params = default_staking_params();
    params.emission.start_epoch = e;
    params.emission.per_epoch = 1_000 * TOKEN;
    params.emission.decay_bps = 5_000; // halves every epoch
    params.emission.cap = 1_600 * TOKEN;
    let ix = staking::update_staking(admin.pubkey(), params);
    m.chain.execute(&[ix], &[&admin]);
    let d = m.register_device(1, 1, USDC);
    for i in 0..4 {
        m.attest_and_register(&d, e + i).unwrap();
        m.warp_epochs(1);
    }
    // 1,000 + 500 + min(250, 100 left) + 0.
    let emissions: Vec<u64> = (0..4).map(|i| m.epoch_rewards(e + i).emission).collect();
    assert_eq!(emissions, vec![1_000 * TOKEN, 500 * TOKEN, 100 * TOKEN, 0]);
}
