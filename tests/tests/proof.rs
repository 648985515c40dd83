//! Proof-of-compute on the built programs in litesvm: paid inference batches with exact
//! splits, every rejection (sequence, voucher, signer, terms, time, hire), session close,
//! and the sdk's rebuild-and-verify over the transactions.

use gpunet_sdk::proof::{
    self, InferencePayees, InferenceTerms, OpenSessionArgs, ProofError, ProofInstruction,
    ReceiptBatch, ReceiptLog, ReceiptRecord, RegisterModelArgs, VerifyError,
};
use gpunet_tests::market::{Market, TestDevice};
use gpunet_tests::{Executed, Failed, Pubkey};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

struct Inference {
    m: Market,
    d: TestDevice,
    model_owner: Keypair,
    model: Pubkey,
    royalty_token: Pubkey,
    consumer: Keypair,
    consumer_token: Pubkey,
    authorizer: Keypair,
    session: Pubkey,
    /// Successful submissions, for the verifier.
    submitted: Vec<ProofInstruction>,
}

impl Inference {
    fn new() -> Self {
        let mut m = Market::new();
        let d = m.register_device(1, 1, USDC);
        let model_owner = m.chain.funded_keypair(10);
        let ix = proof::register_model(
            model_owner.pubkey(),
            RegisterModelArgs {
                model_id: 1,
                royalty_bps: 1_000,
                price_per_unit: 3,
                metadata_uri: "ipfs://llama".into(),
                metadata_hash: [1; 32],
            },
        );
        m.chain.execute(&[ix], &[&model_owner]);
        let model = proof::model_address(&model_owner.pubkey(), 1);
        let royalty_token = m.chain.create_token_account(&model_owner.pubkey(), &m.usdc);
        let consumer = m.chain.funded_keypair(10);
        let consumer_token = m.chain.create_token_account(&consumer.pubkey(), &m.usdc);
        let authority = m.usdc_authority.insecure_clone();
        m.chain
            .mint_to(&m.usdc, &authority, &consumer_token, 1_000 * USDC);
        let authorizer = m.chain.keypair();
        let ix = proof::open_session(
            consumer.pubkey(),
            model,
            consumer_token,
            m.payment(),
            OpenSessionArgs {
                session_id: 7,
                authorizer: authorizer.pubkey(),
                deposit: 100 * USDC,
            },
        );
        m.chain.execute(&[ix], &[&consumer]);
        let session = proof::session_address(&consumer.pubkey(), 7);
        Inference {
            m,
            d,
            model_owner,
            model,
            royalty_token,
            consumer,
            consumer_token,
            authorizer,
            session,
            submitted: Vec::new(),
        }
    }

    fn terms(&self) -> InferenceTerms {
        InferenceTerms {
            price_per_unit: 3,
            royalty_bps: 1_000,
            fee_bps: 200,
        }
    }

    fn payees(&self) -> InferencePayees {
        InferencePayees {
            worker_token: self.d.owner_token,
            royalty_token: self.royalty_token,
            treasury_token: self.m.treasury_token,
        }
    }

    fn batch(&self, first_seq: u64, units: &[u32]) -> ReceiptBatch {
        let now = self.m.chain.clock().unix_timestamp;
        ReceiptBatch {
            first_seq,
            base_timestamp: now - 60,
            records: units
                .iter()
                .enumerate()
                .map(|(i, cu)| ReceiptRecord {
                    compute_units: *cu,
                    time_offset: i as u32,
                    result_hash: [i as u8 + 1; 32],
                })
                .collect(),
        }
    }

    /// A voucher of `signer` for `cumulative` on (session, device).
    fn voucher(&self, signer: &Keypair, session: Pubkey, cumulative: u64) -> Instruction {
        let message = proof::voucher_message(&session, &self.d.address, cumulative);
        proof::voucher(
            signer.pubkey(),
            signer.sign_message(&message).into(),
            &session,
            &self.d.address,
            cumulative,
        )
    }

    fn submit_ix(
        &self,
        agent: &Keypair,
        batch: ReceiptBatch,
        terms: InferenceTerms,
    ) -> Instruction {
        proof::submit_inference_receipts(
            agent.pubkey(),
            self.d.address,
            self.session,
            self.model,
            self.payees(),
            self.m.payment(),
            batch,
            terms,
        )
    }

    fn send(&mut self, ixs: Vec<Instruction>, signer: &Keypair) -> Result<Executed, Failed> {
        let result = self.m.chain.send(&ixs, &[signer]);
        if result.is_ok() {
            for ix in ixs.iter().filter(|ix| ix.program_id == proof::PROGRAM_ID) {
                self.submitted.push(ProofInstruction {
                    signature: format!("tx{}", self.submitted.len()),
                    accounts: ix.accounts.iter().map(|a| a.pubkey).collect(),
                    data: ix.data.clone(),
                });
            }
        }
        result
    }

    fn log(&self) -> ReceiptLog {
        self.m
            .chain
            .anchor_account(&proof::receipt_log_address(&self.d.address))
    }
}

#[test]
fn a_session_pays_for_batches_of_inferences_split_exactly() {
    let mut x = Inference::new();
    let agent = x.d.agent.insecure_clone();
    let vault = proof::session_vault_address(&x.session);
    assert_eq!(x.m.chain.token_balance(&vault), 100 * USDC);
    // 3 units per GPU-ms; royalty 10 %, network fee 2 %, both rounded down per record.
    // 1,000 → 3,000: 300 + 60 + 2,640; 2,500 → 7,500: 750 + 150 + 6,600;
    // 7 → 21: 2 + 0 + 19; 333 → 999: 99 + 19 + 881.
    let batch = x.batch(0, &[1_000, 2_500, 7, 333]);
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 11_520),
        x.submit_ix(&agent, batch, x.terms()),
    ];
    let executed = x.send(ixs, &agent).unwrap();
    let event: proof::ReceiptsSubmitted = executed.event();
    assert_eq!(
        (event.first_seq, event.records, event.compute_units),
        (0, 4, 3_840)
    );
    assert_eq!(
        (
            event.split.amount,
            event.split.royalty,
            event.split.fee,
            event.split.worker
        ),
        (11_520, 1_151, 229, 10_140)
    );
    assert_eq!(x.m.chain.token_balance(&x.d.owner_token), 10_140);
    assert_eq!(x.m.chain.token_balance(&x.royalty_token), 1_151);
    assert_eq!(x.m.chain.token_balance(&x.m.treasury_token), 229);
    assert_eq!(x.m.chain.token_balance(&vault), 100 * USDC - 11_520);

    // One cumulative voucher covers the next batches up to its amount.
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 20_000),
        x.submit_ix(&agent, x.batch(4, &[2_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    assert_eq!(x.m.chain.token_balance(&x.d.owner_token), 10_140 + 5_280);
    let log = x.log();
    assert_eq!((log.count, log.compute_units), (5, 5_840));
    assert_eq!(log.totals.amount, 17_520);
    let session: proof::Session = x.m.chain.anchor_account(&x.session);
    assert_eq!(session.spent, 17_520);
    let payee: proof::SessionPayee =
        x.m.chain
            .anchor_account(&proof::payee_address(&x.session, &x.d.address));
    assert_eq!(payee.paid, 17_520);
}

fn refused(x: &mut Inference, ixs: Vec<Instruction>, signer: &Keypair, error: ProofError) {
    let before = (
        x.m.chain.token_balance(&x.d.owner_token),
        x.m.chain
            .token_balance(&proof::session_vault_address(&x.session)),
    );
    x.send(ixs, signer)
        .unwrap_err()
        .assert_anchor_error(error.into());
    let after = (
        x.m.chain.token_balance(&x.d.owner_token),
        x.m.chain
            .token_balance(&proof::session_vault_address(&x.session)),
    );
    assert_eq!(before, after, "a refused batch moved tokens");
}

#[test]
fn batches_without_a_valid_authorisation_or_from_the_wrong_key_are_refused() {
    let mut x = Inference::new();
    let agent = x.d.agent.insecure_clone();
    let first = x.batch(0, &[1_000]); // 3,000
    x.send(
        vec![
            x.voucher(&x.authorizer, x.session, 3_000),
            x.submit_ix(&agent, first.clone(), x.terms()),
        ],
        &agent,
    )
    .unwrap();
    // The same batch again (same sequence number), even with a fresh voucher.
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 9_000),
        x.submit_ix(&agent, first, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::SeqMismatch);
    let next = x.batch(1, &[1_000]);
    // No voucher; a voucher below the cumulative total; one for another session; one
    // signed by someone other than the session's authoriser.
    let ixs = vec![x.submit_ix(&agent, next.clone(), x.terms())];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 5_999),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let other_session = proof::session_address(&x.consumer.pubkey(), 8);
    let ixs = vec![
        x.voucher(&x.authorizer, other_session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let stranger = x.m.chain.funded_keypair(1);
    let ixs = vec![
        x.voucher(&stranger, x.session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let consumer = x.consumer.insecure_clone();
    let ixs = vec![
        x.voucher(&consumer, x.session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    // Signed by the device owner or a stranger instead of the agent key.
    let owner = x.d.owner.insecure_clone();
    for signer in [&owner, &stranger] {
        let ixs = vec![
            x.voucher(&x.authorizer, x.session, 9_000),
            x.submit_ix(signer, next.clone(), x.terms()),
        ];
        refused(&mut x, ixs, signer, ProofError::NotDeviceAgent);
    }
    // Terms other than the model's and the network's.
    let cheaper = InferenceTerms {
        price_per_unit: 2,
        ..x.terms()
    };
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 9_000),
        x.submit_ix(&agent, next.clone(), cheaper),
    ];
    refused(&mut x, ixs, &agent, ProofError::TermsChanged);
    // Future timestamps and bad sizes.
    let mut future = next.clone();
    future.base_timestamp = x.m.chain.clock().unix_timestamp + 1;
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 9_000),
        x.submit_ix(&agent, future, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::FutureTimestamp);
    let empty = x.batch(1, &[]);
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 9_000),
        x.submit_ix(&agent, empty, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::InvalidBatchSize);
    // The right voucher works.
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 6_000),
        x.submit_ix(&agent, next, x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    assert_eq!(x.log().count, 2);
}

#[test]
fn rebuild_and_verify_accepts_the_chain_and_detects_tampering() {
    let mut x = Inference::new();
    let agent = x.d.agent.insecure_clone();
    let mut cumulative = 0;
    let mut seq = 0;
    for units in [vec![100, 200, 300], vec![5], vec![1_000, 1, 2, 3, 4]] {
        cumulative += units.iter().map(|u| 3 * u64::from(*u)).sum::<u64>();
        let batch = x.batch(seq, &units);
        seq += units.len() as u64;
        let ixs = vec![
            x.voucher(&x.authorizer, x.session, cumulative),
            x.submit_ix(&agent, batch, x.terms()),
        ];
        x.send(ixs, &agent).unwrap();
    }
    let log = x.log();
    let mut shuffled = x.submitted.clone();
    shuffled.reverse();
    let records = proof::rebuild_and_verify(&x.d.address, &shuffled, &log).unwrap();
    assert_eq!(records.len(), 9);
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (0..9).collect::<Vec<_>>()
    );
    assert_eq!(records[3].compute_units, 5);
    assert_eq!(records[3].split.amount, 15);
    assert_eq!(records[3].signature, "tx1");
    assert_eq!(records[0].model, x.model);
    assert_eq!(records[0].reference, x.session);
    let total: u64 = records.iter().map(|r| r.split.amount).sum();
    assert_eq!(total, log.totals.amount);
    let royalty: u64 = records.iter().map(|r| r.split.royalty).sum();
    assert_eq!(royalty, log.totals.royalty);

    // A changed result hash in one record breaks the chain.
    let mut tampered = x.submitted.clone();
    let last = tampered[1].data.len() - 1;
    tampered[1].data[last - 20] ^= 1;
    // (the batch's only record's result hash sits just before the 12-byte terms)
    assert_eq!(
        proof::rebuild_and_verify(&x.d.address, &tampered, &log),
        Err(VerifyError::HeadMismatch { records: 9 })
    );
    // A left-out batch.
    let missing = vec![x.submitted[0].clone(), x.submitted[2].clone()];
    assert_eq!(
        proof::rebuild_and_verify(&x.d.address, &missing, &log),
        Err(VerifyError::Gap {
            expected_seq: 3,
            found_seq: 4
        })
    );
    let truncated = vec![x.submitted[0].clone(), x.submitted[1].clone()];
    assert_eq!(
        proof::rebuild_and_verify(&x.d.address, &truncated, &log),
        Err(VerifyError::Missing {
            on_chain: 9,
            rebuilt: 4
        })
    );
    // A changed compute-unit count (and so amount) breaks it too.
    let mut inflated = x.submitted.clone();
    inflated[0].data[8 + 8 + 8 + 4] ^= 0x10; // first record's compute units
    assert!(matches!(
        proof::rebuild_and_verify(&x.d.address, &inflated, &log),
        Err(VerifyError::HeadMismatch { .. })
    ));
}

#[test]
fn lease_job_receipts_need_an_active_hire_of_the_device() {
    let mut m = Market::new();
    let d = m.register_device(1, 8, USDC);
    let d2 = m.register_device(2, 8, USDC);
    let renter = m.renter(1_000 * USDC, 1, USDC);
    m.add_hire(&renter, &d, 2).unwrap();
    m.add_hire(&renter, &d2, 2).unwrap();
    let hire = gpunet_sdk::escrow::hire_address(&renter.lease, &d.address);
    let other_hire = gpunet_sdk::escrow::hire_address(&renter.lease, &d2.address);
    let batch = |m: &Market, seq| ReceiptBatch {
        first_seq: seq,
        base_timestamp: m.chain.clock().unix_timestamp,
        records: vec![ReceiptRecord {
            compute_units: 60_000,
            time_offset: 0,
            result_hash: [9; 32],
        }],
    };
    let job = |m: &Market, hire, seq| {
        proof::submit_job_receipts(
            d.agent.pubkey(),
            d.address,
            hire,
            batch(m, seq),
            Pubkey::default(),
        )
    };
    // The hire starts at the next epoch boundary.
    let ix = job(&m, hire, 0);
    m.chain
        .send(&[ix], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(ProofError::HireNotActive.into());
    m.warp_epochs(1);
    let ix = job(&m, hire, 0);
    m.chain.execute(&[ix], &[&d.agent]);
    let ix = job(&m, other_hire, 1);
    m.chain
        .send(&[ix], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(ProofError::HireNotActive.into());
    // Released (the renter stops early): the running epoch stays, later ones do not.
    let wallet = renter.wallet.insecure_clone();
    m.release(&wallet, &renter, &d).unwrap();
    let ix = job(&m, hire, 1);
    m.chain
        .send(&[ix], &[&d.agent])
        .unwrap_err()
        .assert_anchor_error(ProofError::HireNotActive.into());
    let log: ReceiptLog = m
        .chain
        .anchor_account(&proof::receipt_log_address(&d.address));
    assert_eq!(
        (log.count, log.compute_units, log.totals.amount),
        (1, 60_000, 0)
    );
}

#[test]
fn a_session_closes_after_notice_and_refunds_the_rest() {
    let mut x = Inference::new();
    let agent = x.d.agent.insecure_clone();
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 3_000),
        x.submit_ix(&agent, x.batch(0, &[1_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    let consumer = x.consumer.insecure_clone();
    let pay = x.m.payment();
    let close = proof::close_session(consumer.pubkey(), x.session, x.consumer_token, pay);
    x.m.chain
        .send(std::slice::from_ref(&close), &[&consumer])
        .unwrap_err()
        .assert_anchor_error(ProofError::CloseNotRequested.into());
    let stranger = x.m.chain.funded_keypair(1);
    let ix = proof::request_close_session(stranger.pubkey(), x.session);
    x.m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(ProofError::NotConsumer.into());
    let ix = proof::request_close_session(consumer.pubkey(), x.session);
    x.m.chain.execute(&[ix], &[&consumer]);
    x.m.chain
        .send(std::slice::from_ref(&close), &[&consumer])
        .unwrap_err()
        .assert_anchor_error(ProofError::CloseNoticePending.into());
    // During the notice, covered receipts are still accepted.
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 6_000),
        x.submit_ix(&agent, x.batch(1, &[1_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    x.m.warp_epochs(1);
    let ixs = vec![
        x.voucher(&x.authorizer, x.session, 9_000),
        x.submit_ix(&agent, x.batch(2, &[1_000]), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::SessionClosing);
    x.m.chain.execute(&[close], &[&consumer]);
    assert!(x.m.chain.account(&x.session).is_none());
    assert_eq!(
        x.m.chain.token_balance(&x.consumer_token),
        1_000 * USDC - 6_000
    );
    let _ = &x.model_owner;
}
