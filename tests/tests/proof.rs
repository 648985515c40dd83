//! Proof-of-compute on the built programs in litesvm: paid inference batches with exact
//! splits, every rejection (sequence, voucher, signer, terms, time, hire), session close,
//! and the sdk's rebuild-and-verify over the transactions.

use gpunet_sdk::proof::{
    self, InferenceTerms, ProofError, ProofInstruction, ReceiptBatch, ReceiptLog, ReceiptRecord,
    VerifyError,
};
use gpunet_tests::market::{InferenceSession, Market, TestDevice, USDC};
use gpunet_tests::{Executed, Failed, Pubkey};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

struct Inference {
    m: Market,
    d: TestDevice,
    s: InferenceSession,
    /// Successful submissions, for the verifier.
    submitted: Vec<ProofInstruction>,
}

impl Inference {
    fn new() -> Self {
        let mut m = Market::new();
        let d = m.register_device(1, 1, USDC);
        let s = m.open_inference_session();
        Inference {
            m,
            d,
            s,
            submitted: Vec::new(),
        }
    }

    fn terms(&self) -> InferenceTerms {
        self.m.inference_terms()
    }

    fn batch(&self, first_seq: u64, units: &[u32]) -> ReceiptBatch {
        self.m.receipt_batch(first_seq, units)
    }

    /// A voucher of `signer` for `cumulative` on (session, device).
    fn voucher(&self, signer: &Keypair, session: Pubkey, cumulative: u64) -> Instruction {
        self.s.voucher(signer, session, &self.d.address, cumulative)
    }

    fn submit_ix(
        &self,
        agent: &Keypair,
        batch: ReceiptBatch,
        terms: InferenceTerms,
    ) -> Instruction {
        self.s.submit_ix(&self.m, agent, &self.d, batch, terms)
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
    let vault = proof::session_vault_address(&x.s.session);
    assert_eq!(x.m.chain.token_balance(&vault), 100 * USDC);
    // 3 units per GPU-ms; royalty 10 %, network fee 2 %, both rounded down per record.
    // 1,000 → 3,000: 300 + 60 + 2,640; 2,500 → 7,500: 750 + 150 + 6,600;
    // 7 → 21: 2 + 0 + 19; 333 → 999: 99 + 19 + 881.
    let batch = x.batch(0, &[1_000, 2_500, 7, 333]);
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 11_520),
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
    assert_eq!(x.m.chain.token_balance(&x.s.royalty_token), 1_151);
    assert_eq!(x.m.chain.token_balance(&x.m.treasury_token), 229);
    assert_eq!(x.m.chain.token_balance(&vault), 100 * USDC - 11_520);

    // One cumulative voucher covers the next batches up to its amount.
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 20_000),
        x.submit_ix(&agent, x.batch(4, &[2_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    assert_eq!(x.m.chain.token_balance(&x.d.owner_token), 10_140 + 5_280);
    let log = x.log();
    assert_eq!((log.count, log.compute_units), (5, 5_840));
    assert_eq!(log.totals.amount, 17_520);
    let session: proof::Session = x.m.chain.anchor_account(&x.s.session);
    assert_eq!(session.spent, 17_520);
    let payee: proof::SessionPayee =
        x.m.chain
            .anchor_account(&proof::payee_address(&x.s.session, &x.d.address));
    assert_eq!(payee.paid, 17_520);
}

fn refused(x: &mut Inference, ixs: Vec<Instruction>, signer: &Keypair, error: ProofError) {
    let before = (
        x.m.chain.token_balance(&x.d.owner_token),
        x.m.chain
            .token_balance(&proof::session_vault_address(&x.s.session)),
    );
    x.send(ixs, signer)
        .unwrap_err()
        .assert_anchor_error(error.into());
    let after = (
        x.m.chain.token_balance(&x.d.owner_token),
        x.m.chain
            .token_balance(&proof::session_vault_address(&x.s.session)),
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
            x.voucher(&x.s.authorizer, x.s.session, 3_000),
            x.submit_ix(&agent, first.clone(), x.terms()),
        ],
        &agent,
    )
    .unwrap();
    // The same batch again (same sequence number), even with a fresh voucher.
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 9_000),
        x.submit_ix(&agent, first, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::SeqMismatch);
    let next = x.batch(1, &[1_000]);
    // No voucher; a voucher below the cumulative total; one for another session; one
    // signed by someone other than the session's authoriser.
    let ixs = vec![x.submit_ix(&agent, next.clone(), x.terms())];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 5_999),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let other_session = proof::session_address(&x.s.consumer.pubkey(), 8);
    let ixs = vec![
        x.voucher(&x.s.authorizer, other_session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let stranger = x.m.chain.funded_keypair(1);
    let ixs = vec![
        x.voucher(&stranger, x.s.session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    let consumer = x.s.consumer.insecure_clone();
    let ixs = vec![
        x.voucher(&consumer, x.s.session, 1_000_000),
        x.submit_ix(&agent, next.clone(), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::VoucherMissing);
    // Signed by the device owner or a stranger instead of the agent key.
    let owner = x.d.owner.insecure_clone();
    for signer in [&owner, &stranger] {
        let ixs = vec![
            x.voucher(&x.s.authorizer, x.s.session, 9_000),
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
        x.voucher(&x.s.authorizer, x.s.session, 9_000),
        x.submit_ix(&agent, next.clone(), cheaper),
    ];
    refused(&mut x, ixs, &agent, ProofError::TermsChanged);
    // Future timestamps and bad sizes.
    let mut future = next.clone();
    future.base_timestamp = x.m.chain.clock().unix_timestamp + 1;
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 9_000),
        x.submit_ix(&agent, future, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::FutureTimestamp);
    let empty = x.batch(1, &[]);
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 9_000),
        x.submit_ix(&agent, empty, x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::InvalidBatchSize);
    // The right voucher works.
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 6_000),
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
            x.voucher(&x.s.authorizer, x.s.session, cumulative),
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
    assert_eq!(records[0].model, x.s.model);
    assert_eq!(records[0].reference, x.s.session);
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
        x.voucher(&x.s.authorizer, x.s.session, 3_000),
        x.submit_ix(&agent, x.batch(0, &[1_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    let consumer = x.s.consumer.insecure_clone();
    let pay = x.m.payment();
    let close = proof::close_session(consumer.pubkey(), x.s.session, x.s.consumer_token, pay);
    x.m.chain
        .send(std::slice::from_ref(&close), &[&consumer])
        .unwrap_err()
        .assert_anchor_error(ProofError::CloseNotRequested.into());
    let stranger = x.m.chain.funded_keypair(1);
    let ix = proof::request_close_session(stranger.pubkey(), x.s.session);
    x.m.chain
        .send(&[ix], &[&stranger])
        .unwrap_err()
        .assert_anchor_error(ProofError::NotConsumer.into());
    let ix = proof::request_close_session(consumer.pubkey(), x.s.session);
    x.m.chain.execute(&[ix], &[&consumer]);
    x.m.chain
        .send(std::slice::from_ref(&close), &[&consumer])
        .unwrap_err()
        .assert_anchor_error(ProofError::CloseNoticePending.into());
    // During the notice, covered receipts are still accepted.
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 6_000),
        x.submit_ix(&agent, x.batch(1, &[1_000]), x.terms()),
    ];
    x.send(ixs, &agent).unwrap();
    x.m.warp_epochs(1);
    let ixs = vec![
        x.voucher(&x.s.authorizer, x.s.session, 9_000),
        x.submit_ix(&agent, x.batch(2, &[1_000]), x.terms()),
    ];
    refused(&mut x, ixs, &agent, ProofError::SessionClosing);
    x.m.chain.execute(&[close], &[&consumer]);
    assert!(x.m.chain.account(&x.s.session).is_none());
    assert_eq!(
        x.m.chain.token_balance(&x.s.consumer_token),
        1_000 * USDC - 6_000
    );
}
