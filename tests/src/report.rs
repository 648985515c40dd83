//! The compute-unit report in docs/compute-units.md. Compute units are deterministic, so
//! the report is exact and a test fails when the committed document no longer matches.

use std::fmt::Write as _;

use gpunet_sdk::escrow::{self, CreateLeaseArgs};
use gpunet_sdk::registry::{
    self, AttestUptimeArgs, DeviceStatus, FeeSchedule, InitializeNetworkArgs, RegisterDeviceArgs,
    UpdateConfigArgs, UpdateDeviceArgs, VerifierSet,
};
use gpunet_sdk::{proof, staking};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::market::{Market, TOKEN, USDC, default_fees, default_staking_params, specs};
use crate::{Chain, Pubkey, deploy_dir};

/// Programs listed in the report, by deploy name.
const PROGRAMS: &[&str] = &["registry", "escrow", "staking", "proof", "sbf_selftest"];

/// The largest transaction Solana accepts, in bytes.
pub const MAX_TRANSACTION_BYTES: usize = 1_232;
/// The base fee per signature, in lamports.
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;

/// What one inference batch costs.
pub struct ReceiptCost {
    pub records: usize,
    pub transaction_bytes: usize,
    pub signatures: usize,
    pub compute_units: u64,
}

impl ReceiptCost {
    pub fn lamports_per_record(&self) -> u64 {
        LAMPORTS_PER_SIGNATURE * self.signatures as u64 / self.records as u64
    }
}

/// Compute-unit budgets from the issues, by (program, instruction, case).
pub const TARGETS: &[(&str, &str, &str, u64)] = &[
    ("registry", "attest_uptime", "no verifiers", 8_000),
    ("escrow", "add_hire", "8 GPUs, 24 epochs", 60_000),
    ("staking", "claim_rewards", "24 epochs", 60_000),
    ("escrow", "settle_hire", "24 epochs, all attested", 40_000),
];

/// The budget of a measured case, if the issues set one.
pub fn target(program: &str, instruction: &str, case: &str) -> Option<u64> {
    TARGETS
        .iter()
        .find(|t| (t.0, t.1, t.2) == (program, instruction, case))
        .map(|t| t.3)
}

/// One measured instruction.
pub struct Measurement {
    pub program: &'static str,
    pub instruction: &'static str,
    pub case: &'static str,
    pub compute_units: u64,
}

/// Runs every instruction once in a representative case and records its compute units.
pub fn measure() -> Vec<Measurement> {
    let mut out = Vec::new();
    let mut chain = Chain::new();
    let admin = chain.deployer.insecure_clone();
    let (usdc, _) = chain.create_usdc();
    let stake_authority = chain.funded_keypair(1);
    let stake_mint = chain.create_mint(&stake_authority.pubkey(), 9);
    let verifiers: Vec<Pubkey> = (0..4)
        .map(|i| Pubkey::new_from_array([i + 1; 32]))
        .collect();

    let args = InitializeNetworkArgs {
        fees: FeeSchedule {
            renter_fee_bps: 25,
            supplier_fee_bps: 25,
            inference_fee_bps: 200,
        },
        epoch_seconds: 3600,
        treasury: Pubkey::new_from_array([9; 32]),
        verifiers: verifiers.clone(),
        verifier_quorum: 3,
    };
    let mut record = |instruction, case, executed: crate::Executed| {
        out.push(Measurement {
            program: "registry",
            instruction,
            case,
            compute_units: executed.compute_units,
        });
    };
    let ix = registry::initialize_network(admin.pubkey(), usdc, stake_mint, args);
    record(
        "initialize_network",
        "4 verifiers, quorum 3",
        chain.execute(&[ix], &[&admin]),
    );

    let ix = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    record(
        "update_config",
        "pause flag only",
        chain.execute(&[ix], &[&admin]),
    );

    let ix = registry::update_config(
        admin.pubkey(),
        UpdateConfigArgs {
            fees: Some(FeeSchedule {
                renter_fee_bps: 50,
                supplier_fee_bps: 50,
                inference_fee_bps: 500,
            }),
            epoch_seconds: Some(600),
            treasury: Some(Pubkey::new_from_array([8; 32])),
            verifier_set: Some(VerifierSet {
                verifiers: verifiers.iter().rev().copied().collect(),
                quorum: 2,
            }),
            paused: Some(false),
            new_admin: Some(stake_authority.pubkey()),
        },
    );
    record(
        "update_config",
        "every field",
        chain.execute(&[ix], &[&admin]),
    );

    let ix = registry::accept_admin(stake_authority.pubkey());
    record(
        "accept_admin",
        "",
        chain.execute(&[ix], &[&stake_authority]),
    );
    out.extend(measure_devices_and_leases());
    out.extend(measure_staking());
    out.extend(measure_proof().0);
    out
}

/// Proof-of-compute instructions, and the cost per record of inference batches of 1, 4,
/// 8 and the largest that fits one transaction (with its voucher).
pub fn measure_proof() -> (Vec<Measurement>, Vec<ReceiptCost>) {
    let mut out = Vec::new();
    let mut costs: Vec<ReceiptCost> = Vec::new();
    let mut record = |instruction, case, compute_units| {
        out.push(Measurement {
            program: "proof",
            instruction,
            case,
            compute_units,
        });
    };
    let mut m = Market::new();
    let d = m.register_device(1, 1, USDC);
    let s = m.open_inference_session();

    // Model and session instructions, on a second model and session of the same owner and
    // consumer (the fixture's are used for the receipts below).
    let owner = s.model_owner.insecure_clone();
    let args = proof::RegisterModelArgs {
        model_id: 2,
        royalty_bps: 1_000,
        price_per_unit: 3,
        metadata_uri: "ipfs://model".into(),
        metadata_hash: [1; 32],
    };
    let ix = proof::register_model(owner.pubkey(), args);
    record(
        "register_model",
        "",
        m.chain.execute(&[ix], &[&owner]).compute_units,
    );
    let model = proof::model_address(&owner.pubkey(), 2);
    let update = proof::UpdateModelArgs {
        metadata_hash: Some([2; 32]),
        ..Default::default()
    };
    let ix = proof::update_model(owner.pubkey(), model, update);
    let executed = m.chain.execute(&[ix], &[&owner]);
    record("update_model", "metadata hash", executed.compute_units);
    let consumer = s.consumer.insecure_clone();
    let open = proof::OpenSessionArgs {
        session_id: 8,
        authorizer: s.authorizer.pubkey(),
        deposit: 100 * USDC,
    };
    let ix = proof::open_session(
        consumer.pubkey(),
        model,
        s.consumer_token,
        m.payment(),
        open,
    );
    let executed = m.chain.execute(&[ix], &[&consumer]);
    record("open_session", "with its vault", executed.compute_units);

    // Inference batches of n records, each with the voucher that covers it.
    let terms = m.inference_terms();
    let (mut seq, mut cumulative) = (0u64, 0u64);
    let batch_ixs = |m: &Market, n: usize, seq: u64, cumulative: u64| {
        let units: Vec<u32> = (0..n).map(|i| 1_000 + i as u32).collect();
        let amount: u64 = units.iter().map(|u| 3 * u64::from(*u)).sum();
        let voucher = s.voucher(&s.authorizer, s.session, &d.address, cumulative + amount);
        let batch = m.receipt_batch(seq, &units);
        let submit = s.submit_ix(m, &d.agent, &d, batch, terms);
        (vec![voucher, submit], amount)
    };
    // The first batch pays for the log and payee accounts; measure steady-state batches.
    let (ixs, amount) = batch_ixs(&m, 1, seq, cumulative);
    m.chain.execute(&ixs, &[&d.agent]);
    (seq, cumulative) = (seq + 1, cumulative + amount);
    let largest = (1..=32)
        .take_while(|n| {
            let (ixs, _) = batch_ixs(&m, *n, seq, cumulative);
            m.chain.transaction_size(&ixs, &[&d.agent]).0 <= MAX_TRANSACTION_BYTES
        })
        .last()
        .expect("one record fits");
    for n in [1, 4, 8, largest] {
        if n > largest || costs.iter().any(|c| c.records == n) {
            continue;
        }
        let (ixs, amount) = batch_ixs(&m, n, seq, cumulative);
        let (bytes, signatures) = m.chain.transaction_size(&ixs, &[&d.agent]);
        let executed = m.chain.execute(&ixs, &[&d.agent]);
        (seq, cumulative) = (seq + n as u64, cumulative + amount);
        costs.push(ReceiptCost {
            records: n,
            transaction_bytes: bytes,
            signatures,
            compute_units: executed.compute_units,
        });
    }
    for c in &costs {
        let case = match c.records {
            1 => "1 record, with its voucher",
            4 => "4 records, with their voucher",
            8 => "8 records, with their voucher",
            _ => "largest batch that fits one transaction, with its voucher",
        };
        record("submit_inference_receipts", case, c.compute_units);
    }

    // Lease-job receipts for an active hire: 16 records.
    let renter = m.renter(1_000 * USDC, 1, USDC);
    m.add_hire(&renter, &d, 2).unwrap();
    m.warp_epochs(1);
    let hire = escrow::hire_address(&renter.lease, &d.address);
    let jobs = m.receipt_batch(seq, &[60_000; 16]);
    let ix = proof::submit_job_receipts(d.agent.pubkey(), d.address, hire, jobs, Pubkey::default());
    let executed = m.chain.execute(&[ix], &[&d.agent]);
    record("submit_job_receipts", "16 records", executed.compute_units);

    let ix = proof::request_close_session(consumer.pubkey(), s.session);
    let executed = m.chain.execute(&[ix], &[&consumer]);
    record("request_close_session", "", executed.compute_units);
    m.warp_epochs(1);
    let ix = proof::close_session(consumer.pubkey(), s.session, s.consumer_token, m.payment());
    let executed = m.chain.execute(&[ix], &[&consumer]);
    record(
        "close_session",
        "refund and close the vault",
        executed.compute_units,
    );
    (out, costs)
}

/// Staking's instructions, on a `Market` (whose devices are staked at their minimum).
fn measure_staking() -> Vec<Measurement> {
    let mut out = Vec::new();
    let mut record = |instruction, case, executed: crate::Executed| {
        out.push(Measurement {
            program: "staking",
            instruction,
            case,
            compute_units: executed.compute_units,
        });
    };
    // initialize_staking on a network that has none yet.
    {
        let mut chain = Chain::new();
        let admin = chain.deployer.insecure_clone();
        let (usdc, _) = chain.create_usdc();
        let stake_authority = chain.funded_keypair(1);
        let stake_mint = chain.create_mint(&stake_authority.pubkey(), 9);
        let args = InitializeNetworkArgs {
            fees: default_fees(),
            epoch_seconds: 3600,
            treasury: Pubkey::new_from_array([9; 32]),
            verifiers: vec![],
            verifier_quorum: 0,
        };
        let ix = registry::initialize_network(admin.pubkey(), usdc, stake_mint, args);
        chain.execute(&[ix], &[&admin]);
        let mint = staking::StakeMint {
            mint: stake_mint,
            token_program: spl_token_interface::ID,
        };
        let ix = staking::initialize_staking(admin.pubkey(), mint, default_staking_params());
        record(
            "initialize_staking",
            "1 multiplier",
            chain.execute(&[ix], &[&admin]),
        );
    }

    let mut m = Market::new();
    let admin = m.admin.insecure_clone();
    let ix = staking::update_staking(admin.pubkey(), default_staking_params());
    record("update_staking", "", m.chain.execute(&[ix], &[&admin]));
    let d = m.register_unstaked_device(1, 8, 2_000_000);
    record(
        "stake",
        "first stake (opens the stake account and vault)",
        m.stake(&d, 1_600 * TOKEN).unwrap(),
    );
    record("stake", "top-up", m.stake(&d, TOKEN).unwrap());
    let other = m.register_device(2, 8, 2_000_000);

    let start = m.current_epoch();
    for e in start..start + 24 {
        m.attest(&d, e).unwrap();
        let executed = m.register_weight(&d, e).unwrap();
        if e == start {
            record(
                "register_weight",
                "first device of the epoch (creates its rewards account)",
                executed,
            );
            m.attest(&other, e).unwrap();
            record(
                "register_weight",
                "next device of the epoch",
                m.register_weight(&other, e).unwrap(),
            );
        }
        m.warp_epochs(1);
    }
    m.warp_epochs(4);
    let anyone = m.chain.funded_keypair(1);
    let epochs: Vec<u64> = (start..start + 24).collect();
    record(
        "claim_rewards",
        "24 epochs",
        m.claim(&anyone, &d, &epochs).unwrap(),
    );

    let owner = d.owner.insecure_clone();
    let ix = staking::request_unstake(owner.pubkey(), d.address, TOKEN);
    record("request_unstake", "", m.chain.execute(&[ix], &[&owner]));
    m.chain.warp_seconds(14 * 24 * 3600);
    let ix = staking::withdraw(
        owner.pubkey(),
        d.address,
        d.owner_stake_token,
        m.stake_mint(),
    );
    record("withdraw", "", m.chain.execute(&[ix], &[&owner]));

    // Slashes, on a network with a 2-of-3 verifier quorum.
    let verifiers: Vec<Keypair> = (1..=3).map(|i| Keypair::new_from_array([i; 32])).collect();
    let keys = verifiers.iter().map(|v| v.pubkey()).collect();
    let mut m = Market::with(default_fees(), 3600, keys, 2);
    let d = m.register_device(1, 8, 2_000_000);
    let payer = m.chain.funded_keypair(1);
    let stake = staking::stake_address(&d.address);
    for slash_id in 0..2 {
        let message = staking::fraud_slash_message(&stake, slash_id, TOKEN, &[7; 32]);
        let signatures: Vec<(Pubkey, [u8; 64])> = verifiers[..2]
            .iter()
            .map(|v| (v.pubkey(), v.sign_message(&message).into()))
            .collect();
        let ixs = [
            registry::verifier_signatures(&signatures, &message),
            staking::propose_fraud_slash(payer.pubkey(), d.address, slash_id, TOKEN, [7; 32]),
        ];
        let executed = m.chain.execute(&ixs, &[&payer]);
        if slash_id == 0 {
            record("propose_fraud_slash", "quorum 2 of 3", executed);
        }
    }
    let admin = m.admin.insecure_clone();
    let ix = staking::cancel_slash(admin.pubkey(), d.address, 1);
    record("cancel_slash", "", m.chain.execute(&[ix], &[&admin]));
    m.chain.warp_seconds(3 * 24 * 3600);
    let payer_token = m.chain.create_token_account(&payer.pubkey(), &m.stake_mint);
    let ix = staking::finalize_slash(
        d.address,
        0,
        m.treasury_stake_token,
        payer_token,
        m.stake_mint(),
    );
    record(
        "finalize_slash",
        "fraud, all to the treasury",
        m.chain.execute(&[ix], &[&payer]),
    );
    out
}

/// Devices, attestations and a lease's instructions, on a `Market`.
fn measure_devices_and_leases() -> Vec<Measurement> {
    let mut out = Vec::new();
    let mut record = |program, instruction, case, executed: crate::Executed| {
        out.push(Measurement {
            program,
            instruction,
            case,
            compute_units: executed.compute_units,
        });
    };

    // Devices and attestations, with a 3-of-4 verifier quorum.
    let verifiers: Vec<Keypair> = (1..=4).map(|i| Keypair::new_from_array([i; 32])).collect();
    let keys = verifiers.iter().map(|v| v.pubkey()).collect();
    let mut m = Market::with(default_fees(), 3600, keys, 3);
    let owner = m.chain.funded_keypair(10);
    let agent = m.chain.keypair();
    let args = RegisterDeviceArgs {
        device_id: 1,
        agent: agent.pubkey(),
        specs: specs(8),
        price_per_gpu_hour: 2_000_000,
    };
    let ix = registry::register_device(owner.pubkey(), args);
    record(
        "registry",
        "register_device",
        "",
        m.chain.execute(&[ix], &[&owner]),
    );
    let device = registry::device_address(&owner.pubkey(), 1);
    let ix = registry::update_device(
        owner.pubkey(),
        device,
        UpdateDeviceArgs {
            specs: Some(specs(4)),
            price_per_gpu_hour: Some(1_000_000),
            agent: Some(agent.pubkey()),
        },
    );
    record(
        "registry",
        "update_device",
        "every field",
        m.chain.execute(&[ix], &[&owner]),
    );
    let ix = registry::set_device_status(owner.pubkey(), device, DeviceStatus::Paused);
    record(
        "registry",
        "set_device_status",
        "pause",
        m.chain.execute(&[ix], &[&owner]),
    );
    let epoch = m.current_epoch();
    let (uptime_minutes, pow_digest) = (60, [5; 32]);
    let message = registry::attestation_message(&device, epoch, uptime_minutes, &pow_digest);
    let signatures: Vec<(Pubkey, [u8; 64])> = verifiers[..3]
        .iter()
        .map(|v| (v.pubkey(), v.sign_message(&message).into()))
        .collect();
    let attest = registry::attest_uptime(
        agent.pubkey(),
        device,
        AttestUptimeArgs {
            epoch,
            uptime_minutes,
            pow_digest,
        },
    );
    let payer = m.chain.funded_keypair(1);
    let ixs = [registry::verifier_signatures(&signatures, &message), attest];
    record(
        "registry",
        "attest_uptime",
        "quorum 3 of 4 (one ed25519 instruction with 3 signatures)",
        m.chain.execute(&ixs, &[&payer, &agent]),
    );

    // A lease on a network without verifiers.
    let mut m = Market::new();
    let d = m.register_device(1, 8, 2_000_000);
    let spare = m.register_device(2, 8, 2_000_000);
    let epoch = m.current_epoch();
    record(
        "registry",
        "attest_uptime",
        "no verifiers",
        m.attest(&d, epoch).unwrap(),
    );
    let renter = m.renter(10_000_000_000, 1, 2_000_000);
    let lease_cost = {
        let mut probe = Market::new();
        let wallet = probe.chain.funded_keypair(10);
        let ix = escrow::create_lease(
            wallet.pubkey(),
            probe.payment(),
            CreateLeaseArgs {
                lease_id: 1,
                name: "training run".into(),
                job: "image:ghcr.io/example/trainer:1".into(),
                max_price_per_gpu_hour: 2_000_000,
            },
        );
        probe.chain.execute(&[ix], &[&wallet])
    };
    record(
        "escrow",
        "create_lease",
        "with its vault, an `image:` job",
        lease_cost,
    );
    record(
        "escrow",
        "add_hire",
        "8 GPUs, 24 epochs",
        m.add_hire(&renter, &d, 24).unwrap(),
    );
    m.add_hire(&renter, &spare, 24).unwrap();
    record(
        "escrow",
        "extend_hire",
        "",
        m.extend(&renter, &d, 1).unwrap(),
    );
    let start = m.hire(&renter, &d).start_epoch;
    for e in start..start + 24 {
        m.warp_epochs(1);
        if (e - start) % 6 != 5 {
            m.attest(&d, e).unwrap();
        }
        m.attest(&spare, e).unwrap();
    }
    m.warp_epochs(2);
    let anyone = m.chain.funded_keypair(1);
    record(
        "escrow",
        "settle_hire",
        "24 epochs, all attested",
        m.settle(&anyone, &renter, &spare).unwrap(),
    );
    let settled = m.settle(&anyone, &renter, &d).unwrap();
    // The staking program's share of it, from the runtime's per-program log line.
    let staking_line = format!("Program {} consumed ", staking::PROGRAM_ID);
    let slash_cu = settled
        .logs
        .iter()
        .filter_map(|l| l.strip_prefix(&staking_line))
        .filter_map(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .max()
        .expect("settlement invoked the staking program");
    record(
        "escrow",
        "settle_hire",
        "24 epochs, 20 attested, 4 missed (slash proposed)",
        settled,
    );
    let slash_measurement = Measurement {
        program: "staking",
        instruction: "propose_missed_slash",
        case: "CPI from that settlement (included in its units)",
        compute_units: slash_cu,
    };
    m.warp_epochs(1);
    record(
        "escrow",
        "settle_hire",
        "1 epoch, missed",
        m.settle(&anyone, &renter, &d).unwrap(),
    );
    record(
        "escrow",
        "terminate_lease",
        "",
        m.terminate(&renter).unwrap(),
    );
    record(
        "escrow",
        "release_hire",
        "nothing to refund",
        m.release(&anyone, &renter, &d).unwrap(),
    );
    record(
        "escrow",
        "close_hire",
        "",
        m.close_hire(&anyone, &renter, &d).unwrap(),
    );
    m.release(&anyone, &renter, &spare).unwrap();
    m.close_hire(&anyone, &renter, &spare).unwrap();
    record(
        "escrow",
        "close_lease",
        "empty vault",
        m.close_lease(&renter).unwrap(),
    );
    out.push(slash_measurement);
    out
}

/// The whole of docs/compute-units.md.
pub fn markdown() -> String {
    let mut doc = String::new();
    let _ = writeln!(doc, "# Compute units and program sizes\n");
    let _ = writeln!(
        doc,
        "Generated by `cargo run -p gpunet-tests --bin compute-units > docs/compute-units.md` after\n\
         `toolchain/build-sbf`; the test `compute_units_doc_is_current` fails when this file is stale.\n\
         Programs built by the offline toolchain (docs/toolchain.md), run in litesvm 0.16 (agave 4.2,\n\
         mainnet feature set). Compute units are exact: the same program and input always cost the same.\n"
    );
    let _ = writeln!(doc, "## Instructions\n");
    let _ = writeln!(
        doc,
        "| program | instruction | case | compute units | budget |"
    );
    let _ = writeln!(doc, "|---|---|---|---:|---:|");
    for m in measure() {
        let budget = target(m.program, m.instruction, m.case)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let _ = writeln!(
            doc,
            "| {} | `{}` | {} | {} | {budget} |",
            m.program, m.instruction, m.case, m.compute_units
        );
    }
    let _ = writeln!(
        doc,
        "\n## Where the units go\n\n\
         - `settle_hire` meets its budget of 40,000 for 24 epochs when every epoch was attested.\n  \
         With missed epochs it also proposes a slash by CPI to staking (`propose_missed_slash`\n  \
         row: the staking program's own units, which include creating the `Slash` account and\n  \
         its `emit_cpi!` event); the rest of the difference is the escrow side of that CPI\n  \
         (reading the staking config to price the slash, building and invoking the instruction).\n  \
         A settlement that proposes a slash is over that budget (rows above); the budget\n  \
         predates slashing.\n\
         - A 128-bit division is a software loop on SBF (no native instruction), many times\n  \
         the cost of a 64-bit one; `common::math::mul_div` divides in 64 bits whenever the\n  \
         product fits, which is what keeps `claim_rewards` (one division per epoch) within its\n  \
         budget. The emission schedule skips its fixed-point power when nothing decays.\n\
         - Every account whose PDA is derived with a search (`find_program_address`) costs\n  \
         1,500 units per bump tried, so a case's units depend on its addresses; the harness\n  \
         derives every key from a counter, which keeps this report exact from run to run."
    );
    let _ = writeln!(
        doc,
        "\n## Proof-of-compute: cost per inference record\n\n\
         Each transaction: the consumer's voucher (an ed25519 instruction, one signature over\n\
         a cumulative amount) and one `submit_inference_receipts` batch signed by the agent key;\n\
         records are 40 bytes of instruction data and nothing is stored per record. Lamports\n\
         are the base fee ({LAMPORTS_PER_SIGNATURE} per signature) with no priority fee; the log and payee\n\
         accounts are paid once per device and per (session, device).\n"
    );
    let _ = writeln!(
        doc,
        "| records | transaction bytes (max {MAX_TRANSACTION_BYTES}) | signatures | compute units | lamports per record |"
    );
    let _ = writeln!(doc, "|---:|---:|---:|---:|---:|");
    let costs = measure_proof().1;
    for c in &costs {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} |",
            c.records,
            c.transaction_bytes,
            c.signatures,
            c.compute_units,
            c.lamports_per_record()
        );
    }
    if let Some(largest) = costs.last() {
        let _ = writeln!(
            doc,
            "\nThe largest batch that fits one transaction holds {} records ({} bytes); 16 do not fit.\n\
             Target: at most 1,000 lamports per record (`receipts_meet_the_cost_target` checks it).",
            largest.records, largest.transaction_bytes
        );
    }
    let _ = writeln!(doc, "\n## Program sizes\n");
    let _ = writeln!(doc, "| program | `.so` bytes |");
    let _ = writeln!(doc, "|---|---:|");
    for program in PROGRAMS {
        let size = std::fs::metadata(deploy_dir().join(format!("{program}.so"))).map(|m| m.len());
        match size {
            Ok(size) => {
                let _ = writeln!(doc, "| {program} | {size} |");
            }
            Err(e) => panic!("{program}.so: {e} (run toolchain/build-sbf)"),
        }
    }
    doc
}
