//! `ingest`: the indexer replaying a workload into an empty database, against `COPY` of
//! the same rows and a bare gRPC subscriber.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use futures::StreamExt;
use gpunet_indexer::metrics::Metrics;
use gpunet_indexer::source::stream::{self, IngestConfig};
use gpunet_indexer::store::Store;
use solana_signature::Signature;
use solana_signer::Signer;
use tokio::sync::watch;

use super::*;

/// `COPY <table> TO STDOUT` (text format) of a table of the indexer's schema; `None` for a
/// table this program does not know (the caller refuses to compare then).
pub(crate) fn copy_out(conn: &mut PgConnection, table: &str) -> Result<Option<Vec<u8>>> {
    use gpunet_indexer::schema::*;
    macro_rules! out {
        ($($t:ident),*) => {
            match table {
                $(stringify!($t) => {
                    let mut data = Vec::new();
                    diesel::copy_to($t::table).load_raw(conn)?.read_to_end(&mut data)?;
                    Ok(Some(data))
                })*
                _ => Ok(None),
            }
        };
    }
    for_each_table!(out)
}

/// `COPY <table> FROM STDIN` of what [`copy_out`] wrote; returns the rows copied.
pub(crate) fn copy_in(conn: &mut PgConnection, table: &str, data: &[u8]) -> Result<usize> {
    use gpunet_indexer::schema::*;
    let write = |w: &mut dyn Write| {
        w.write_all(data)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
    };
    macro_rules! into {
        ($($t:ident),*) => {
            match table {
                $(stringify!($t) => Ok(diesel::copy_from($t::table)
                    .from_raw_data($t::table, write)
                    .execute(conn)?),)*
                other => Err(format!("no COPY for table {other}").into()),
            }
        };
    }
    for_each_table!(into)
}

/// Seconds for a bare gRPC subscriber (no database) to receive the replay from the first
/// available slot until `last_slot` is confirmed, and the updates it received.
pub(crate) async fn replay_only(endpoint: &str, last_slot: u64) -> Result<(f64, u64)> {
    use yellowstone_grpc_proto::prelude::{SlotStatus, subscribe_update::UpdateOneof};
    let started = Instant::now();
    let mut client =
        yellowstone_grpc_client::GeyserGrpcClient::build_from_shared(endpoint.to_string())?
            .connect()
            .await?;
    let first = client.subscribe_replay_info().await?.first_available;
    let (_sink, mut stream) = client
        .subscribe_with_request(Some(stream::request(first)))
        .await?;
    let mut updates = 0u64;
    while let Some(update) = stream.next().await {
        let update = update?;
        updates += 1;
        if let Some(UpdateOneof::Slot(slot)) = update.update_oneof
            && slot.slot >= last_slot
            && matches!(
                SlotStatus::try_from(slot.status),
                Ok(SlotStatus::SlotConfirmed)
            )
        {
            return Ok((started.elapsed().as_secs_f64(), updates));
        }
    }
    Err("the replay stream ended early".into())
}

/// `name_sum` and `name_count` from the Prometheus text.
pub(crate) fn histogram_sum(text: &str, name: &str) -> Option<(f64, u64)> {
    let value = |suffix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}_{suffix} ")))
            .map(str::to_string)
    };
    Some((value("sum")?.parse().ok()?, value("count")?.parse().ok()?))
}

#[derive(QueryableByName)]
pub(crate) struct StatementStat {
    #[diesel(sql_type = BigInt)]
    pub(crate) calls: i64,
    #[diesel(sql_type = Double)]
    pub(crate) ms: f64,
    #[diesel(sql_type = BigInt)]
    pub(crate) rows: i64,
    #[diesel(sql_type = Text)]
    pub(crate) query: String,
}

/// Every statement `pg_stat_statements` saw in the database at `url`, by total time.
pub(crate) fn statement_stats(url: &str) -> Result<Vec<StatementStat>> {
    let mut conn = PgConnection::establish(url)?;
    Ok(diesel::sql_query(
        "SELECT calls, total_exec_time AS ms, rows,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%'
         ORDER BY total_exec_time DESC",
    )
    .load(&mut conn)?)
}

/// One timed replay: the indexer (in-process) into `url` (schema already migrated) from
/// the first available slot until its cursor reaches `last_slot`.
pub(crate) struct IngestRun {
    pub(crate) secs: f64,
    /// `Store::commit_slot`: total seconds and transactions (the `db_commit` histogram).
    pub(crate) commits: Option<(f64, u64)>,
    pub(crate) reconnects: u64,
}

pub(crate) async fn timed_ingest(endpoint: &str, url: &str, last_slot: u64) -> Result<IngestRun> {
    let metrics = Arc::new(Metrics::default());
    let config = IngestConfig {
        endpoint: endpoint.to_string(),
        x_token: None,
        database_url: url.to_string(),
        metrics: metrics.clone(),
    };
    let (stop, stopped) = watch::channel(false);
    let clock = Instant::now();
    let indexer = tokio::spawn(stream::run(config, stopped));
    let deadline = clock + Duration::from_secs(1800);
    // `indexed_slot` is set right after each slot's transaction commits.
    while metrics.indexed_slot.load(Relaxed) < last_slot {
        if Instant::now() > deadline {
            return Err("the indexer did not reach the last workload slot in 30 min".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let secs = clock.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = indexer.await;
    let cursor = tokio::task::block_in_place(|| Store::connect(url)?.cursor())?;
    if cursor.is_none_or(|c| c < last_slot) {
        return Err(format!("stored cursor {cursor:?} is behind slot {last_slot}").into());
    }
    Ok(IngestRun {
        secs,
        commits: histogram_sum(&metrics.render(), "gpunet_indexer_db_commit_seconds"),
        reconnects: metrics.reconnects.load(Relaxed),
    })
}

pub(crate) fn rows_written(counts: &BTreeMap<String, i64>) -> i64 {
    counts
        .iter()
        .filter(|(t, _)| *t != "ingest_cursor")
        .map(|(_, n)| n)
        .sum()
}

pub(crate) async fn ingest_vs_copy(args: &Args) -> Result<String> {
    progress("ingest: starting localnet");
    // Enough replay to reach back to genesis for the whole run (about 11 days of slots).
    let replay_slots = 10_000_000;
    let chain = chain(replay_slots, args.ingest_owners).await?;
    let per_tx = args.ingest_devices_per_tx as u64;
    let mut transactions = Vec::new();
    for j in 0..args.ingest_txs_per_owner as u64 {
        for owner in &chain.owners {
            let ixs = (0..per_tx)
                .map(|k| register(&owner.pubkey(), chain.agent, 1 + j * per_tx + k))
                .collect();
            transactions.push((owner.clone(), ixs));
        }
    }
    let total_tx = transactions.len();
    progress(format!(
        "ingest: sending {total_tx} transactions ({} devices), no indexer running",
        total_tx as u64 * per_tx
    ));
    let sending = Instant::now();
    let sent = send_all(&chain.rpc, &transactions, args.ingest_in_flight).await?;
    let send_secs = sending.elapsed().as_secs_f64();
    progress(format!("ingest: sent in {send_secs:.1} s"));
    let send_errors = sent.iter().filter(|(_, e)| e.is_some()).count();
    let signatures: Vec<Signature> = sent.iter().map(|(s, _)| *s).collect();
    let outcomes = wait_confirmed(&chain.rpc, &signatures, Duration::from_secs(60)).await?;
    let workload_secs = sending.elapsed().as_secs_f64();
    let confirmed: Vec<&Outcome> = outcomes.iter().flatten().collect();
    let failed = confirmed.iter().filter(|(_, e)| e.is_some()).count();
    let unconfirmed = outcomes.len() - confirmed.len();
    let last_slot = confirmed
        .iter()
        .map(|(s, _)| *s)
        .max()
        .ok_or("no workload transaction confirmed")?;
    let first_slot = confirmed.iter().map(|(s, _)| *s).min().unwrap_or(last_slot);
    let busy_slots = confirmed
        .iter()
        .map(|(s, _)| *s)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    progress(format!(
        "ingest: workload confirmed in {workload_secs:.1} s (slots {first_slot}..={last_slot}, \
         {send_errors} send errors, {failed} failed, {unconfirmed} unconfirmed)"
    ));

    // The indexer, replaying from the first available slot into an empty database (the
    // schema created beforehand, so the clock measures ingest only).
    let mut db = Db::start("ingest")?;
    let url = db.url();
    tokio::task::block_in_place(|| Store::connect(&url))?;
    progress("ingest: indexer replaying into an empty database");
    let run = timed_ingest(&chain.localnet.grpc_url, &url, last_slot).await?;
    progress(format!(
        "ingest: indexer reached slot {last_slot} in {:.2} s",
        run.secs
    ));

    // The same rows, COPY'd into an empty database with the same schema.
    let (counts, copy_rows, copy_secs, bytes) = tokio::task::block_in_place(|| -> Result<_> {
        let mut source = PgConnection::establish(&url)?;
        let counts = row_counts(&mut source)?;
        diesel::sql_query("CREATE DATABASE copy_target").execute(&mut source)?;
        let target_url = db.url_of("copy_target");
        drop(Store::connect(&target_url)?);
        // accounts first: devices reference it.
        let mut order: Vec<&String> = counts.keys().filter(|t| *t != "ingest_cursor").collect();
        order.sort_by_key(|t| (*t != "accounts", (*t).clone()));
        let mut dumps = Vec::new();
        for table in order {
            if counts[table] == 0 {
                continue;
            }
            // diesel 2.3 leaves a connection busy after a `COPY TO` (it does not collect the
            // command's final result), so every dump gets a connection of its own.
            let data = copy_out(&mut PgConnection::establish(&url)?, table)?.ok_or_else(|| {
                format!(
                    "table {table} has rows but bench.rs does not know it; \
                     add it to copy_out/copy_in"
                )
            })?;
            dumps.push((table.clone(), data));
        }
        let bytes: usize = dumps.iter().map(|(_, d)| d.len()).sum();
        let mut target = PgConnection::establish(&target_url)?;
        let clock = Instant::now();
        let mut rows = 0;
        for (table, data) in &dumps {
            rows += copy_in(&mut target, table, data)?;
        }
        Ok((counts, rows, clock.elapsed().as_secs_f64(), bytes))
    })?;
    let ingest_rows = rows_written(&counts);
    if ingest_rows as usize != copy_rows {
        return Err(format!("COPY wrote {copy_rows} rows, the indexer {ingest_rows}").into());
    }

    // Diagnostics: the same replay into a database with `synchronous_commit = off` (no
    // WAL flush wait per commit; the code unchanged), and a bare gRPC subscriber.
    progress("ingest: the same replay into a database with synchronous_commit = off");
    let async_url = db.url_of("ingest_async");
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("CREATE DATABASE ingest_async").execute(&mut conn)?;
        diesel::sql_query("ALTER DATABASE ingest_async SET synchronous_commit = off")
            .execute(&mut conn)?;
        drop(Store::connect(&async_url)?);
        Ok(())
    })?;
    let async_run = timed_ingest(&chain.localnet.grpc_url, &async_url, last_slot).await?;
    let async_rows = tokio::task::block_in_place(|| -> Result<i64> {
        Ok(rows_written(&row_counts(&mut PgConnection::establish(
            &async_url,
        )?)?))
    })?;
    // And once more (settings as in the measured run) with `pg_stat_statements` loaded,
    // for the server-side time per statement.
    progress("ingest: the same replay with pg_stat_statements");
    let stats_url = db.url_of("ingest_stats");
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
            .execute(&mut conn)?;
        Ok(())
    })?;
    db.restart()?;
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("CREATE DATABASE ingest_stats").execute(&mut conn)?;
        drop(Store::connect(&stats_url)?);
        let mut conn = PgConnection::establish(&stats_url)?;
        diesel::sql_query("CREATE EXTENSION pg_stat_statements").execute(&mut conn)?;
        diesel::sql_query("SELECT pg_stat_statements_reset()").execute(&mut conn)?;
        Ok(())
    })?;
    let stats_run = timed_ingest(&chain.localnet.grpc_url, &stats_url, last_slot).await?;
    let statements = tokio::task::block_in_place(|| statement_stats(&stats_url))?;
    progress("ingest: a bare gRPC subscriber receiving the same replay (no database)");
    let (replay_secs, replay_updates) = replay_only(&chain.localnet.grpc_url, last_slot).await?;

    let ingest_rate = ingest_rows as f64 / run.secs;
    let copy_rate = copy_rows as f64 / copy_secs;
    let ratio = ingest_rate / copy_rate;
    let async_rate = async_rows as f64 / async_run.secs;
    let table_lines: Vec<String> = counts
        .iter()
        .filter(|(t, n)| *t != "ingest_cursor" && **n > 0)
        .map(|(t, n)| format!("`{t}` {n}"))
        .collect();
    let slots = last_slot - first_slot + 1;
    let commit_line = match run.commits {
        Some((sum, count)) => format!(
            "- Where the indexer's time goes: its writer thread (the `db_commit` histogram: \
             each database transaction storing a group of confirmed slots with the cursor, \
             and its finality mark) was busy **{sum:.2} s** of the {secs:.2} s ({busy:.0}%), in \
             {count} transactions ({avg:.2} ms each on average), while the reading task \
             received and decoded the stream alongside it; a bare gRPC subscriber with the \
             same filters and no database received the same replay ({replay_updates} \
             updates) in **{replay_secs:.2} s**. The chain produced {slots} slots while the \
             workload landed, {busy_slots} of them with workload transactions (about \
             {tx_per_slot:.1} transactions per slot).",
            secs = run.secs,
            busy = 100.0 * sum / run.secs,
            avg = sum * 1000.0 / count.max(1) as f64,
            tx_per_slot = confirmed.len() as f64 / slots as f64,
        ),
        None => "- (the `db_commit` histogram was not found in the metrics)".to_string(),
    };
    let verdict = if ratio >= 0.5 { "meets" } else { "misses" };
    let server_ms: f64 = statements.iter().map(|s| s.ms).sum();
    let server_calls: i64 = statements.iter().map(|s| s.calls).sum();
    let statement_rows: Vec<String> = statements
        .iter()
        .take(10)
        .map(|s| {
            format!(
                "| {} | {:.0} | {:.3} | {} | `{}` |",
                s.calls,
                s.ms,
                s.ms / s.calls.max(1) as f64,
                s.rows,
                s.query.replace('|', "\\|")
            )
        })
        .collect();
    let statements_section = format!(
        "- Server-side, per statement (`pg_stat_statements`, one more replay into a fresh \
         database, {stats_secs:.2} s): {server_calls} statements executing for \
         {server_ms:.0} ms in all; the top ten by total time:\n\n\
         | calls | total ms | mean ms | rows | statement |\n\
         |---:|---:|---:|---:|---|\n\
         {}\n",
        statement_rows.join("\n"),
        stats_secs = stats_run.secs,
    );
    Ok(format!(
        "## Ingest throughput vs `COPY`\n\n\
         Workload: {owners} owners × {per_owner} `register_device` transactions × {per_tx} \
         devices = {total_tx} transactions, {devices} devices, sent {in_flight} in flight \
         without preflight (each signed just before sending) with **no indexer running**; \
         sent in {send_secs:.1} s ({chain_rate:.1} tx/s: localnet executes one transaction \
         at a time and answers `sendTransaction` after it), confirmed in {workload_secs:.1} s (slots \
         {first_slot}..={last_slot}; {send_errors} send errors, {failed} failed, \
         {unconfirmed} unconfirmed). Then the indexer (`stream::run`, in-process) started \
         on an empty database (schema already migrated), replayed from the first available \
         slot and was timed until its cursor reached slot {last_slot}. The rows it wrote \
         ({table_lines}; `ingest_cursor` excluded) were dumped with `COPY … TO STDOUT` and \
         loaded with `COPY … FROM STDIN` (text format, through diesel, {mib:.1} MiB, one \
         `COPY` per table) into an empty database of the same cluster with the same schema \
         and indexes.\n\n\
         | | rows | seconds | rows/s |\n\
         |---|---:|---:|---:|\n\
         | indexer (replay → PostgreSQL) | {ingest_rows} | {ingest_secs:.2} | {ingest_rate:.0} |\n\
         | `COPY FROM STDIN` | {copy_rows} | {copy_secs:.2} | {copy_rate:.0} |\n\n\
         **ingest rate / COPY rate = {ratio:.3}** (target ≥ 0.5: {verdict} it).\n\n\
         {commit_line}\n\
         - The same replay into a database with `synchronous_commit = off` (a database \
         setting; the indexer unchanged; its cursor is committed with its rows, so a crash \
         could only lose the last commits and replay them): {async_rows} rows in \
         {async_secs:.2} s = {async_rate:.0} rows/s, ratio {async_ratio:.3} to COPY.\n\
         - Indexer reconnects during the runs: {reconnects}.\n\
         {statements_section}",
        owners = args.ingest_owners,
        per_owner = args.ingest_txs_per_owner,
        chain_rate = total_tx as f64 / send_secs,
        devices = total_tx as u64 * per_tx,
        in_flight = args.ingest_in_flight,
        table_lines = table_lines.join(", "),
        mib = bytes as f64 / (1024.0 * 1024.0),
        ingest_secs = run.secs,
        async_secs = async_run.secs,
        async_ratio = async_rate / copy_rate,
        reconnects = run.reconnects + async_run.reconnects + stats_run.reconnects,
    ))
}

// ----------------------------------------------------------------------------------------
// 2. Lag under a steady load.
