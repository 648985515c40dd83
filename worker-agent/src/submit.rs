//! Receipt batches: one at a time, from the outbox to the device's on-chain log.
//!
//! A batch is numbered from the log's count when it is built and written to the outbox
//! before it is sent. Whatever happens next (the transaction lands or not, the agent is
//! killed, the RPC node goes away) the log's count decides on the next look: past the
//! batch, it landed; at its first seq, it is sent again with a fresh blockhash. The program
//! accepts a batch only at the log's count, so a batch that lands twice cannot exist.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{ClientError, MAX_TRANSACTION_BYTES, Voucher, transaction_size};
use gpunet_sdk::proof::{self, ReceiptKind};
use tokio::sync::watch;

use crate::agent::{Agent, fault, pause};
use crate::chain::{is_transient, program_error};
use crate::outbox::{Batch, Group, OutboxError};

pub use crate::config::MAX_BATCH;
/// Refusals after which a batch is given up (its receipts are dropped and the sequence
/// numbers reused): the hire or session it is for no longer takes receipts.
const FINAL_REFUSALS: [&str; 5] = [
    "HireNotActive",
    "SessionClosing",
    "AccountNotInitialized",
    "TermsChanged",
    "VoucherMissing",
];
/// Other refusals are retried this many times before the batch is given up.
const MAX_ATTEMPTS: u32 = 8;

#[derive(Debug, thiserror::Error)]
enum SubmitError {
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

pub async fn run(agent: Arc<Agent>, mut shutdown: watch::Receiver<bool>) {
    let poll = agent.config.poll;
    let mut failures = 0;
    loop {
        let pause_for = match step(&agent).await {
            // More may be waiting: go on at once.
            Ok(true) => {
                failures = 0;
                std::time::Duration::ZERO
            }
            Ok(false) => {
                failures = 0;
                poll
            }
            Err(e) => {
                failures += 1;
                agent.failed("receipt batch", &e);
                agent.backoff(failures)
            }
        };
        if !pause(&mut shutdown, pause_for).await {
            break;
        }
    }
}

/// Settles the open batch or builds and sends the next one; `true` when something was
/// done (so the next step should come at once).
async fn step(agent: &Agent) -> Result<bool, SubmitError> {
    let device = agent.chain.device;
    let next_seq = agent.chain.client.next_receipt_seq(&device).await?;
    let batch = match agent.outbox.open_batch()? {
        Some(batch) => batch,
        None => {
            // The first group that is due, oldest first: a group still filling does not
            // hold up the others.
            // Receipts carry chain seconds, so the wait is counted in whole seconds,
            // rounded up (a wait under a second is one second, not none).
            let wait = agent.config.batch_wait.as_millis().div_ceil(1000) as i64;
            let now = agent.chain.now();
            let mut due = None;
            for group in agent.outbox.pending_groups()? {
                let max = capacity(agent, &group).await?;
                if group.due(max, now, wait) {
                    due = Some((group, max));
                    break;
                }
            }
            let Some((group, max)) = due else {
                return Ok(false);
            };
            match agent.outbox.build_batch(&group, next_seq, now, max)? {
                Some(batch) => {
                    fault("batch-built");
                    batch
                }
                None => return Ok(false),
            }
        }
    };
    let first = batch.batch.first_seq;
    let end = first + batch.batch.records.len() as u64;
    if next_seq >= end {
        // It landed (before a crash, or its confirmation was lost).
        agent.outbox.batch_confirmed(batch.id, None)?;
        agent.log(format!(
            "receipts {first}..{end} were already on chain (sent before a restart)"
        ));
        return Ok(true);
    }
    if next_seq != first {
        // The log is elsewhere than the batch expects: behind it (a batch before it was
        // given up after this one was numbered) or inside it (another agent with this
        // key). Either way these receipts cannot go in under these numbers: they wait
        // for the next batch, numbered from the log's count.
        agent.log(format!(
            "the receipt log's next seq is {next_seq}, the open batch starts at {first}: \
             renumbering"
        ));
        agent.outbox.requeue(batch.id)?;
        return Ok(true);
    }
    send(agent, &batch).await?;
    Ok(true)
}

async fn send(agent: &Agent, batch: &Batch) -> Result<(), SubmitError> {
    let client = &agent.chain.client;
    let device = &agent.chain.device;
    let records = batch.batch.records.len();
    let sent = match batch.kind {
        ReceiptKind::LeaseJob => {
            client
                .submit_job_receipts(device, &batch.reference, batch.batch.clone(), &batch.model)
                .await
        }
        ReceiptKind::Inference => match voucher(agent, batch).await? {
            Some(voucher) => {
                client
                    .submit_inference_receipts(
                        device,
                        &batch.reference,
                        batch.batch.clone(),
                        &voucher,
                    )
                    .await
            }
            None => {
                agent
                    .outbox
                    .batch_dropped(batch.id, "no voucher for the session")?;
                return Ok(());
            }
        },
    };
    match sent {
        Ok(signature) => {
            agent.metrics.batches_sent.fetch_add(1, Relaxed);
            // The payee accounts it created make the next batch's transaction smaller.
            agent
                .capacities
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&batch.reference);
            fault("batch-sent");
            agent
                .outbox
                .batch_confirmed(batch.id, Some(&signature.to_string()))?;
            agent.log(format!(
                "receipts {}..{} on chain ({records} {}, tx {signature})",
                batch.batch.first_seq,
                batch.batch.first_seq + records as u64,
                match batch.kind {
                    ReceiptKind::LeaseJob => "job reports",
                    ReceiptKind::Inference => "inferences",
                },
            ));
            Ok(())
        }
        Err(ClientError::Rpc { detail, .. }) if detail.contains("too large") => {
            // Cannot happen with `capacity` right; if it does, these receipts go again in
            // smaller batches rather than block every later one.
            let records = batch.batch.records.len();
            agent.batch_cap.fetch_min((records / 2).max(1), Relaxed);
            agent.log(format!(
                "a batch of {records} receipts is too large for a transaction: split ({detail})"
            ));
            agent.outbox.requeue(batch.id)?;
            Ok(())
        }
        Err(e) => {
            agent.metrics.batch_failures.fetch_add(1, Relaxed);
            let signature = match &e {
                ClientError::Unconfirmed { signature, .. } => Some(signature.to_string()),
                _ => None,
            };
            agent
                .outbox
                .batch_attempted(batch.id, signature.as_deref(), &e.to_string())?;
            match program_error(&e) {
                // Another copy landed first: the next step sees it in the log.
                Some("SeqMismatch") => Ok(()),
                Some(name) if FINAL_REFUSALS.contains(&name) => {
                    agent.log(format!(
                        "receipts {}.. given up: {e}",
                        batch.batch.first_seq
                    ));
                    agent.outbox.batch_dropped(batch.id, &e.to_string())?;
                    Ok(())
                }
                _ if !is_transient(&e) && batch.attempts + 1 >= MAX_ATTEMPTS => {
                    agent.log(format!(
                        "receipts {}.. given up after {MAX_ATTEMPTS} attempts: {e}",
                        batch.batch.first_seq
                    ));
                    agent.outbox.batch_dropped(batch.id, &e.to_string())?;
                    Ok(())
                }
                _ => Err(e.into()),
            }
        }
    }
}

/// The most receipts a batch of this group may hold: the program's limit, or fewer so that
/// its transaction fits [`MAX_TRANSACTION_BYTES`] (an inference batch carries the voucher
/// and the payees' accounts: 8 records fit, see docs/compute-units.md).
async fn capacity(agent: &Agent, group: &Group) -> Result<usize, ClientError> {
    let cached = agent
        .capacities
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&group.reference)
        .filter(|(_, at)| at.elapsed() < CAPACITY_TTL)
        .map(|(n, _)| *n);
    if let Some(n) = cached {
        return Ok(n);
    }
    let n = measure_capacity(agent, group).await?;
    agent
        .capacities
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(group.reference, (n, std::time::Instant::now()));
    Ok(n)
}

/// How long a measured capacity is used (it is measured again after each batch of the
/// group lands: the payee accounts it created make the next transaction smaller).
const CAPACITY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

async fn measure_capacity(agent: &Agent, group: &Group) -> Result<usize, ClientError> {
    let (reference, model) = (&group.reference, &group.model);
    let payer = agent.agent_key();
    let device = agent.chain.device;
    let dummy = |n: usize| proof::receipt_batch(0, 0, vec![(1, [0; 32]); n]);
    let cap = agent.batch_cap.load(Relaxed).min(MAX_BATCH);
    let largest = match group.kind {
        ReceiptKind::LeaseJob => (1..=cap).rev().find(|n| {
            let ix = proof::submit_job_receipts(payer, device, *reference, dummy(*n), *model);
            transaction_size(&[ix], &payer) <= MAX_TRANSACTION_BYTES
        }),
        ReceiptKind::Inference => {
            // The instructions for one record, then each record adds its 40 bytes of data
            // (and the data's length prefix may grow a byte).
            let voucher = Voucher {
                authorizer: Pubkey::default(),
                signature: [0; 64],
                cumulative: u64::MAX,
            };
            let ixs = agent
                .chain
                .client
                .inference_receipts_instructions(&device, reference, dummy(1), &voucher)
                .await?;
            let one = transaction_size(&ixs, &payer);
            let data = ixs.last().map_or(0, |ix| ix.data.len());
            (1..=cap).rev().find(|n| {
                let grown = data + RECORD_BYTES * (n - 1);
                one - compact_len(data) - data + compact_len(grown) + grown <= MAX_TRANSACTION_BYTES
            })
        }
    };
    Ok(largest.unwrap_or(1))
}

/// A receipt record's bytes in an instruction (compute units, time offset, result hash).
const RECORD_BYTES: usize = 4 + 4 + 32;

/// The bytes of a compact-u16 length prefix.
fn compact_len(n: usize) -> usize {
    match n {
        0..0x80 => 1,
        0x80..0x4000 => 2,
        _ => 3,
    }
}

/// The session's highest voucher, which covers everything charged to it.
async fn voucher(agent: &Agent, batch: &Batch) -> Result<Option<Voucher>, SubmitError> {
    let Some(accepted) = agent.outbox.voucher(&batch.reference)? else {
        return Ok(None);
    };
    let session = agent.chain.client.session(&batch.reference).await?;
    Ok(Some(Voucher {
        authorizer: session.authorizer,
        signature: accepted.signature,
        cumulative: accepted.cumulative,
    }))
}
