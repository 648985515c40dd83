//! Proof-of-compute program: ids, PDAs, instruction builders, and the rebuild-and-verify
//! function behind the explorer's "verified" mark.

use anchor_lang::{AnchorDeserialize, Discriminator, InstructionData, ToAccountMetas};
pub use proof::errors::ProofError;
pub use proof::events::*;
pub use proof::instructions::{OpenSessionArgs, RegisterModelArgs, UpdateModelArgs};
use proof::state::seeds;
pub use proof::state::{
    InferenceTerms, Model, ReceiptBatch, ReceiptKind, ReceiptLog, ReceiptRecord, Session,
    SessionPayee, Split, chain_next, voucher_message,
};

use crate::{Instruction, Pubkey};

pub const PROGRAM_ID: Pubkey = proof::ID;

fn find(seeds: &[&[u8]]) -> Pubkey {
    crate::pda(&PROGRAM_ID, seeds)
}

fn instruction(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    crate::anchor_instruction(PROGRAM_ID, accounts, data)
}

/// A batch continuing a device's log at `first_seq`: one record per (compute units,
/// result hash), one second apart from `base_timestamp`.
pub fn receipt_batch(
    first_seq: u64,
    base_timestamp: i64,
    records: impl IntoIterator<Item = (u32, [u8; 32])>,
) -> ReceiptBatch {
    ReceiptBatch {
        first_seq,
        base_timestamp,
        records: records
            .into_iter()
            .enumerate()
            .map(|(i, (compute_units, result_hash))| ReceiptRecord {
                compute_units,
                time_offset: i as u32,
                result_hash,
            })
            .collect(),
    }
}

/// `["model", owner, model_id]`.
pub fn model_address(owner: &Pubkey, model_id: u64) -> Pubkey {
    find(&[seeds::MODEL, owner.as_ref(), &model_id.to_le_bytes()])
}

/// `["session", consumer, session_id]`.
pub fn session_address(consumer: &Pubkey, session_id: u64) -> Pubkey {
    find(&[seeds::SESSION, consumer.as_ref(), &session_id.to_le_bytes()])
}

/// `["session_vault", session]`.
pub fn session_vault_address(session: &Pubkey) -> Pubkey {
    find(&[seeds::SESSION_VAULT, session.as_ref()])
}

/// `["payee", session, device]`.
pub fn payee_address(session: &Pubkey, device: &Pubkey) -> Pubkey {
    find(&[seeds::PAYEE, session.as_ref(), device.as_ref()])
}

/// `["receipts", device]`.
pub fn receipt_log_address(device: &Pubkey) -> Pubkey {
    find(&[seeds::RECEIPTS, device.as_ref()])
}

/// The PDA that signs proof's `emit_cpi!` events.
pub fn event_authority() -> Pubkey {
    find(&[b"__event_authority"])
}

/// `register_model`, signed by the model owner.
pub fn register_model(owner: Pubkey, args: RegisterModelArgs) -> Instruction {
    let accounts = proof::accounts::RegisterModel {
        model: model_address(&owner, args.model_id),
        owner,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, proof::instruction::RegisterModel { args })
}

/// `update_model`, signed by the model owner.
pub fn update_model(owner: Pubkey, model: Pubkey, args: UpdateModelArgs) -> Instruction {
    let accounts = proof::accounts::UpdateModel {
        model,
        owner,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, proof::instruction::UpdateModel { args })
}

/// `open_session` for `model`, paid from `consumer_token`.
pub fn open_session(
    consumer: Pubkey,
    model: Pubkey,
    consumer_token: Pubkey,
    payment: crate::escrow::Payment,
    args: OpenSessionArgs,
) -> Instruction {
    let session = session_address(&consumer, args.session_id);
    let accounts = proof::accounts::OpenSession {
        network: crate::registry::config_address(),
        model,
        session,
        vault: session_vault_address(&session),
        consumer_token,
        payment_mint: payment.mint,
        consumer,
        token_program: payment.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, proof::instruction::OpenSession { args })
}

/// `request_close_session`, signed by the consumer.
pub fn request_close_session(consumer: Pubkey, session: Pubkey) -> Instruction {
    let accounts = proof::accounts::RequestCloseSession {
        network: crate::registry::config_address(),
        session,
        consumer,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, proof::instruction::RequestCloseSession {})
}

/// `close_session`, signed by the consumer, refunding to `consumer_token`.
pub fn close_session(
    consumer: Pubkey,
    session: Pubkey,
    consumer_token: Pubkey,
    payment: crate::escrow::Payment,
) -> Instruction {
    let accounts = proof::accounts::CloseSession {
        session,
        vault: session_vault_address(&session),
        consumer_token,
        payment_mint: payment.mint,
        consumer,
        token_program: payment.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, proof::instruction::CloseSession {})
}

/// Where an inference batch pays: the device owner's, the model owner's and the treasury's
/// token accounts in the payment mint.
#[derive(Clone, Copy, Debug)]
pub struct InferencePayees {
    pub worker_token: Pubkey,
    pub royalty_token: Pubkey,
    pub treasury_token: Pubkey,
}

/// `submit_inference_receipts`, signed by the device's agent key. Put the authoriser's
/// voucher (`voucher` below) before it in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn submit_inference_receipts(
    agent: Pubkey,
    device: Pubkey,
    session: Pubkey,
    model: Pubkey,
    payees: InferencePayees,
    payment: crate::escrow::Payment,
    batch: ReceiptBatch,
    terms: InferenceTerms,
) -> Instruction {
    let accounts = proof::accounts::SubmitInferenceReceipts {
        network: crate::registry::config_address(),
        device,
        agent,
        receipt_log: receipt_log_address(&device),
        session,
        vault: session_vault_address(&session),
        payee: payee_address(&session, &device),
        model,
        worker_token: payees.worker_token,
        royalty_token: payees.royalty_token,
        treasury_token: payees.treasury_token,
        payment_mint: payment.mint,
        token_program: payment.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        instructions: solana_sdk_ids::sysvar::instructions::ID,
    };
    instruction(
        accounts,
        proof::instruction::SubmitInferenceReceipts { batch, terms },
    )
}

/// The ed25519 instruction carrying the authoriser's voucher: `device` may have been paid
/// up to `cumulative` from `session`.
pub fn voucher(
    authorizer: Pubkey,
    signature: [u8; 64],
    session: &Pubkey,
    device: &Pubkey,
    cumulative: u64,
) -> Instruction {
    let message = voucher_message(session, device, cumulative);
    crate::registry::verifier_signatures(&[(authorizer, signature)], &message)
}

/// `submit_job_receipts` for `hire`, signed by the device's agent key.
pub fn submit_job_receipts(
    agent: Pubkey,
    device: Pubkey,
    hire: Pubkey,
    batch: ReceiptBatch,
    model: Pubkey,
) -> Instruction {
    let accounts = proof::accounts::SubmitJobReceipts {
        network: crate::registry::config_address(),
        device,
        agent,
        receipt_log: receipt_log_address(&device),
        hire,
        system_program: solana_sdk_ids::system_program::ID,
    };
    instruction(
        accounts,
        proof::instruction::SubmitJobReceipts { batch, model },
    )
}

/// A proof-program instruction as found in a successful transaction: its accounts (in
/// order) and data, with the transaction's signature.
#[derive(Clone, Debug)]
pub struct ProofInstruction {
    pub signature: String,
    pub accounts: Vec<Pubkey>,
    pub data: Vec<u8>,
}

/// One proof-of-compute record, rebuilt from transaction data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub device: Pubkey,
    pub seq: u64,
    pub kind: ReceiptKind,
    /// The hire (lease job) or the session (inference).
    pub reference: Pubkey,
    pub model: Pubkey,
    /// GPU-milliseconds.
    pub compute_units: u32,
    /// Amount, worker payout, model-owner royalty and network fee (zero for lease jobs).
    pub split: Split,
    pub timestamp: i64,
    pub result_hash: [u8; 32],
    /// The transaction that carried it.
    pub signature: String,
}

/// Why a device's records do not match its on-chain `ReceiptLog`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// A batch does not start where the previous one ended.
    Gap { expected_seq: u64, found_seq: u64 },
    /// The rebuilt chain ends elsewhere than the log's head (a record was altered, added
    /// or left out).
    HeadMismatch { records: u64 },
    /// The log counts more records than the transactions hold.
    Missing { on_chain: u64, rebuilt: u64 },
    /// An instruction's data does not decode.
    Malformed { signature: String },
}

/// A receipt batch as submitted: whose, what for, at which terms, by which transaction.
#[derive(Clone, Debug)]
pub struct SubmittedBatch {
    pub device: Pubkey,
    pub kind: ReceiptKind,
    /// The hire (lease job) or the session (inference).
    pub reference: Pubkey,
    pub model: Pubkey,
    /// The inference terms stated with the batch (default for lease jobs).
    pub terms: InferenceTerms,
    pub batch: ReceiptBatch,
    pub signature: String,
}

impl SubmittedBatch {
    /// The batch carried by a proof-program instruction; `Ok(None)` for the program's other
    /// instructions.
    pub fn decode(ix: &ProofInstruction) -> Result<Option<Self>, VerifyError> {
        let malformed = || VerifyError::Malformed {
            signature: ix.signature.clone(),
        };
        let (disc, mut body) = (ix.data.get(..8).ok_or_else(malformed)?, &ix.data[8..]);
        let decoded = if disc == proof::instruction::SubmitInferenceReceipts::DISCRIMINATOR {
            let args = proof::instruction::SubmitInferenceReceipts::deserialize(&mut body)
                .map_err(|_| malformed())?;
            // Accounts: network, device, agent, log, session, vault, payee, model, ...
            let (dev, session, model) =
                (ix.accounts.get(1), ix.accounts.get(4), ix.accounts.get(7));
            match (dev, session, model) {
                (Some(d), Some(s), Some(m)) => {
                    (*d, ReceiptKind::Inference, *s, *m, args.terms, args.batch)
                }
                _ => return Err(malformed()),
            }
        } else if disc == proof::instruction::SubmitJobReceipts::DISCRIMINATOR {
            let args = proof::instruction::SubmitJobReceipts::deserialize(&mut body)
                .map_err(|_| malformed())?;
            // Accounts: network, device, agent, log, hire, ...
            match (ix.accounts.get(1), ix.accounts.get(4)) {
                (Some(d), Some(h)) => (
                    *d,
                    ReceiptKind::LeaseJob,
                    *h,
                    args.model,
                    InferenceTerms::default(),
                    args.batch,
                ),
                _ => return Err(malformed()),
            }
        } else {
            return Ok(None);
        };
        let (device, kind, reference, model, terms, batch) = decoded;
        Ok(Some(SubmittedBatch {
            device,
            kind,
            reference,
            model,
            terms,
            batch,
            signature: ix.signature.clone(),
        }))
    }

    /// The receipt-log head after this batch, given the head before it.
    pub fn chain_from(&self, head: &[u8; 32]) -> [u8; 32] {
        chain_next(
            head,
            &self.device,
            self.kind,
            &self.reference,
            &self.model,
            &self.terms,
            &self.batch,
        )
    }

    /// Its records, one per receipt, with their amounts.
    pub fn records(&self) -> Vec<Record> {
        self.batch
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| Record {
                device: self.device,
                seq: self.batch.first_seq + i as u64,
                kind: self.kind,
                reference: self.reference,
                model: self.model,
                compute_units: r.compute_units,
                split: self.terms.split(r.compute_units).unwrap_or_default(),
                timestamp: self.batch.base_timestamp + i64::from(r.time_offset),
                result_hash: r.result_hash,
                signature: self.signature.clone(),
            })
            .collect()
    }
}

/// Rebuilds every record of `device` from its proof-program instructions (from successful
/// transactions, any order) and checks them against the device's `ReceiptLog`: same
/// count, and the hash chain recomputed over every batch ends at the stored head. Returns
/// the records in sequence order.
pub fn rebuild_and_verify(
    device: &Pubkey,
    instructions: &[ProofInstruction],
    log: &ReceiptLog,
) -> Result<Vec<Record>, VerifyError> {
    let mut batches = Vec::new();
    for ix in instructions {
        if let Some(batch) = SubmittedBatch::decode(ix)?
            && batch.device == *device
        {
            batches.push(batch);
        }
    }
    batches.sort_by_key(|b| b.batch.first_seq);

    let mut head = [0u8; 32];
    let mut records = Vec::new();
    for b in &batches {
        let expected_seq = records.len() as u64;
        if b.batch.first_seq != expected_seq {
            return Err(VerifyError::Gap {
                expected_seq,
                found_seq: b.batch.first_seq,
            });
        }
        head = b.chain_from(&head);
        records.extend(b.records());
    }
    let rebuilt = records.len() as u64;
    if rebuilt < log.count {
        return Err(VerifyError::Missing {
            on_chain: log.count,
            rebuilt,
        });
    }
    if head != log.head || rebuilt != log.count {
        return Err(VerifyError::HeadMismatch { records: rebuilt });
    }
    Ok(records)
}
