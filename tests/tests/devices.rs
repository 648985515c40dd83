//! Devices and uptime attestations on the built registry in litesvm: registration,
//! updates, status, attestations with and without a verifier quorum, and every rejection.

use anchor_lang::error::ErrorCode as AnchorError;
use gpunet_sdk::registry::{
    self, AttestUptimeArgs, Device, DeviceStatus, RegisterDeviceArgs, RegistryError,
    UpdateConfigArgs, UpdateDeviceArgs, VerifierSet,
};
use gpunet_sdk::registry::{DeviceRegistered, DeviceStatusChanged, DeviceUpdated, UptimeAttested};
use gpunet_tests::market::{Market, TestDevice, default_fees, specs};
use gpunet_tests::{Failed, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

fn register(
    m: &mut Market,
    owner: &Keypair,
    args: RegisterDeviceArgs,
) -> Result<gpunet_tests::Executed, Failed> {
    let ix = registry::register_device(owner.pubkey(), args);
    m.chain.send(&[ix], &[owner])
}

fn args(device_id: u64, agent: Pubkey) -> RegisterDeviceArgs {
    RegisterDeviceArgs {
        device_id,
        agent,
        specs: specs(8),
        price_per_gpu_hour: 2_000_000,
    }
}

fn attest_as(
    m: &mut Market,
    signer: &Keypair,
    device: Pubkey,
    epoch: u64,
    uptime: u16,
) -> Result<gpunet_tests::Executed, Failed> {
    let ix = registry::attest_uptime(
        signer.pubkey(),
        device,
        AttestUptimeArgs {
            epoch,
            uptime_minutes: uptime,
            pow_digest: [3; 32],
        },
    );
    m.chain.send(&[ix], &[signer])
}

#[test]
fn a_device_is_registered_with_its_specs_tier_price_and_keys() {
    let mut m = Market::new();
    let owner = m.chain.funded_keypair(10);
    let agent = m.chain.keypair();
    let mut a = args(42, agent.pubkey());
    a.specs.bandwidth_down_mbps = 12_000;
    a.specs.bandwidth_up_mbps = 950; // the slower direction decides: tier 1
    let executed = register(&mut m, &owner, a.clone()).unwrap();
    let address = registry::device_address(&owner.pubkey(), 42);
    let device: Device = m.chain.anchor_account(&address);
    assert_eq!(device.owner, owner.pubkey());
    assert_eq!(device.agent, agent.pubkey());
    assert_eq!(device.device_id, 42);
    assert_eq!(device.specs, a.specs);
    assert_eq!(device.connectivity_tier, 1);
    assert_eq!(device.price_per_gpu_hour, 2_000_000);
    assert_eq!(device.status, DeviceStatus::Active);
    assert_eq!(device.uptime.epochs_attested, 0);
    let event: DeviceRegistered = executed.event();
    assert_eq!(
        (event.device, event.owner, event.device_id),
        (address, owner.pubkey(), 42)
    );
    assert_eq!(event.connectivity_tier, 1);

    // The same id again is refused (the account exists); another id is a second device.
    let failed = register(&mut m, &owner, a.clone()).unwrap_err();
    assert_eq!(
        failed.custom_code(),
        Some(0),
        "system program: account in use"
    );
    register(&mut m, &owner, args(43, agent.pubkey())).unwrap();
}

#[test]
fn registration_rejects_bad_specs_prices_and_keys() {
    let mut m = Market::new();
    let owner = m.chain.funded_keypair(10);
    let agent = m.chain.keypair().pubkey();
    let cases: Vec<(RegisterDeviceArgs, RegistryError)> = vec![
        (
            {
                let mut a = args(1, agent);
                a.specs.gpu_count = 0;
                a
            },
            RegistryError::InvalidGpuCount,
        ),
        (
            {
                let mut a = args(1, agent);
                a.specs.gpu_count = 1_025;
                a
            },
            RegistryError::InvalidGpuCount,
        ),
        (
            {
                let mut a = args(1, agent);
                a.specs.country = *b"de";
                a
            },
            RegistryError::InvalidCountry,
        ),
        (
            {
                let mut a = args(1, agent);
                a.price_per_gpu_hour = 0;
                a
            },
            RegistryError::InvalidPrice,
        ),
        (args(1, owner.pubkey()), RegistryError::InvalidAgent),
        (args(1, Pubkey::default()), RegistryError::InvalidAgent),
    ];
    for (a, error) in cases {
        register(&mut m, &owner, a)
            .unwrap_err()
            .assert_anchor_error(error.into());
    }
    // A paused network accepts no registration.
    let admin = m.admin.insecure_clone();
    let pause = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    m.chain.execute(&[pause], &[&admin]);
    register(&mut m, &owner, args(1, agent))
        .unwrap_err()
        .assert_anchor_error(RegistryError::NetworkPaused.into());
}

#[test]
fn only_the_owner_updates_a_device_and_a_rotated_agent_key_stops_working() {
    let mut m = Market::new();
    let d = m.register_device(1, 8, 2_000_000);
    let stranger = m.chain.funded_keypair(1);
    let update = |signer: &Keypair, args: UpdateDeviceArgs| {
        registry::update_device(signer.pubkey(), d.address, args)
    };
    let price = UpdateDeviceArgs {
        price_per_gpu_hour: Some(3_000_000),
        ..Default::default()
    };
    for signer in [&stranger, &d.agent] {
        m.chain
            .send(&[update(signer, price.clone())], &[signer])
            .unwrap_err()
            .assert_anchor_error(RegistryError::NotDeviceOwner.into());
    }
    m.chain
        .send(
            &[update(&d.owner, UpdateDeviceArgs::default())],
            &[&d.owner],
        )
        .unwrap_err()
        .assert_anchor_error(RegistryError::EmptyUpdate.into());
    m.chain
        .send(
            &[update(
                &d.owner,
                UpdateDeviceArgs {
                    price_per_gpu_hour: Some(0),
                    ..Default::default()
                },
            )],
            &[&d.owner],
        )
        .unwrap_err()
        .assert_anchor_error(RegistryError::InvalidPrice.into());

    let new_agent = m.chain.funded_keypair(1);
    let mut new_specs = specs(4);
    new_specs.bandwidth_down_mbps = 20_000;
    new_specs.bandwidth_up_mbps = 20_000;
    let all = UpdateDeviceArgs {
        specs: Some(new_specs),
        price_per_gpu_hour: Some(3_000_000),
        agent: Some(new_agent.pubkey()),
    };
    let executed = m.chain.execute(&[update(&d.owner, all)], &[&d.owner]);
    let device = m.device(&d);
    assert_eq!((device.specs, device.connectivity_tier), (new_specs, 3));
    assert_eq!(
        (device.price_per_gpu_hour, device.agent),
        (3_000_000, new_agent.pubkey())
    );
    let event: DeviceUpdated = executed.event();
    assert_eq!(
        (event.agent, event.price_per_gpu_hour),
        (new_agent.pubkey(), 3_000_000)
    );

    let epoch = m.current_epoch();
    attest_as(&mut m, &d.agent, d.address, epoch, 60)
        .unwrap_err()
        .assert_anchor_error(RegistryError::NotDeviceAgent.into());
    attest_as(&mut m, &new_agent, d.address, epoch, 60).unwrap();
}

#[test]
fn the_owner_pauses_resumes_and_retires_and_a_retired_device_stays_retired() {
    let mut m = Market::new();
    let d = m.register_device(1, 8, 2_000_000);
    let status = |signer: &Keypair, s| registry::set_device_status(signer.pubkey(), d.address, s);
    m.chain
        .send(&[status(&d.agent, DeviceStatus::Paused)], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(RegistryError::NotDeviceOwner.into());
    m.chain
        .send(&[status(&d.owner, DeviceStatus::Active)], &[&d.owner])
        .unwrap_err()
        .assert_anchor_error(RegistryError::StatusUnchanged.into());
    let executed = m
        .chain
        .execute(&[status(&d.owner, DeviceStatus::Paused)], &[&d.owner]);
    assert_eq!(
        executed.event::<DeviceStatusChanged>().status,
        DeviceStatus::Paused
    );
    // A paused device still attests (its running hires are still settled).
    let epoch = m.current_epoch();
    m.attest(&d, epoch).unwrap();
    m.chain
        .execute(&[status(&d.owner, DeviceStatus::Active)], &[&d.owner]);
    m.chain
        .execute(&[status(&d.owner, DeviceStatus::Retired)], &[&d.owner]);
    assert_eq!(m.device(&d).status, DeviceStatus::Retired);
    for s in [DeviceStatus::Active, DeviceStatus::Paused] {
        m.chain
            .send(&[status(&d.owner, s)], &[&d.owner])
            .unwrap_err()
            .assert_anchor_error(RegistryError::DeviceRetired.into());
    }
    let update = registry::update_device(
        d.owner.pubkey(),
        d.address,
        UpdateDeviceArgs {
            price_per_gpu_hour: Some(1),
            ..Default::default()
        },
    );
    m.chain
        .send(&[update], &[&d.owner])
        .unwrap_err()
        .assert_anchor_error(RegistryError::DeviceRetired.into());
    m.warp_epochs(1);
    m.attest(&d, epoch + 1)
        .unwrap_err()
        .assert_anchor_error(RegistryError::DeviceRetired.into());
}

#[test]
fn attestations_cover_the_current_or_previous_epoch_once_and_only_from_the_agent() {
    let mut m = Market::new();
    let d = m.register_device(1, 8, 2_000_000);
    let e = m.current_epoch();
    let stranger = m.chain.funded_keypair(1);
    for signer in [&d.owner, &stranger] {
        attest_as(&mut m, signer, d.address, e, 60)
            .unwrap_err()
            .assert_anchor_error(RegistryError::NotDeviceAgent.into());
    }
    for epoch in [e + 1, e + 2, e.saturating_sub(2), 0, u64::MAX] {
        attest_as(&mut m, &d.agent, d.address, epoch, 60)
            .unwrap_err()
            .assert_anchor_error(RegistryError::EpochNotAttestable.into());
    }
    for uptime in [0, 61, u16::MAX] {
        attest_as(&mut m, &d.agent, d.address, e, uptime)
            .unwrap_err()
            .assert_anchor_error(RegistryError::InvalidUptime.into());
    }
    let executed = attest_as(&mut m, &d.agent, d.address, e, 45).unwrap();
    let event: UptimeAttested = executed.event();
    assert_eq!(
        (event.epoch, event.uptime_minutes, event.epochs_attested),
        (e, 45, 1)
    );
    // A replay of the same attestation (new blockhash, same content) fails.
    attest_as(&mut m, &d.agent, d.address, e, 45)
        .unwrap_err()
        .assert_anchor_error(RegistryError::AlreadyAttested.into());

    // Next epoch: the previous one is still open to a late attestation, once.
    m.warp_epochs(1);
    attest_as(&mut m, &d.agent, d.address, e + 1, 60).unwrap();
    m.warp_epochs(1);
    attest_as(&mut m, &d.agent, d.address, e + 1, 60)
        .unwrap_err()
        .assert_anchor_error(RegistryError::AlreadyAttested.into());
    attest_as(&mut m, &d.agent, d.address, e + 2, 30).unwrap();
    let device = m.device(&d);
    assert_eq!(device.uptime.epochs_attested, 3);
    assert_eq!(device.uptime.uptime_minutes, 135);
    assert_eq!(device.uptime.head_epoch, e + 2);
    for epoch in [e, e + 1, e + 2] {
        assert!(device.uptime.is_attested(epoch));
    }
    // 0 -> 0 + (7,500 - 0)/8 = 937 -> 937 + (10,000 - 937)/8 = 2,069 -> 2,069 + (5,000 - 2,069)/8 = 2,435
    assert_eq!(device.uptime.reliability_bps, 2_435);
}

#[test]
fn a_device_account_owned_by_another_program_is_refused() {
    let mut m = Market::new();
    let d = m.register_device(1, 8, 2_000_000);
    // A byte-for-byte copy of the device, owned by some other program.
    let mut copy = m.chain.account(&d.address).unwrap();
    copy.owner = Pubkey::new_unique();
    let forged = Pubkey::new_unique();
    m.chain.svm.set_account(forged, copy).unwrap();
    let e = m.current_epoch();
    attest_as(&mut m, &d.agent, forged, e, 60)
        .unwrap_err()
        .assert_anchor_error(AnchorError::AccountOwnedByWrongProgram.into());
}

/// A network requiring 2 of 3 verifiers, one device.
fn verified_market() -> (Market, Vec<Keypair>, TestDevice) {
    let verifiers: Vec<Keypair> = (1..=3).map(|i| Keypair::new_from_array([i; 32])).collect();
    let keys = verifiers.iter().map(|v| v.pubkey()).collect();
    let mut m = Market::with(default_fees(), 3600, keys, 2);
    let d = m.register_device(1, 8, 2_000_000);
    (m, verifiers, d)
}

fn attest_with(
    m: &mut Market,
    d: &TestDevice,
    epoch: u64,
    extra: Vec<solana_instruction::Instruction>,
) -> Result<gpunet_tests::Executed, Failed> {
    let mut ixs = extra;
    ixs.push(registry::attest_uptime(
        d.agent.pubkey(),
        d.address,
        AttestUptimeArgs {
            epoch,
            uptime_minutes: 60,
            pow_digest: [9; 32],
        },
    ));
    m.chain.send(&ixs, &[&d.agent])
}

fn signed(signers: &[&Keypair], message: &[u8]) -> solana_instruction::Instruction {
    let signatures: Vec<(Pubkey, [u8; 64])> = signers
        .iter()
        .map(|k| (k.pubkey(), k.sign_message(message).into()))
        .collect();
    registry::verifier_signatures(&signatures, message)
}

#[test]
fn with_a_quorum_an_attestation_needs_enough_distinct_verifier_signatures_over_it() {
    let (mut m, v, d) = verified_market();
    let e = m.current_epoch();
    let message = registry::attestation_message(&d.address, e, 60, &[9; 32]);
    let outsider = Keypair::new_from_array([77; 32]);
    let not_met = |r: Result<gpunet_tests::Executed, Failed>| {
        r.unwrap_err()
            .assert_anchor_error(RegistryError::VerifierQuorumNotMet.into())
    };
    not_met(attest_with(&mut m, &d, e, vec![]));
    not_met(attest_with(&mut m, &d, e, vec![signed(&[&v[0]], &message)]));
    not_met(attest_with(
        &mut m,
        &d,
        e,
        vec![signed(&[&v[0], &v[0]], &message)],
    ));
    not_met(attest_with(
        &mut m,
        &d,
        e,
        vec![signed(&[&v[0]], &message), signed(&[&v[0]], &message)],
    ));
    not_met(attest_with(
        &mut m,
        &d,
        e,
        vec![signed(&[&v[0], &outsider], &message)],
    ));
    // Signatures over another uptime, epoch or device do not count.
    let other_uptime = registry::attestation_message(&d.address, e, 59, &[9; 32]);
    let other_epoch = registry::attestation_message(&d.address, e - 1, 60, &[9; 32]);
    let other_device = registry::attestation_message(&Pubkey::new_unique(), e, 60, &[9; 32]);
    for wrong in [other_uptime, other_epoch, other_device] {
        not_met(attest_with(
            &mut m,
            &d,
            e,
            vec![signed(&[&v[0], &v[1]], &wrong)],
        ));
    }
    // A forged signature is stopped by the ed25519 program before ours runs.
    let mut forged = signed(&[&v[0], &v[1]], &message);
    let last_signature_byte = 2 + 14 * 2 + 96 * 2 - 1;
    forged.data[last_signature_byte] ^= 1;
    let failed = attest_with(&mut m, &d, e, vec![forged]).unwrap_err();
    assert!(
        matches!(failed.error, TransactionError::InstructionError(0, _)),
        "the ed25519 instruction must fail: {:?}",
        failed.error
    );
    assert!(!m.device(&d).uptime.is_attested(e));
    // A substituted instructions sysvar is refused.
    let mut ix = registry::attest_uptime(
        d.agent.pubkey(),
        d.address,
        AttestUptimeArgs {
            epoch: e,
            uptime_minutes: 60,
            pow_digest: [9; 32],
        },
    );
    ix.accounts[3].pubkey = Pubkey::new_unique();
    m.chain
        .send(&[signed(&[&v[0], &v[1]], &message), ix], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(RegistryError::WrongInstructionsSysvar.into());

    // Two verifiers, in one instruction or in two, are enough.
    let executed = attest_with(&mut m, &d, e, vec![signed(&[&v[2], &v[0]], &message)]).unwrap();
    assert_eq!(executed.event::<UptimeAttested>().verifier_signatures, 2);
    m.warp_epochs(1);
    let message = registry::attestation_message(&d.address, e + 1, 60, &[9; 32]);
    let executed = attest_with(
        &mut m,
        &d,
        e + 1,
        vec![
            signed(&[&v[1]], &message),
            signed(&[&v[2], &v[0]], &message),
        ],
    )
    .unwrap();
    assert_eq!(executed.event::<UptimeAttested>().verifier_signatures, 3);

    // Dropping the quorum to 0 allows self-attestation again.
    let admin = m.admin.insecure_clone();
    let keys = v.iter().map(|k| k.pubkey()).collect();
    let ix = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            verifier_set: Some(VerifierSet {
                verifiers: keys,
                quorum: 0,
            }),
            ..Default::default()
        },
    );
    m.chain.execute(&[ix], &[&admin]);
    m.warp_epochs(1);
    attest_with(&mut m, &d, e + 2, vec![]).unwrap();
}
