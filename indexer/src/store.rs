//! PostgreSQL through diesel: the guarded account upsert and the ingest cursor, always
//! written together in one transaction.

use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::schema::{accounts, ingest_cursor};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory lock key taken while migrating ("gpunet" in ASCII).
const MIGRATION_LOCK: i64 = 0x6770_756e_6574;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("PostgreSQL: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations: {0}")]
    Migrations(String),
    #[error("{field} {value} does not fit its PostgreSQL column")]
    OutOfRange { field: &'static str, value: u64 },
}

/// One account's state as delivered by Geyser.
#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub pubkey: Vec<u8>,
    pub owner: Vec<u8>,
    pub kind: String,
    pub slot: i64,
    pub write_version: i64,
    pub lamports: i64,
    pub data: Vec<u8>,
    pub txn_signature: Option<Vec<u8>>,
    pub finalized: bool,
}

/// A 32-byte key as a BYTEA column value.
pub fn key(k: &gpunet_sdk::Pubkey) -> Vec<u8> {
    k.to_bytes().to_vec()
}

/// A u32 from the chain as an INTEGER.
pub fn int(field: &'static str, value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::OutOfRange {
        field,
        value: value.into(),
    })
}

/// A u64 from the chain as a BIGINT.
pub fn bigint(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}

pub struct Store {
    conn: PgConnection,
}

impl Store {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let mut conn = PgConnection::establish(url)?;
        // Several processes may connect at once (the indexer, the API, a backfill): one
        // runs the migrations, the others wait for it (a session-level advisory lock).
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|applied| applied.len())
            .map_err(|e| StoreError::Migrations(e.to_string()));
        // A new schema may add decoded tables: fill them from the stored accounts.
        let migrated = match applied {
            Ok(0) => Ok(()),
            Ok(_) => reproject(&mut conn),
            Err(e) => Err(e),
        };
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn)?;
        migrated?;
        Ok(Store { conn })
    }

    /// The last slot whose updates are all stored.
    pub fn cursor(&mut self) -> Result<Option<u64>, StoreError> {
        let slot: Option<i64> = ingest_cursor::table
            .select(ingest_cursor::slot)
            .first(&mut self.conn)
            .optional()?;
        Ok(slot.map(|s| s as u64))
    }

    /// Stores what the confirmed slots up to `slot` brought — account states (each replacing
    /// an older state only), receipt batches, events, closed accounts — and moves the cursor
    /// to `slot`, atomically: after a crash either all of it happened or none. Returns how
    /// many account rows were inserted or replaced.
    pub fn commit_slot(&mut self, slot: u64, data: &SlotData) -> Result<usize, StoreError> {
        let cursor = bigint("slot", slot)?;
        self.conn.transaction(|conn| {
            let changed = write_slot_data(conn, data)?;
            // The cursor only moves forward (a replay from an older slot leaves it).
            diesel::insert_into(ingest_cursor::table)
                .values((ingest_cursor::id.eq(1), ingest_cursor::slot.eq(cursor)))
                .on_conflict(ingest_cursor::id)
                .do_update()
                .set((
                    ingest_cursor::slot.eq(sql::<diesel::sql_types::Int8>(
                        "GREATEST(ingest_cursor.slot, excluded.slot)",
                    )),
                    ingest_cursor::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            Ok(changed)
        })
    }

    /// Stores history read back from RPC (receipt batches and events; the cursor stays),
    /// in one transaction.
    pub fn commit_history(&mut self, data: &SlotData) -> Result<(), StoreError> {
        self.conn.transaction(|conn| {
            crate::receipts::write(conn, &data.batches)?;
            crate::history::write(conn, &data.events)
        })
    }

    /// Marks every row of slots up to `slot` finalized.
    pub fn finalize_through(&mut self, slot: u64) -> Result<usize, StoreError> {
        use crate::schema::{events, receipts};
        let slot = bigint("slot", slot)?;
        self.conn.transaction(|conn| {
            Ok(diesel::update(
                accounts::table
                    .filter(accounts::slot.le(slot))
                    .filter(accounts::finalized.eq(false)),
            )
            .set(accounts::finalized.eq(true))
            .execute(conn)?
                + diesel::update(
                    events::table
                        .filter(events::slot.le(slot))
                        .filter(events::finalized.eq(false)),
                )
                .set(events::finalized.eq(true))
                .execute(conn)?
                + diesel::update(
                    receipts::table
                        .filter(receipts::slot.le(slot))
                        .filter(receipts::finalized.eq(false)),
                )
                .set(receipts::finalized.eq(true))
                .execute(conn)?)
        })
    }

    /// Replaces what is stored of `owner`'s accounts by a snapshot taken at `slot` (every
    /// row at `write_version` = `i64::MAX`: the state at the end of that slot), in one
    /// transaction: snapshot rows win over older ones, and stored accounts of slots up to
    /// `slot` that the snapshot lacks were closed and are deleted. Returns (rows written,
    /// rows deleted).
    pub fn replace_snapshot(
        &mut self,
        owner: &[u8],
        slot: u64,
        rows: &[AccountRow],
    ) -> Result<(usize, usize), StoreError> {
        let slot = bigint("slot", slot)?;
        self.conn.transaction(|conn| {
            let written = upsert_and_project(conn, rows)?;
            // Closed accounts: gone from `accounts`, marked in the projections.
            let present: Vec<&[u8]> = rows.iter().map(|r| r.pubkey.as_slice()).collect();
            let closed: Vec<Vec<u8>> = accounts::table
                .filter(accounts::owner.eq(owner))
                .filter(accounts::slot.le(slot))
                .filter(accounts::pubkey.ne_all(present))
                .select(accounts::pubkey)
                .load(conn)?;
            let mut deleted = 0;
            for address in &closed {
                crate::project::close(conn, address, slot)?;
                deleted += 1;
            }
            Ok((written, deleted))
        })
    }

    pub fn account(&mut self, pubkey: &[u8]) -> Result<Option<AccountRow>, StoreError> {
        Ok(accounts::table
            .find(pubkey)
            .select(AccountRow::as_select())
            .first(&mut self.conn)
            .optional()?)
    }

    /// Every stored account owned by `owner`, by pubkey.
    pub fn accounts_of(&mut self, owner: &[u8]) -> Result<Vec<AccountRow>, StoreError> {
        Ok(accounts::table
            .filter(accounts::owner.eq(owner))
            .order(accounts::pubkey)
            .select(AccountRow::as_select())
            .load(&mut self.conn)?)
    }

    /// Every stored receipt, by device and seq.
    pub fn receipts(&mut self) -> Result<Vec<crate::receipts::ReceiptRow>, StoreError> {
        use crate::schema::receipts;
        Ok(receipts::table
            .order((receipts::device, receipts::seq))
            .select(crate::receipts::ReceiptRow::as_select())
            .load(&mut self.conn)?)
    }

    /// Every stored device, by address.
    pub fn devices(&mut self) -> Result<Vec<crate::project::DeviceRow>, StoreError> {
        use crate::schema::devices;
        Ok(devices::table
            .order(devices::address)
            .select(crate::project::DeviceRow::as_select())
            .load(&mut self.conn)?)
    }
}

/// Rewrites every decoded table from the stored account rows, a page at a time.
fn reproject(conn: &mut PgConnection) -> Result<(), StoreError> {
    let mut after: Vec<u8> = Vec::new();
    loop {
        let page: Vec<AccountRow> = accounts::table
            .filter(accounts::pubkey.gt(&after))
            .order(accounts::pubkey)
            .limit(2_000)
            .select(AccountRow::as_select())
            .load(conn)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.pubkey.clone();
        let rows: Vec<&AccountRow> = page.iter().collect();
        conn.transaction(|conn| crate::project::write(conn, &rows))?;
    }
}

/// What one slot brings.
#[derive(Clone, Debug, Default)]
pub struct SlotData {
    pub rows: Vec<AccountRow>,
    pub batches: Vec<crate::receipts::SlotBatch>,
    pub events: Vec<crate::tx::Event>,
    pub closes: Vec<crate::tx::Close>,
    /// (signature, block position) of the transactions seen.
    pub tx_indexes: Vec<(String, u64)>,
}

/// Writes `data` inside the caller's transaction: account states and their projections,
/// then closes (a close loses to a state written later in the same slot: the account was
/// re-created), then receipts (verified against the logs just stored) and events.
fn write_slot_data(conn: &mut PgConnection, data: &SlotData) -> Result<usize, StoreError> {
    let changed = upsert_and_project(conn, &data.rows)?;
    for close in &data.closes {
        let recreated = data.rows.iter().any(|r| {
            r.pubkey == close.address.to_bytes()
                && r.slot as u64 == close.slot
                && data
                    .writer_index(r)
                    .is_some_and(|writer| writer > close.index)
        });
        if !recreated {
            crate::project::close(conn, &close.address.to_bytes(), bigint("slot", close.slot)?)?;
        }
    }
    crate::receipts::write(conn, &data.batches)?;
    crate::history::write(conn, &data.events)?;
    Ok(changed)
}

impl SlotData {
    /// A slot that brings account states only.
    pub fn accounts(rows: Vec<AccountRow>) -> Self {
        SlotData {
            rows,
            ..Default::default()
        }
    }

    /// The block position of the transaction that wrote `row`, when it is one we saw.
    fn writer_index(&self, row: &AccountRow) -> Option<u64> {
        let signature = bs58::encode(row.txn_signature.as_ref()?).into_string();
        self.tx_indexes
            .iter()
            .find(|(s, _)| *s == signature)
            .map(|(_, i)| *i)
    }
}

/// Inserts `rows`, each replacing a stored row only when its (slot, write_version) is newer
/// (`ON CONFLICT ... DO UPDATE ... WHERE`). Returns how many were inserted or replaced.
/// Inserts `rows` (one per account), each replacing a stored row only when its (slot,
/// write_version) is newer (`ON CONFLICT ... DO UPDATE ... WHERE`). Returns the rows that
/// were inserted or replaced.
fn upsert<'a>(
    conn: &mut PgConnection,
    rows: &[&'a AccountRow],
) -> Result<Vec<&'a AccountRow>, diesel::result::Error> {
    use diesel::upsert::excluded;
    let mut changed: std::collections::HashSet<Vec<u8>> = Default::default();
    // One statement per chunk (PostgreSQL takes at most 65,535 bound parameters).
    for chunk in rows.chunks(1_000) {
        let upsert = diesel::insert_into(accounts::table)
            .values(chunk.to_vec())
            .on_conflict(accounts::pubkey)
            .do_update()
            .set((
                accounts::owner.eq(excluded(accounts::owner)),
                accounts::kind.eq(excluded(accounts::kind)),
                accounts::slot.eq(excluded(accounts::slot)),
                accounts::write_version.eq(excluded(accounts::write_version)),
                accounts::lamports.eq(excluded(accounts::lamports)),
                accounts::data.eq(excluded(accounts::data)),
                accounts::txn_signature.eq(excluded(accounts::txn_signature)),
                accounts::finalized.eq(excluded(accounts::finalized)),
            ));
        let newer = sql::<Bool>(
            "(accounts.slot, accounts.write_version) < (excluded.slot, excluded.write_version)",
        );
        changed.extend(
            diesel::query_dsl::methods::FilterDsl::filter(upsert, newer)
                .returning(accounts::pubkey)
                .get_results::<Vec<u8>>(conn)?,
        );
    }
    Ok(rows
        .iter()
        .copied()
        .filter(|r| changed.contains(&r.pubkey))
        .collect())
}

/// Stores `rows` and the projections of those that won: (rows written).
fn upsert_and_project(conn: &mut PgConnection, rows: &[AccountRow]) -> Result<usize, StoreError> {
    let written = upsert(conn, &newest_per_account(rows))?;
    crate::project::write(conn, &written)?;
    Ok(written.len())
}

/// The newest state of each account among `rows` (one statement cannot update a row twice).
pub fn newest_per_account(rows: &[AccountRow]) -> Vec<&AccountRow> {
    let mut newest: std::collections::HashMap<&[u8], &AccountRow> =
        std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        newest
            .entry(row.pubkey.as_slice())
            .and_modify(|kept| {
                if (row.slot, row.write_version) > (kept.slot, kept.write_version) {
                    *kept = row;
                }
            })
            .or_insert(row);
    }
    let mut rows: Vec<&AccountRow> = newest.into_values().collect();
    // A fixed order, so concurrent writers lock rows in the same order.
    rows.sort_by(|a, b| a.pubkey.cmp(&b.pubkey));
    rows
}
