//! PostgreSQL through diesel: the guarded account upsert and the ingest cursor, always
//! written together in one transaction.

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int8, Nullable};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::schema::{accounts, ingest_cursor};

pub mod history;
pub mod projections;
pub mod receipts;
mod rows;
pub(crate) mod stage;
pub mod totals;

pub use rows::{AccountRow, StoreError, bigint, int, key, kind};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory lock key taken while migrating ("gpunet" in ASCII).
const MIGRATION_LOCK: i64 = 0x6770_756e_6574;

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
        // A new schema may add decoded tables or aggregates: fill them from the stored
        // accounts and rows.
        let migrated = match applied {
            Ok(0) => Ok(()),
            Ok(_) => reproject(&mut conn).and_then(|()| conn.transaction(totals::rebuild)),
            Err(e) => Err(e),
        };
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn)?;
        migrated?;
        conn.batch_execute(stage::CREATE)?;
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
            receipts::write(conn, &data.batches)?;
            history::write(conn, &data.events)
        })
    }

    /// Marks every row of slots up to `slot` finalized: the finality watermark (it only
    /// moves forward). Before anything is stored there is nothing to mark.
    pub fn finalize_through(&mut self, slot: u64) -> Result<(), StoreError> {
        let slot = bigint("slot", slot)?;
        diesel::update(ingest_cursor::table)
            .set(
                ingest_cursor::finalized_slot.eq(sql::<Nullable<Int8>>(
                    "GREATEST(ingest_cursor.finalized_slot, ",
                )
                .bind::<Int8, _>(slot)
                .sql(")")),
            )
            .execute(&mut self.conn)?;
        Ok(())
    }

    /// The finality watermark: rows of slots up to it are finalized, newer ones confirmed.
    pub fn finalized_through(&mut self) -> Result<Option<u64>, StoreError> {
        let slot: Option<Option<i64>> = ingest_cursor::table
            .select(ingest_cursor::finalized_slot)
            .first(&mut self.conn)
            .optional()?;
        Ok(slot.flatten().map(|s| s as u64))
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
                projections::close(conn, address, slot)?;
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
    pub fn receipts(&mut self) -> Result<Vec<receipts::ReceiptRow>, StoreError> {
        use crate::schema::receipts as r;
        Ok(r::table
            .order((r::device, r::seq))
            .select(receipts::ReceiptRow::as_select())
            .load(&mut self.conn)?)
    }

    /// Every stored device, by address.
    pub fn devices(&mut self) -> Result<Vec<projections::DeviceRow>, StoreError> {
        use crate::schema::devices;
        Ok(devices::table
            .order(devices::address)
            .select(projections::DeviceRow::as_select())
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
        conn.transaction(|conn| projections::write(conn, &rows))?;
    }
}

/// What one slot brings.
#[derive(Clone, Debug, Default)]
pub struct SlotData {
    pub rows: Vec<AccountRow>,
    pub batches: Vec<crate::decode::SlotBatch>,
    pub events: Vec<crate::decode::Event>,
    pub closes: Vec<crate::decode::Close>,
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
            projections::close(conn, &close.address.to_bytes(), bigint("slot", close.slot)?)?;
        }
    }
    receipts::write(conn, &data.batches)?;
    history::write(conn, &data.events)?;
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

#[derive(Insertable)]
#[diesel(table_name = stage::accounts_stage, treat_none_as_default_value = false)]
struct StagedAccount<'a> {
    pubkey: &'a [u8],
    owner: &'a [u8],
    kind: &'a str,
    slot: i64,
    write_version: i64,
    lamports: i64,
    data: &'a [u8],
    txn_signature: Option<&'a [u8]>,
}

/// The staged accounts into `accounts`, each replacing a stored row only when its (slot,
/// write_version) is newer; in pubkey order, so concurrent writers lock rows in the same
/// order.
const MERGE_ACCOUNTS: &str = "
    WITH staged AS (DELETE FROM accounts_stage RETURNING *)
    INSERT INTO accounts (pubkey, owner, kind, slot, write_version, lamports, data, txn_signature)
    SELECT pubkey, owner, kind, slot, write_version, lamports, data, txn_signature
    FROM staged ORDER BY pubkey
    ON CONFLICT (pubkey) DO UPDATE SET
        owner = excluded.owner, kind = excluded.kind, slot = excluded.slot,
        write_version = excluded.write_version, lamports = excluded.lamports,
        data = excluded.data, txn_signature = excluded.txn_signature
    WHERE (accounts.slot, accounts.write_version) < (excluded.slot, excluded.write_version)
    RETURNING pubkey";

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    pubkey: Vec<u8>,
}

/// Inserts `rows` (one per account), each replacing a stored row only when its (slot,
/// write_version) is newer: a binary `COPY` into the stage, then [`MERGE_ACCOUNTS`].
/// Returns the rows that were inserted or replaced.
fn upsert<'a>(
    conn: &mut PgConnection,
    rows: &[&'a AccountRow],
) -> Result<Vec<&'a AccountRow>, diesel::result::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let staged: Vec<StagedAccount> = rows
        .iter()
        .map(|r| StagedAccount {
            pubkey: &r.pubkey,
            owner: &r.owner,
            kind: &r.kind,
            slot: r.slot,
            write_version: r.write_version,
            lamports: r.lamports,
            data: &r.data,
            txn_signature: r.txn_signature.as_deref(),
        })
        .collect();
    diesel::copy_from(stage::accounts_stage::table)
        .from_insertable(&staged)
        .execute(conn)?;
    let changed: std::collections::HashSet<Vec<u8>> = diesel::sql_query(MERGE_ACCOUNTS)
        .load::<Key>(conn)?
        .into_iter()
        .map(|k| k.pubkey)
        .collect();
    Ok(rows
        .iter()
        .copied()
        .filter(|r| changed.contains(&r.pubkey))
        .collect())
}

/// Stores `rows` and the projections of those that won: (rows written).
fn upsert_and_project(conn: &mut PgConnection, rows: &[AccountRow]) -> Result<usize, StoreError> {
    let written = upsert(conn, &newest_per_account(rows))?;
    projections::write(conn, &written)?;
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
