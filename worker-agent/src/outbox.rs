//! The durable outbox (SQLite, WAL, `synchronous = FULL`): everything the agent owes the
//! chain is written here before anything is sent, so a crash or `kill -9` at any point
//! loses nothing.
//!
//! - `uptime`: per epoch, how long the agent was up, the benchmark digest, and whether the
//!   attestation landed.
//! - `receipts`: every answered inference and every job report, in the order they
//!   happened, each with what it costs.
//! - `batches`: a group of receipts given consecutive sequence numbers from the device's
//!   on-chain log. A batch is written (`built`) before its transaction is sent; on restart
//!   the chain's log count says whether it landed (the program accepts a batch only at the
//!   log's next seq, so the same receipts can never be recorded or paid twice).
//! - `vouchers`: per session, the highest voucher accepted (a replay is refused) and the
//!   total charged.
//! - `jobs`: the job of each hire and how far it ran.

use std::path::Path;
use std::sync::Mutex;

use gpunet_sdk::Pubkey;
use gpunet_sdk::proof::{ReceiptBatch, ReceiptKind, ReceiptRecord};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("outbox: {0}")]
    Invalid(String),
}

pub type Result<T, E = OutboxError> = std::result::Result<T, E>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS uptime (
    epoch INTEGER PRIMARY KEY,
    alive_ms INTEGER NOT NULL DEFAULT 0,
    pow_digest BLOB,
    bench_ms INTEGER,
    state TEXT NOT NULL DEFAULT 'open',
    signature TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    reference BLOB NOT NULL,
    model BLOB NOT NULL,
    first_seq INTEGER NOT NULL,
    base_timestamp INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'built',
    attempts INTEGER NOT NULL DEFAULT 0,
    signature TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    reference BLOB NOT NULL,
    model BLOB NOT NULL,
    compute_units INTEGER NOT NULL,
    result_hash BLOB NOT NULL,
    at INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    batch INTEGER REFERENCES batches(id),
    state TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX IF NOT EXISTS receipts_pending ON receipts (state, id);
CREATE TABLE IF NOT EXISTS vouchers (
    session BLOB PRIMARY KEY,
    cumulative INTEGER NOT NULL,
    signature BLOB NOT NULL,
    charged INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    hire BLOB PRIMARY KEY,
    lease BLOB NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    reported_units INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER,
    detail TEXT
);
";

/// One epoch's uptime record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uptime {
    pub epoch: u64,
    pub alive_ms: u64,
    pub pow_digest: Option<[u8; 32]>,
    pub bench_ms: Option<u64>,
    pub state: AttestState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestState {
    /// Not attested yet.
    Open,
    /// On chain.
    Attested,
    /// Could not be attested (too late, or the agent was not up).
    Missed,
}

impl AttestState {
    fn as_str(self) -> &'static str {
        match self {
            AttestState::Open => "open",
            AttestState::Attested => "attested",
            AttestState::Missed => "missed",
        }
    }

    fn parse(s: &str) -> AttestState {
        match s {
            "attested" => AttestState::Attested,
            "missed" => AttestState::Missed,
            _ => AttestState::Open,
        }
    }
}

/// A receipt to be recorded on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub kind: ReceiptKind,
    /// The hire (job) or the session (inference).
    pub reference: Pubkey,
    pub model: Pubkey,
    pub compute_units: u32,
    pub result_hash: [u8; 32],
    /// Unix time (chain clock) when the work finished.
    pub at: i64,
    /// What it costs the consumer (inference; 0 for jobs, paid through the lease).
    pub amount: u64,
}

/// Pending receipts that go in one batch: same kind, reference (hire or session) and
/// model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub kind: ReceiptKind,
    pub reference: Pubkey,
    pub model: Pubkey,
    /// When its oldest receipt was made.
    pub oldest_at: i64,
    pub count: usize,
}

impl Group {
    /// Whether its batch should go now, holding at most `capacity` receipts: it is full,
    /// it holds job reports (they are few, and their hire may end soon), or its oldest
    /// receipt has waited `max_wait_s`.
    pub fn due(&self, capacity: usize, now: i64, max_wait_s: i64) -> bool {
        self.count >= capacity
            || self.kind == ReceiptKind::LeaseJob
            || now - self.oldest_at >= max_wait_s
    }
}

/// A built batch: its receipts, numbered from `first_seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub kind: ReceiptKind,
    pub reference: Pubkey,
    pub model: Pubkey,
    pub attempts: u32,
    pub batch: ReceiptBatch,
}

/// The highest voucher accepted for a session, and what was charged against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptedVoucher {
    pub cumulative: u64,
    pub signature: [u8; 64],
    pub charged: u64,
}

/// Where a hire's job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Started and not ended (or the agent died while it ran: it runs again).
    Running,
    /// Exited with status 0.
    Done,
    /// Exited with another status, or could not run.
    Failed,
    /// Stopped by the hire's end or the agent's shutdown: it runs again after a restart
    /// while the hire runs.
    Stopped,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Stopped => "stopped",
        }
    }

    /// The state stored as `s`; an unknown one counts as stopped (the job runs again).
    fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => JobState::Stopped,
        }
    }

    /// Whether the job ran to its end (and is not to run again).
    pub fn ended(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// A hire's job as last recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub hire: Pubkey,
    pub lease: Pubkey,
    pub spec: String,
    pub state: JobState,
    pub reported_units: u64,
    pub exit_code: Option<i32>,
}

/// Counts for health and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub receipts_pending: u64,
    pub receipts_confirmed: u64,
    pub receipts_dropped: u64,
    pub batches_confirmed: u64,
    pub epochs_attested: u64,
    pub epochs_missed: u64,
}

pub struct Outbox {
    conn: Mutex<Connection>,
}

fn kind_code(kind: ReceiptKind) -> i64 {
    match kind {
        ReceiptKind::LeaseJob => 0,
        ReceiptKind::Inference => 1,
    }
}

fn kind_of(code: i64) -> ReceiptKind {
    if code == 1 {
        ReceiptKind::Inference
    } else {
        ReceiptKind::LeaseJob
    }
}

fn key(blob: Vec<u8>) -> Result<Pubkey> {
    let bytes: [u8; 32] = blob
        .try_into()
        .map_err(|_| OutboxError::Invalid("a stored key is not 32 bytes".into()))?;
    Ok(Pubkey::new_from_array(bytes))
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Outbox {
    /// Opens (creating) the outbox at `path`.
    pub fn open(path: &Path) -> Result<Outbox> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                OutboxError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Outbox {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    // ---- uptime and attestations ----

    /// Adds `ms` of uptime to `epoch`.
    pub fn add_alive(&self, epoch: u64, ms: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO uptime (epoch, alive_ms) VALUES (?1, ?2)
                 ON CONFLICT (epoch) DO UPDATE SET alive_ms = alive_ms + excluded.alive_ms",
                params![int(epoch), int(ms)],
            )?;
            Ok(())
        })
    }

    /// Stores the benchmark digest of `epoch`.
    pub fn set_proof(&self, epoch: u64, digest: [u8; 32], bench_ms: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO uptime (epoch, pow_digest, bench_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (epoch) DO UPDATE SET pow_digest = excluded.pow_digest,
                     bench_ms = excluded.bench_ms",
                params![int(epoch), digest.to_vec(), int(bench_ms)],
            )?;
            Ok(())
        })
    }

    pub fn uptime(&self, epoch: u64) -> Result<Option<Uptime>> {
        Ok(self
            .uptimes("WHERE epoch = ?1", int(epoch))?
            .into_iter()
            .next())
    }

    /// Epochs before `before` still to attest, oldest first.
    pub fn open_epochs(&self, before: u64) -> Result<Vec<Uptime>> {
        self.uptimes("WHERE state = 'open' AND epoch < ?1", int(before))
    }

    fn uptimes(&self, filter: &str, value: i64) -> Result<Vec<Uptime>> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT epoch, alive_ms, pow_digest, bench_ms, state FROM uptime {filter}
                 ORDER BY epoch"
            ))?;
            let rows = statement.query_map([value], |r| {
                let digest: Option<Vec<u8>> = r.get(2)?;
                Ok(Uptime {
                    epoch: r.get::<_, i64>(0)? as u64,
                    alive_ms: r.get::<_, i64>(1)? as u64,
                    pow_digest: digest.and_then(|d| d.try_into().ok()),
                    bench_ms: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                    state: AttestState::parse(&r.get::<_, String>(4)?),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The first epoch the agent was up in.
    pub fn first_epoch(&self) -> Result<Option<u64>> {
        self.with(|c| {
            let first: Option<i64> = c.query_row(
                "SELECT MIN(epoch) FROM uptime WHERE alive_ms > 0",
                [],
                |r| r.get(0),
            )?;
            Ok(first.map(|e| e as u64))
        })
    }

    /// Records the outcome of `epoch`'s attestation.
    pub fn set_attested(
        &self,
        epoch: u64,
        state: AttestState,
        signature: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO uptime (epoch, state, signature, detail) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (epoch) DO UPDATE SET state = excluded.state,
                     signature = excluded.signature, detail = excluded.detail",
                params![int(epoch), state.as_str(), signature, detail],
            )?;
            Ok(())
        })
    }

    // ---- receipts and batches ----

    /// Stores a receipt (a job report); returns its id.
    pub fn add_receipt(&self, receipt: &Receipt) -> Result<i64> {
        self.with(|c| insert_receipt(c, receipt))
    }

    /// The batch built but not yet known to be on chain, if any.
    pub fn open_batch(&self) -> Result<Option<Batch>> {
        self.with(|c| {
            let row = c
                .query_row(
                    "SELECT id, kind, reference, model, first_seq, base_timestamp, attempts
                     FROM batches WHERE state = 'built' ORDER BY id LIMIT 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                            r.get::<_, Vec<u8>>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, i64>(5)?,
                            r.get::<_, i64>(6)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, kind, reference, model, first_seq, base_timestamp, attempts)) = row
            else {
                return Ok(None);
            };
            let mut statement = c.prepare(
                "SELECT compute_units, at, result_hash FROM receipts WHERE batch = ?1
                 ORDER BY id",
            )?;
            let records = statement
                .query_map([id], |r| {
                    let hash: Vec<u8> = r.get(2)?;
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, hash))
                })?
                .map(|row| {
                    let (units, at, hash) = row?;
                    Ok(ReceiptRecord {
                        compute_units: units as u32,
                        time_offset: u32::try_from(at - base_timestamp).map_err(|_| {
                            OutboxError::Invalid(format!("batch {id}: receipt before its base"))
                        })?,
                        result_hash: hash.try_into().map_err(|_| {
                            OutboxError::Invalid(format!("batch {id}: result hash size"))
                        })?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(Batch {
                id,
                kind: kind_of(kind),
                reference: key(reference)?,
                model: key(model)?,
                attempts: attempts as u32,
                batch: ReceiptBatch {
                    first_seq: first_seq as u64,
                    base_timestamp,
                    records,
                },
            }))
        })
    }

    /// The groups of pending receipts (one batch each), the one with the oldest receipt
    /// first.
    pub fn pending_groups(&self) -> Result<Vec<Group>> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT kind, reference, model, MIN(at), COUNT(*) FROM receipts
                 WHERE state = 'pending' GROUP BY kind, reference, model ORDER BY MIN(id)",
            )?;
            let rows = statement.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            rows.map(|row| {
                let (kind, reference, model, oldest_at, count) = row?;
                Ok(Group {
                    kind: kind_of(kind),
                    reference: key(reference)?,
                    model: key(model)?,
                    oldest_at,
                    count: count as usize,
                })
            })
            .collect()
        })
    }

    /// Builds the next batch of `group`: its first `max` pending receipts in order,
    /// numbered from `first_seq`, with timestamps no later than `now`.
    pub fn build_batch(
        &self,
        group: &Group,
        first_seq: u64,
        now: i64,
        max: usize,
    ) -> Result<Option<Batch>> {
        let kind = kind_code(group.kind);
        let (reference, model) = (group.reference.to_bytes(), group.model.to_bytes());
        let built = self.with(|c| {
            let tx = c.transaction()?;
            let ids: Vec<(i64, i64)> = {
                let mut statement = tx.prepare(
                    "SELECT id, at FROM receipts WHERE state = 'pending' AND kind = ?1
                     AND reference = ?2 AND model = ?3 ORDER BY id LIMIT ?4",
                )?;
                statement
                    .query_map(params![kind, reference, model, max as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<Result<_, _>>()?
            };
            if ids.is_empty() {
                return Ok(None);
            }
            // Timestamps: each receipt's own, not after `now` (the chain refuses
            // receipts from its future), never before the previous one.
            let mut times = Vec::with_capacity(ids.len());
            for &(_, at) in &ids {
                let at = at.min(now).max(times.last().copied().unwrap_or(i64::MIN));
                times.push(at);
            }
            tx.execute(
                "INSERT INTO batches (kind, reference, model, first_seq, base_timestamp)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kind, reference, model, int(first_seq), times[0]],
            )?;
            let batch = tx.last_insert_rowid();
            for (&(id, _), at) in ids.iter().zip(&times) {
                tx.execute(
                    "UPDATE receipts SET state = 'batched', batch = ?1, at = ?2 WHERE id = ?3",
                    params![batch, at, id],
                )?;
            }
            tx.commit()?;
            Ok(Some(batch))
        })?;
        match built {
            Some(_) => self.open_batch(),
            None => Ok(None),
        }
    }

    /// Counts an attempt to send batch `id`.
    pub fn batch_attempted(&self, id: i64, signature: Option<&str>, detail: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE batches SET attempts = attempts + 1,
                     signature = COALESCE(?2, signature), detail = ?3 WHERE id = ?1",
                params![id, signature, detail],
            )?;
            Ok(())
        })
    }

    /// Batch `id` is on chain.
    pub fn batch_confirmed(&self, id: i64, signature: Option<&str>) -> Result<()> {
        self.finish_batch(id, "confirmed", signature, None)
    }

    /// Batch `id` can never land (e.g. its hire ended); its receipts are dropped, and its
    /// sequence numbers are free for the next batch.
    pub fn batch_dropped(&self, id: i64, detail: &str) -> Result<()> {
        self.finish_batch(id, "dropped", None, Some(detail))
    }

    /// Returns the receipts of batch `id` to the pending ones (to be numbered again).
    pub fn requeue(&self, id: i64) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE receipts SET state = 'pending', batch = NULL WHERE batch = ?1",
                [id],
            )?;
            tx.execute(
                "UPDATE batches SET state = 'renumbered' WHERE id = ?1",
                [id],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn finish_batch(
        &self,
        id: i64,
        state: &str,
        signature: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE batches SET state = ?2, signature = COALESCE(?3, signature),
                     detail = COALESCE(?4, detail) WHERE id = ?1",
                params![id, state, signature, detail],
            )?;
            tx.execute(
                "UPDATE receipts SET state = ?2 WHERE batch = ?1",
                params![id, state],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    // ---- vouchers ----

    /// The highest voucher accepted for `session`.
    pub fn voucher(&self, session: &Pubkey) -> Result<Option<AcceptedVoucher>> {
        self.with(|c| {
            let row = c
                .query_row(
                    "SELECT cumulative, signature, charged FROM vouchers WHERE session = ?1",
                    [session.as_ref()],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Vec<u8>>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(cumulative, signature, charged)| {
                Ok(AcceptedVoucher {
                    cumulative: cumulative as u64,
                    signature: signature.try_into().map_err(|_| {
                        OutboxError::Invalid("a stored voucher signature is not 64 bytes".into())
                    })?,
                    charged: charged as u64,
                })
            })
            .transpose()
        })
    }

    /// Accepts `voucher` for `session` if it is above the highest accepted one (a replay
    /// or an older voucher is refused: `Ok(false)`), with `charged` the session's total
    /// charges so far. Durable before the request runs.
    pub fn accept_voucher(
        &self,
        session: &Pubkey,
        cumulative: u64,
        signature: &[u8; 64],
        charged: u64,
    ) -> Result<bool> {
        self.with(|c| {
            let changed = c.execute(
                "INSERT INTO vouchers (session, cumulative, signature, charged)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (session) DO UPDATE SET cumulative = excluded.cumulative,
                     signature = excluded.signature,
                     charged = MAX(vouchers.charged, excluded.charged)
                 WHERE excluded.cumulative > vouchers.cumulative",
                params![
                    session.as_ref(),
                    int(cumulative),
                    signature.to_vec(),
                    int(charged)
                ],
            )?;
            Ok(changed == 1)
        })
    }

    /// Records an answered inference: its receipt and its charge to the session, in one
    /// transaction. Returns the receipt id and the session's new total charged.
    pub fn charge(&self, receipt: &Receipt) -> Result<(i64, u64)> {
        self.with(|c| {
            let tx = c.transaction()?;
            let id = insert_receipt(&tx, receipt)?;
            let charged: i64 = tx.query_row(
                "UPDATE vouchers SET charged = charged + ?2 WHERE session = ?1
                 RETURNING charged",
                params![receipt.reference.as_ref(), int(receipt.amount)],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok((id, charged as u64))
        })
    }

    // ---- jobs ----

    pub fn job(&self, hire: &Pubkey) -> Result<Option<JobRow>> {
        self.with(|c| {
            let row = c
                .query_row(
                    "SELECT lease, spec, state, reported_units, exit_code FROM jobs
                     WHERE hire = ?1",
                    [hire.as_ref()],
                    |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<i32>>(4)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(lease, spec, state, reported_units, exit_code)| {
                Ok(JobRow {
                    hire: *hire,
                    lease: key(lease)?,
                    spec,
                    state: JobState::parse(&state),
                    reported_units: reported_units as u64,
                    exit_code,
                })
            })
            .transpose()
        })
    }

    /// Records that the job of `hire` started (again, after a restart).
    pub fn job_started(&self, hire: &Pubkey, lease: &Pubkey, spec: &str, at: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (hire, lease, spec, state, started_at) VALUES (?1, ?2, ?3, 'running', ?4)
                 ON CONFLICT (hire) DO UPDATE SET state = 'running', started_at = excluded.started_at",
                params![hire.as_ref(), lease.as_ref(), spec, at],
            )?;
            Ok(())
        })
    }

    /// Records a report of the job of `hire`: its receipt, and the job's units so far, in
    /// one transaction.
    pub fn job_report(&self, receipt: &Receipt) -> Result<i64> {
        self.with(|c| {
            let tx = c.transaction()?;
            let id = insert_receipt(&tx, receipt)?;
            tx.execute(
                "UPDATE jobs SET reported_units = reported_units + ?2 WHERE hire = ?1",
                params![receipt.reference.as_ref(), i64::from(receipt.compute_units)],
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Records how the job of `hire` ended (done, failed or stopped).
    pub fn job_ended(
        &self,
        hire: &Pubkey,
        state: JobState,
        exit_code: Option<i32>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, exit_code = ?3, detail = ?4 WHERE hire = ?1",
                params![hire.as_ref(), state.as_str(), exit_code, detail],
            )?;
            Ok(())
        })
    }

    // ---- counts ----

    pub fn counts(&self) -> Result<Counts> {
        self.with(|c| {
            let count = |sql: &str| -> Result<u64> {
                Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
            };
            Ok(Counts {
                receipts_pending: count(
                    "SELECT COUNT(*) FROM receipts WHERE state IN ('pending', 'batched')",
                )?,
                receipts_confirmed: count(
                    "SELECT COUNT(*) FROM receipts WHERE state = 'confirmed'",
                )?,
                receipts_dropped: count("SELECT COUNT(*) FROM receipts WHERE state = 'dropped'")?,
                batches_confirmed: count("SELECT COUNT(*) FROM batches WHERE state = 'confirmed'")?,
                epochs_attested: count("SELECT COUNT(*) FROM uptime WHERE state = 'attested'")?,
                epochs_missed: count("SELECT COUNT(*) FROM uptime WHERE state = 'missed'")?,
            })
        })
    }
}

fn insert_receipt(c: &Connection, r: &Receipt) -> Result<i64> {
    c.execute(
        "INSERT INTO receipts (kind, reference, model, compute_units, result_hash, at, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            kind_code(r.kind),
            r.reference.as_ref(),
            r.model.as_ref(),
            i64::from(r.compute_units),
            r.result_hash.to_vec(),
            r.at,
            int(r.amount)
        ],
    )?;
    Ok(c.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> (Outbox, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "gpunet-outbox-{}-{}",
            std::process::id(),
            Pubkey::new_unique()
        ));
        let outbox = Outbox::open(&dir.join("outbox.sqlite")).unwrap();
        (outbox, dir)
    }

    fn receipt(kind: ReceiptKind, reference: Pubkey, at: i64, units: u32) -> Receipt {
        Receipt {
            kind,
            reference,
            model: Pubkey::default(),
            compute_units: units,
            result_hash: [units as u8; 32],
            at,
            amount: u64::from(units) * 3,
        }
    }

    /// The first pending group that is due, built (what the submitter does).
    fn next(outbox: &Outbox, first_seq: u64, now: i64, max: usize, wait: i64) -> Option<Batch> {
        let group = outbox
            .pending_groups()
            .unwrap()
            .into_iter()
            .find(|g| g.due(max, now, wait))?;
        outbox.build_batch(&group, first_seq, now, max).unwrap()
    }

    #[test]
    fn inference_receipts_wait_for_a_full_batch_or_their_age() {
        let (outbox, dir) = outbox();
        let session = Pubkey::new_unique();
        for i in 0..3 {
            outbox
                .add_receipt(&receipt(ReceiptKind::Inference, session, 100 + i, 10))
                .unwrap();
        }
        assert_eq!(next(&outbox, 0, 101, 32, 5), None, "young");
        assert!(next(&outbox, 0, 102, 3, 60).is_some(), "full");
        outbox
            .requeue(outbox.open_batch().unwrap().unwrap().id)
            .unwrap();
        let batch = next(&outbox, 7, 105, 32, 5).expect("old enough");
        assert_eq!(batch.batch.first_seq, 7);
        assert_eq!(batch.batch.base_timestamp, 100);
        let offsets: Vec<u32> = batch.batch.records.iter().map(|r| r.time_offset).collect();
        assert_eq!(offsets, [0, 1, 2]);
        // Built once: the same batch is open until it is confirmed or dropped.
        assert_eq!(outbox.open_batch().unwrap(), Some(batch.clone()));
        assert_eq!(next(&outbox, 10, 200, 32, 5), None, "all batched");
        outbox.batch_confirmed(batch.id, Some("sig")).unwrap();
        assert_eq!(outbox.open_batch().unwrap(), None);
        let counts = outbox.counts().unwrap();
        assert_eq!((counts.receipts_pending, counts.receipts_confirmed), (0, 3));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_due_group_goes_first_even_behind_an_older_one_still_waiting() {
        let (outbox, dir) = outbox();
        let (hire, session) = (Pubkey::new_unique(), Pubkey::new_unique());
        for i in 0..4 {
            outbox
                .add_receipt(&receipt(ReceiptKind::Inference, session, 10 + i, 2))
                .unwrap();
        }
        outbox
            .add_receipt(&receipt(ReceiptKind::LeaseJob, hire, 500, 1))
            .unwrap();
        outbox
            .add_receipt(&receipt(ReceiptKind::LeaseJob, hire, 501, 3))
            .unwrap();
        let groups = outbox.pending_groups().unwrap();
        assert_eq!(
            groups
                .iter()
                .map(|g| (g.reference, g.count))
                .collect::<Vec<_>>(),
            [(session, 4), (hire, 2)],
            "oldest first"
        );
        // The inferences wait for more; the job reports are due at once and are not held
        // up by them. The chain's clock (400) is behind the agent's: times are clamped.
        let jobs = next(&outbox, 0, 12, 8, 60).unwrap();
        assert_eq!(jobs.reference, hire);
        assert_eq!(jobs.batch.base_timestamp, 12);
        assert_eq!(jobs.batch.records.len(), 2);
        outbox.batch_dropped(jobs.id, "hire ended").unwrap();
        let inferences = next(&outbox, 0, 400, 3, 60).unwrap();
        assert_eq!(inferences.batch.records.len(), 3, "full at max");
        let counts = outbox.counts().unwrap();
        assert_eq!((counts.receipts_dropped, counts.receipts_pending), (2, 4));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_voucher_is_accepted_once_and_only_above_the_last() {
        let (outbox, dir) = outbox();
        let session = Pubkey::new_unique();
        assert!(outbox.accept_voucher(&session, 100, &[1; 64], 0).unwrap());
        assert!(
            !outbox.accept_voucher(&session, 100, &[1; 64], 0).unwrap(),
            "replay"
        );
        assert!(
            !outbox.accept_voucher(&session, 99, &[2; 64], 0).unwrap(),
            "older"
        );
        let (_, charged) = outbox
            .charge(&receipt(ReceiptKind::Inference, session, 1, 20))
            .unwrap();
        assert_eq!(charged, 60);
        assert!(outbox.accept_voucher(&session, 200, &[3; 64], 0).unwrap());
        let stored = outbox.voucher(&session).unwrap().unwrap();
        assert_eq!((stored.cumulative, stored.charged), (200, 60));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn everything_survives_reopening() {
        let (outbox, dir) = outbox();
        outbox.add_alive(3, 1_500).unwrap();
        outbox.add_alive(3, 500).unwrap();
        outbox.set_proof(3, [9; 32], 12).unwrap();
        let hire = Pubkey::new_unique();
        outbox
            .add_receipt(&receipt(ReceiptKind::LeaseJob, hire, 5, 1))
            .unwrap();
        let built = next(&outbox, 4, 10, 32, 60).unwrap();
        drop(outbox);
        let outbox = Outbox::open(&dir.join("outbox.sqlite")).unwrap();
        let uptime = outbox.uptime(3).unwrap().unwrap();
        assert_eq!((uptime.alive_ms, uptime.pow_digest), (2_000, Some([9; 32])));
        assert_eq!(outbox.open_epochs(4).unwrap().len(), 1);
        outbox
            .set_attested(3, AttestState::Attested, Some("sig"), None)
            .unwrap();
        assert!(outbox.open_epochs(4).unwrap().is_empty());
        assert_eq!(outbox.open_batch().unwrap(), Some(built));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
