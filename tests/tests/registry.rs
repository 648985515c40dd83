//! The registry's network configuration: `initialize_network`, `update_config`,
//! `accept_admin`, run as SBF in litesvm. Every rejection has its own test.

use anchor_lang::error::ErrorCode as AnchorError;
use gpunet_sdk::registry::{
    self, FeeSchedule, InitializeNetworkArgs, NetworkConfig, RegistryError, UpdateConfigArgs,
    VerifierSet,
};
use gpunet_sdk::upgradeable_loader::set_upgrade_authority;
use gpunet_tests::{Chain, Failed, InstructionError, Pubkey, TOKEN_2022_PROGRAM_ID};
use solana_keypair::Keypair;
use solana_signer::Signer;

const EPOCH_SECONDS: u32 = 3600;

fn fees() -> FeeSchedule {
    FeeSchedule {
        renter_fee_bps: 25,
        supplier_fee_bps: 25,
        inference_fee_bps: 200,
    }
}

struct Network {
    chain: Chain,
    payment_mint: Pubkey,
    stake_mint: Pubkey,
    treasury: Pubkey,
}

impl Network {
    /// A chain with the registry deployed and two mints, network not yet initialised.
    fn new() -> Self {
        let mut chain = Chain::new();
        let (payment_mint, _) = chain.create_usdc();
        let stake_authority = chain.funded_keypair(1);
        let stake_mint = chain.create_mint(&stake_authority.pubkey(), 9);
        Network {
            chain,
            payment_mint,
            stake_mint,
            treasury: Pubkey::new_unique(),
        }
    }

    fn args(&self) -> InitializeNetworkArgs {
        InitializeNetworkArgs {
            fees: fees(),
            epoch_seconds: EPOCH_SECONDS,
            treasury: self.treasury,
            verifiers: vec![],
            verifier_quorum: 0,
        }
    }

    fn initialize_as(
        &mut self,
        signer: &Keypair,
        args: InitializeNetworkArgs,
    ) -> Result<(), Failed> {
        let ix =
            registry::initialize_network(signer.pubkey(), self.payment_mint, self.stake_mint, args);
        self.chain.send(&[ix], &[signer]).map(drop)
    }

    /// Initialised by the deployer with `args()`; returns the admin.
    fn initialized() -> (Self, Keypair) {
        let mut network = Network::new();
        let admin = network.chain.deployer.insecure_clone();
        let args = network.args();
        network
            .initialize_as(&admin, args)
            .expect("initialize_network");
        (network, admin)
    }

    /// A copy of the registry deployed at a new address with `attacker` as its upgrade
    /// authority: a genuine upgradeable program whose program data names the attacker.
    fn attacker_program(&mut self, attacker: &Keypair) -> Pubkey {
        let program = Pubkey::new_unique();
        self.chain
            .deploy("registry", program, Some(attacker.pubkey()));
        program
    }

    /// `initialize_network` signed by `signer`, with each account `from` replaced by `to`.
    fn initialize_substituting(
        &mut self,
        signer: &Keypair,
        substitutions: &[(Pubkey, Pubkey)],
    ) -> Result<(), Failed> {
        let mut ix = registry::initialize_network(
            signer.pubkey(),
            self.payment_mint,
            self.stake_mint,
            self.args(),
        );
        for (from, to) in substitutions {
            let meta = ix
                .accounts
                .iter_mut()
                .find(|meta| meta.pubkey == *from)
                .unwrap_or_else(|| panic!("{from} is not an account of initialize_network"));
            meta.pubkey = *to;
        }
        self.chain.send(&[ix], &[signer]).map(drop)
    }

    fn config(&self) -> NetworkConfig {
        self.chain.anchor_account(&registry::config_address())
    }

    fn update(&mut self, signer: &Keypair, args: UpdateConfigArgs) -> Result<(), Failed> {
        let ix = registry::update_config(signer.pubkey(), args);
        self.chain.send(&[ix], &[signer]).map(drop)
    }
}

fn code(error: RegistryError) -> u32 {
    error.into()
}

fn anchor(error: AnchorError) -> u32 {
    error.into()
}

#[track_caller]
fn assert_rejected(result: Result<(), Failed>, expected: u32) {
    match result {
        Ok(()) => panic!("expected error {expected}, but the transaction succeeded"),
        Err(failed) => failed.assert_anchor_error(expected),
    }
}

// --- initialize_network ------------------------------------------------------------------

#[test]
fn upgrade_authority_initializes_the_network() {
    let (network, admin) = Network::initialized();
    let config = network.config();
    let now = network.chain.clock().unix_timestamp;
    assert_eq!(config.admin, admin.pubkey());
    assert_eq!(config.pending_admin, None);
    assert_eq!(config.payment_mint, network.payment_mint);
    assert_eq!(config.stake_mint, network.stake_mint);
    assert_eq!(config.treasury, network.treasury);
    assert_eq!(config.fees, fees());
    assert_eq!(config.epoch_seconds, EPOCH_SECONDS);
    assert_eq!(config.genesis_timestamp, now);
    assert_eq!(config.epoch_anchor, 0);
    assert_eq!(config.epoch_anchor_timestamp, now);
    assert!(config.verifiers.is_empty());
    assert_eq!(config.verifier_quorum, 0);
    assert!(!config.paused);
    let (_, bump) = Pubkey::find_program_address(&[b"network"], &registry::PROGRAM_ID);
    assert_eq!(config.bump, bump);
}

#[test]
fn initialize_emits_network_initialized() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    let ix = registry::initialize_network(
        admin.pubkey(),
        network.payment_mint,
        network.stake_mint,
        network.args(),
    );
    let executed = network.chain.execute(&[ix], &[&admin]);
    assert!(
        executed
            .logs
            .iter()
            .any(|l| l.starts_with("Program data: ")),
        "no event in logs: {:#?}",
        executed.logs
    );
}

#[test]
fn stranger_cannot_initialize() {
    let mut network = Network::new();
    let stranger = network.chain.funded_keypair(10);
    let args = network.args();
    assert_rejected(
        network.initialize_as(&stranger, args),
        code(RegistryError::NotUpgradeAuthority),
    );
    assert!(network.chain.account(&registry::config_address()).is_none());
}

#[test]
fn immutable_program_cannot_be_initialized_by_anyone() {
    let mut network = Network::new();
    network.chain.deploy("registry", registry::PROGRAM_ID, None);
    let admin = network.chain.deployer.insecure_clone();
    let args = network.args();
    assert_rejected(
        network.initialize_as(&admin, args),
        code(RegistryError::NotUpgradeAuthority),
    );
}

#[test]
fn substituted_program_data_is_rejected() {
    let mut network = Network::new();
    let attacker = network.chain.funded_keypair(10);
    let other_program = network.attacker_program(&attacker);
    let substitutions = [(
        registry::program_data_address(),
        gpunet_sdk::program_data_address(&other_program),
    )];
    let result = network.initialize_substituting(&attacker, &substitutions);
    assert_rejected(result, code(RegistryError::WrongProgramData));
}

#[test]
fn substituted_program_account_is_rejected() {
    let mut network = Network::new();
    let attacker = network.chain.funded_keypair(10);
    let other_program = network.attacker_program(&attacker);
    let substitutions = [
        (registry::PROGRAM_ID, other_program),
        (
            registry::program_data_address(),
            gpunet_sdk::program_data_address(&other_program),
        ),
    ];
    let result = network.initialize_substituting(&attacker, &substitutions);
    assert_rejected(result, anchor(AnchorError::ConstraintAddress));
}

#[test]
fn forged_program_data_not_owned_by_the_loader_is_rejected() {
    // An account with the program-data layout naming the attacker, owned by the system
    // program, placed where the real program data is expected.
    let mut network = Network::new();
    let attacker = network.chain.funded_keypair(10);
    let real = registry::program_data_address();
    let mut forged = network.chain.account(&real).expect("program data");
    set_upgrade_authority(&mut forged.data, Some(attacker.pubkey()));
    forged.owner = Pubkey::default();
    let fake_address = Pubkey::new_unique();
    network.chain.svm.set_account(fake_address, forged).unwrap();
    let result = network.initialize_substituting(&attacker, &[(real, fake_address)]);
    assert_rejected(result, anchor(AnchorError::ConstraintOwner));
}

#[test]
fn network_cannot_be_initialized_twice() {
    let (mut network, admin) = Network::initialized();
    let before = network.config();
    let mut args = network.args();
    args.epoch_seconds = 60;
    let failed = network
        .initialize_as(&admin, args)
        .expect_err("re-initialisation must fail");
    // The system program refuses to create an account that already exists.
    assert_eq!(failed.custom_code(), Some(0), "{:?}", failed.error);
    assert_eq!(network.config().epoch_seconds, before.epoch_seconds);
}

#[test]
fn fees_above_100_percent_are_rejected() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    for fees in [
        FeeSchedule {
            renter_fee_bps: 10_001,
            ..fees()
        },
        FeeSchedule {
            supplier_fee_bps: 10_001,
            ..fees()
        },
        FeeSchedule {
            inference_fee_bps: u16::MAX,
            ..fees()
        },
    ] {
        let args = InitializeNetworkArgs {
            fees,
            ..network.args()
        };
        assert_rejected(
            network.initialize_as(&admin, args),
            code(RegistryError::FeeTooHigh),
        );
    }
    let args = InitializeNetworkArgs {
        fees: FeeSchedule {
            renter_fee_bps: 10_000,
            supplier_fee_bps: 10_000,
            inference_fee_bps: 10_000,
        },
        ..network.args()
    };
    network
        .initialize_as(&admin, args)
        .expect("exactly 100 % is allowed");
}

#[test]
fn epoch_length_must_be_positive_and_at_most_30_days() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    for epoch_seconds in [0, 30 * 24 * 3600 + 1, u32::MAX] {
        let args = InitializeNetworkArgs {
            epoch_seconds,
            ..network.args()
        };
        assert_rejected(
            network.initialize_as(&admin, args),
            code(RegistryError::InvalidEpochLength),
        );
    }
}

#[test]
fn payment_and_stake_mints_must_differ() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    network.stake_mint = network.payment_mint;
    let args = network.args();
    assert_rejected(
        network.initialize_as(&admin, args),
        code(RegistryError::SameMints),
    );
}

#[test]
fn a_mint_that_is_not_a_mint_is_rejected() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    // A system account.
    network.payment_mint = admin.pubkey();
    let args = network.args();
    assert_rejected(
        network.initialize_as(&admin, args),
        anchor(AnchorError::AccountOwnedByWrongProgram),
    );
    // A token account: owned by the token program but not a mint.
    let (usdc, _) = network.chain.create_usdc();
    network.payment_mint = network.chain.create_token_account(&admin.pubkey(), &usdc);
    let args = network.args();
    let failed = network
        .initialize_as(&admin, args)
        .expect_err("a token account is not a mint");
    assert_eq!(
        failed.instruction_error(),
        Some(&InstructionError::InvalidAccountData),
        "{:?}",
        failed.logs
    );
    assert!(
        failed
            .logs
            .iter()
            .any(|l| l.contains("caused by account: payment_mint"))
    );
}

#[test]
fn token_2022_mints_are_accepted() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    let authority = network.chain.funded_keypair(1);
    network.payment_mint =
        network
            .chain
            .create_mint_of(&TOKEN_2022_PROGRAM_ID, &authority.pubkey(), 6);
    network.stake_mint =
        network
            .chain
            .create_mint_of(&TOKEN_2022_PROGRAM_ID, &authority.pubkey(), 9);
    let args = network.args();
    network
        .initialize_as(&admin, args)
        .expect("Token-2022 mints");
    assert_eq!(network.config().payment_mint, network.payment_mint);
    assert_eq!(network.config().stake_mint, network.stake_mint);
}

#[test]
fn default_treasury_is_rejected() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    let args = InitializeNetworkArgs {
        treasury: Pubkey::default(),
        ..network.args()
    };
    assert_rejected(
        network.initialize_as(&admin, args),
        code(RegistryError::InvalidTreasury),
    );
}

#[test]
fn verifier_set_is_validated_at_initialization() {
    let mut network = Network::new();
    let admin = network.chain.deployer.insecure_clone();
    let a = Pubkey::new_unique();
    let b = Pubkey::new_unique();
    let cases = [
        (vec![a, b], 3, RegistryError::QuorumTooHigh),
        (vec![], 1, RegistryError::QuorumTooHigh),
        (vec![a, a], 1, RegistryError::DuplicateVerifier),
        (
            vec![a, Pubkey::default()],
            1,
            RegistryError::InvalidVerifier,
        ),
        (
            (0..17).map(|_| Pubkey::new_unique()).collect(),
            1,
            RegistryError::TooManyVerifiers,
        ),
    ];
    for (verifiers, verifier_quorum, error) in cases {
        let args = InitializeNetworkArgs {
            verifiers,
            verifier_quorum,
            ..network.args()
        };
        assert_rejected(network.initialize_as(&admin, args), code(error));
    }
    let verifiers: Vec<Pubkey> = (0..16).map(|_| Pubkey::new_unique()).collect();
    let args = InitializeNetworkArgs {
        verifiers: verifiers.clone(),
        verifier_quorum: 16,
        ..network.args()
    };
    network
        .initialize_as(&admin, args)
        .expect("16 verifiers with full quorum fit");
    assert_eq!(network.config().verifiers, verifiers);
}

// --- update_config -----------------------------------------------------------------------

#[test]
fn admin_updates_fees_treasury_verifiers_and_pause() {
    let (mut network, admin) = Network::initialized();
    let treasury = Pubkey::new_unique();
    let verifiers = vec![
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    ];
    let new_fees = FeeSchedule {
        renter_fee_bps: 50,
        supplier_fee_bps: 75,
        inference_fee_bps: 1_000,
    };
    network
        .update(
            &admin,
            UpdateConfigArgs {
                fees: Some(new_fees),
                treasury: Some(treasury),
                verifier_set: Some(VerifierSet {
                    verifiers: verifiers.clone(),
                    quorum: 2,
                }),
                paused: Some(true),
                ..Default::default()
            },
        )
        .expect("update");
    let config = network.config();
    assert_eq!(config.fees, new_fees);
    assert_eq!(config.treasury, treasury);
    assert_eq!(config.verifiers, verifiers);
    assert_eq!(config.verifier_quorum, 2);
    assert!(config.paused);
    assert_eq!(config.epoch_seconds, EPOCH_SECONDS, "untouched fields stay");

    network
        .update(
            &admin,
            UpdateConfigArgs {
                paused: Some(false),
                ..Default::default()
            },
        )
        .expect("unpause");
    assert!(!network.config().paused);
}

#[test]
fn non_admin_cannot_update_config() {
    let (mut network, _admin) = Network::initialized();
    let stranger = network.chain.funded_keypair(1);
    let result = network.update(
        &stranger,
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    assert_rejected(result, code(RegistryError::NotAdmin));
    assert!(!network.config().paused);
}

#[test]
fn config_account_at_another_address_is_rejected() {
    let (mut network, admin) = Network::initialized();
    // A look-alike account owned by the registry at a non-PDA address.
    let real = network.chain.account(&registry::config_address()).unwrap();
    let fake = Pubkey::new_unique();
    network.chain.svm.set_account(fake, real).unwrap();
    let mut ix = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    ix.accounts[0].pubkey = fake;
    let result = network.chain.send(&[ix], &[&admin]).map(drop);
    assert_rejected(result, anchor(AnchorError::ConstraintSeeds));
}

#[test]
fn update_validates_every_field() {
    let (mut network, admin) = Network::initialized();
    let a = Pubkey::new_unique();
    let cases: Vec<(UpdateConfigArgs, RegistryError)> = vec![
        (
            UpdateConfigArgs {
                fees: Some(FeeSchedule {
                    supplier_fee_bps: 10_001,
                    ..fees()
                }),
                ..Default::default()
            },
            RegistryError::FeeTooHigh,
        ),
        (
            UpdateConfigArgs {
                epoch_seconds: Some(0),
                ..Default::default()
            },
            RegistryError::InvalidEpochLength,
        ),
        (
            UpdateConfigArgs {
                epoch_seconds: Some(30 * 24 * 3600 + 1),
                ..Default::default()
            },
            RegistryError::InvalidEpochLength,
        ),
        (
            UpdateConfigArgs {
                treasury: Some(Pubkey::default()),
                ..Default::default()
            },
            RegistryError::InvalidTreasury,
        ),
        (
            UpdateConfigArgs {
                verifier_set: Some(VerifierSet {
                    verifiers: vec![a, a],
                    quorum: 1,
                }),
                ..Default::default()
            },
            RegistryError::DuplicateVerifier,
        ),
        (
            UpdateConfigArgs {
                verifier_set: Some(VerifierSet {
                    verifiers: vec![a],
                    quorum: 2,
                }),
                ..Default::default()
            },
            RegistryError::QuorumTooHigh,
        ),
        (
            UpdateConfigArgs {
                new_admin: Some(Pubkey::default()),
                ..Default::default()
            },
            RegistryError::InvalidAdmin,
        ),
        (UpdateConfigArgs::default(), RegistryError::EmptyUpdate),
    ];
    let before = network.config();
    for (args, error) in cases {
        assert_rejected(network.update(&admin, args), code(error));
    }
    let after = network.config();
    assert_eq!(after.fees, before.fees);
    assert_eq!(after.epoch_seconds, before.epoch_seconds);
    assert_eq!(after.treasury, before.treasury);
    assert_eq!(after.verifiers, before.verifiers);
    assert_eq!(after.pending_admin, None);
}

#[test]
fn epoch_length_change_takes_effect_at_the_next_boundary() {
    let (mut network, admin) = Network::initialized();
    let genesis = network.config().genesis_timestamp;
    // Half way through epoch 2.
    network.chain.warp_epochs(2, EPOCH_SECONDS);
    network.chain.warp_seconds(1800);
    network
        .update(
            &admin,
            UpdateConfigArgs {
                epoch_seconds: Some(60),
                ..Default::default()
            },
        )
        .expect("update");
    let config = network.config();
    assert_eq!(config.epoch_seconds, 60);
    assert_eq!(config.epoch_anchor, 3);
    assert_eq!(
        config.epoch_anchor_timestamp,
        genesis + 3 * i64::from(EPOCH_SECONDS)
    );
    let now = network.chain.clock().unix_timestamp;
    assert_eq!(config.epoch_at(now).unwrap(), 2);
    assert_eq!(
        config.epoch_at(config.epoch_anchor_timestamp + 60).unwrap(),
        4
    );
}

// --- admin transfer ----------------------------------------------------------------------

#[test]
fn admin_transfer_takes_two_steps() {
    let (mut network, admin) = Network::initialized();
    let successor = network.chain.funded_keypair(1);
    network
        .update(
            &admin,
            UpdateConfigArgs {
                new_admin: Some(successor.pubkey()),
                ..Default::default()
            },
        )
        .expect("propose");
    assert_eq!(
        network.config().admin,
        admin.pubkey(),
        "not yet transferred"
    );
    assert_eq!(network.config().pending_admin, Some(successor.pubkey()));

    network
        .chain
        .execute(&[registry::accept_admin(successor.pubkey())], &[&successor]);
    let config = network.config();
    assert_eq!(config.admin, successor.pubkey());
    assert_eq!(config.pending_admin, None);

    // The old admin has lost its rights, the new one has them.
    let result = network.update(
        &admin,
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    assert_rejected(result, code(RegistryError::NotAdmin));
    network
        .update(
            &successor,
            UpdateConfigArgs {
                paused: Some(true),
                ..Default::default()
            },
        )
        .expect("new admin");
}

#[test]
fn only_the_proposed_admin_can_accept() {
    let (mut network, admin) = Network::initialized();
    let successor = Pubkey::new_unique();
    network
        .update(
            &admin,
            UpdateConfigArgs {
                new_admin: Some(successor),
                ..Default::default()
            },
        )
        .expect("propose");
    let stranger = network.chain.funded_keypair(1);
    let result = network
        .chain
        .send(&[registry::accept_admin(stranger.pubkey())], &[&stranger])
        .map(drop);
    assert_rejected(result, code(RegistryError::NotPendingAdmin));
    assert_eq!(network.config().admin, admin.pubkey());
}

#[test]
fn accept_without_a_proposal_is_rejected() {
    let (mut network, admin) = Network::initialized();
    let result = network
        .chain
        .send(&[registry::accept_admin(admin.pubkey())], &[&admin])
        .map(drop);
    assert_rejected(result, code(RegistryError::NoPendingAdmin));
}
