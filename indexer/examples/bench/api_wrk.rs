//! `api`: the API over generated devices and receipts, under `wrk`.

use std::time::Instant;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use gpunet_indexer::api::{self, ApiOptions};
use gpunet_indexer::store::Store;
use gpunet_sdk::{hex, registry};
use tokio::sync::watch;

use super::*;

/// Devices, their accounts, stakes, a few slashes, settlements, receipts and their totals,
/// all with `generate_series`. Addresses are sha256 of a label (32 bytes, as on chain).
pub(crate) fn generate(conn: &mut PgConnection, devices: i64, receipts: i64) -> Result<()> {
    let registry_id = hex(&registry::PROGRAM_ID.to_bytes());
    let statements = [
        format!(
            "INSERT INTO accounts (pubkey, owner, kind, slot, write_version, lamports, data)
             SELECT sha256(('device-' || i)::bytea), '\\x{registry_id}'::bytea, 'Device',
                    1000 + i, 0, 2500000, '\\x00'::bytea
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO devices (address, owner, device_id, agent, gpu_model, gpu_count,
                vram_mib, cpu_cores, ram_mib, bandwidth_down_mbps, bandwidth_up_mbps, country,
                region, supplier_group, security_tier, green, connectivity_tier,
                price_per_gpu_hour, status, registered_at, epochs_attested, uptime_minutes,
                reliability_bps, slot, write_version)
             SELECT sha256(('device-' || i)::bytea), sha256(('owner-' || (i % 100))::bytea), i,
                    sha256(('agent-' || i)::bytea), 100 + i % 5, 1 + i % 8, 81920, 64, 524288,
                    10000, 2000, (ARRAY['DE','US','FR','JP','SG'])[1 + i % 5], 3, 2, 1,
                    i % 2 = 0, 2, 1500000 + (i % 50) * 10000,
                    CASE WHEN i % 20 = 0 THEN 'paused' ELSE 'active' END,
                    1760000000 + i, i % 100, (i % 100) * 1400, 9000 + i % 1000, 1000 + i, 0
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO stakes (address, device, owner, active, cooling, unlock_at,
                pending_slashes, pending_slash_amount, slashes_proposed, slashed_total,
                rewards_claimed, pending_rewards, slot, write_version)
             SELECT sha256(('stake-' || i)::bytea), sha256(('device-' || i)::bytea),
                    sha256(('owner-' || (i % 100))::bytea), 1000000000000 * (1 + i % 8), 0, 0,
                    0, 0, CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN i % 20 = 0 THEN 5000000000 ELSE 0 END, i * 1000000, i % 3,
                    2000 + i, 0
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO slashes (address, stake, device, slash_id, amount, reason,
                missed_epochs, evidence, beneficiary, proposed_at, status, taken, slot,
                write_version)
             SELECT sha256(('slash-' || i)::bytea), sha256(('stake-' || i)::bytea),
                    sha256(('device-' || i)::bytea), 1, 5000000000, 'missed_epochs', 1,
                    sha256(('evidence-' || i)::bytea), NULL, 1760100000 + i, 'finalized',
                    5000000000, 3000 + i, 0
             FROM generate_series(20, {devices}, 20) i"
        ),
        // 20 settled hires' first settlement per device.
        format!(
            "INSERT INTO settlements (hire, from_epoch, to_epoch, lease, device, attested,
                missed, missed_mask, to_owner, to_treasury, to_renter, signature, slot)
             SELECT sha256(('hire-' || d || '-' || h)::bytea), 100 + h * 10, 109 + h * 10,
                    sha256(('lease-' || (d % 200))::bytea), sha256(('device-' || d)::bytea),
                    10, 0, 0, 2000000 * (1 + d % 8), 10000, 0,
                    encode(sha512(('settle-' || d || '-' || h)::bytea), 'hex'), 4000 + h
             FROM generate_series(1, {devices}) d, generate_series(0, 19) h"
        ),
        // Receipts spread evenly over the devices, seq per device, time increasing;
        // one in ten a lease job, the rest inferences of 20 models over 5,000 sessions.
        format!(
            "INSERT INTO receipts (device, seq, kind, reference, model, compute_units, amount,
                worker, royalty, fee, timestamp, result_hash, signature, slot, verified)
             SELECT sha256(('device-' || (1 + i % {devices}))::bytea), i / {devices},
                    CASE WHEN i % 10 = 0 THEN 'lease_job' ELSE 'inference' END,
                    CASE WHEN i % 10 = 0 THEN sha256(('hire-' || (1 + i % {devices}) || '-0')::bytea)
                         ELSE sha256(('session-' || (i % 5000))::bytea) END,
                    sha256(('model-' || (i % 20))::bytea), 1000 + i % 5000,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) * 93 / 100 END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) * 5 / 100 END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000)
                        - 3 * (1000 + i % 5000) * 93 / 100 - 3 * (1000 + i % 5000) * 5 / 100 END,
                    1760000000 + i / 10, sha256(('result-' || i)::bytea),
                    substr(encode(sha512(('sig-' || i)::bytea), 'hex'), 1, 88),
                    1000000 + i / 20, true
             FROM generate_series(0, {receipts} - 1) i"
        ),
        // Everything indexed and finalized (the receipts' finality is read from here).
        format!(
            "INSERT INTO ingest_cursor (id, slot, finalized_slot)
             VALUES (1, 1000000 + {receipts} / 20, 1000000 + {receipts} / 20)"
        ),
        "INSERT INTO receipt_totals (device, model, kind, receipts, compute_units, amount,
            worker, royalty, fee)
         SELECT device, model, kind, count(*), sum(compute_units), sum(amount), sum(worker),
                sum(royalty), sum(fee)
         FROM receipts GROUP BY device, model, kind"
            .to_string(),
        "INSERT INTO receipt_chains (device, count, head)
         SELECT device, count(*), sha256(device) FROM receipts GROUP BY device"
            .to_string(),
    ];
    for statement in &statements {
        diesel::sql_query(statement).execute(conn)?;
    }
    gpunet_indexer::store::totals::rebuild(conn)?;
    // Settle the bulk load (visibility map, statistics) so autovacuum does not run during
    // the measurement.
    diesel::sql_query("VACUUM (ANALYZE)").execute(conn)?;
    Ok(())
}

pub(crate) struct WrkResult {
    pub(crate) requests_per_second: f64,
    /// (percentile, ms)
    pub(crate) latency: Vec<(u32, f64)>,
    pub(crate) requests: u64,
    non_2xx: u64,
    pub(crate) socket_errors: String,
}

pub(crate) fn wrk_duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

pub(crate) fn parse_wrk(out: &str) -> Result<WrkResult> {
    let mut result = WrkResult {
        requests_per_second: f64::NAN,
        latency: Vec::new(),
        requests: 0,
        non_2xx: 0,
        socket_errors: "none".into(),
    };
    let mut in_distribution = false;
    for line in out.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            if let Some((p, v)) = t.split_once('%')
                && let (Ok(p), Some(ms)) = (p.trim().parse::<u32>(), wrk_duration_ms(v))
            {
                result.latency.push((p, ms));
                continue;
            }
            in_distribution = false;
        }
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            result.requests_per_second = v.trim().parse()?;
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            result.non_2xx = v.trim().parse()?;
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            result.socket_errors = v.trim().to_string();
        } else if t.contains(" requests in ") {
            result.requests = t.split_whitespace().next().unwrap_or("0").parse()?;
        }
    }
    if result.requests_per_second.is_nan() || result.latency.is_empty() {
        return Err(format!("cannot read wrk's output:\n{out}").into());
    }
    Ok(result)
}

/// Runs wrk against `base` with `paths` spread over the connections (a Lua script walks
/// the list from a random start per thread).
pub(crate) fn wrk(
    args: &Args,
    base: &str,
    paths: &[String],
    label: &str,
) -> Result<(WrkResult, String)> {
    let script_path =
        std::env::temp_dir().join(format!("gpunet-bench-{label}-{}.lua", std::process::id()));
    let mut script = String::from("local paths = {\n");
    for path in paths {
        script.push_str(&format!("  \"{path}\",\n"));
    }
    script.push_str(
        "}\n\
         local threads = 0\n\
         function setup(thread)\n  threads = threads + 1\n  thread:set(\"start\", threads * 7919)\nend\n\
         function init(args)\n  i = (start or 0) % #paths\nend\n\
         function request()\n  i = (i % #paths) + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
    );
    std::fs::write(&script_path, script)?;
    let command = [
        "wrk".to_string(),
        format!("-t{}", args.wrk_threads),
        format!("-c{}", args.wrk_connections),
        format!("-d{}s", args.wrk_seconds),
        "--latency".to_string(),
        "-s".to_string(),
        format!("{label}.lua"),
        base.to_string(),
    ];
    let output = std::process::Command::new("wrk")
        .args(&command[1..6])
        .arg(&script_path)
        .arg(base)
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let _ = std::fs::remove_file(&script_path);
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}{}",
            out,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    eprintln!("{out}");
    Ok((parse_wrk(&out)?, command.join(" ")))
}

pub(crate) async fn api_under_wrk(args: &Args) -> Result<String> {
    let (devices, receipts) = (args.api_devices, args.api_receipts);
    progress(format!(
        "api: generating {devices} devices and {receipts} receipts with SQL"
    ));
    let db = Db::start("api")?;
    let url = db.url();
    let pg_version = db.version();
    let (generate_secs, counts, addresses) = tokio::task::block_in_place(|| -> Result<_> {
        drop(Store::connect(&url)?);
        let mut conn = PgConnection::establish(&url)?;
        let clock = Instant::now();
        generate(&mut conn, devices, receipts)?;
        let secs = clock.elapsed().as_secs_f64();
        let counts = row_counts(&mut conn)?;
        let addresses: Vec<Vec<u8>> = gpunet_indexer::schema::devices::table
            .select(gpunet_indexer::schema::devices::address)
            .order(gpunet_indexer::schema::devices::address)
            .load(&mut conn)?;
        Ok((secs, counts, addresses))
    })?;
    let addresses: Vec<String> = addresses
        .iter()
        .map(|a| bs58::encode(a).into_string())
        .collect();
    progress(format!(
        "api: generated in {generate_secs:.1} s; starting the API"
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let pool = api::pool(&url, args.api_pool)?;
    let (api_stop, mut api_stopped) = watch::channel(false);
    let server = tokio::spawn(api::serve(
        listener,
        api::app(pool, ApiOptions::default()),
        async move {
            let _ = api_stopped.changed().await;
        },
    ));

    let endpoints = [
        (
            "device",
            "GET /v1/devices/{address}",
            addresses
                .iter()
                .map(|a| format!("/v1/devices/{a}"))
                .collect::<Vec<_>>(),
        ),
        (
            "receipts",
            "GET /v1/receipts?device={address}&limit=50",
            addresses
                .iter()
                .map(|a| format!("/v1/receipts?device={a}&limit=50"))
                .collect::<Vec<_>>(),
        ),
    ];
    // One request each first: the answers must be what a client expects.
    let http = reqwest::Client::new();
    let sample: serde_json::Value = http
        .get(format!("{base}{}", endpoints[0].2[0]))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if sample["earnings"]["work"]["inferences"]
        .as_i64()
        .unwrap_or(0)
        == 0
    {
        return Err(format!("unexpected device answer: {sample}").into());
    }
    let sample: serde_json::Value = http
        .get(format!("{base}{}", endpoints[1].2[0]))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let page = sample["receipts"].as_array().map_or(0, Vec::len);
    if page != 50 {
        return Err(format!("expected 50 receipts, got {page}").into());
    }

    let mut rows = Vec::new();
    let mut commands = Vec::new();
    for (label, name, paths) in &endpoints {
        progress(format!("api: wrk on {name}"));
        let (result, command) = tokio::task::block_in_place(|| wrk(args, &base, paths, label))?;
        let at = |p: u32| {
            result
                .latency
                .iter()
                .find(|(q, _)| *q == p)
                .map_or(f64::NAN, |(_, ms)| *ms)
        };
        let ok = result.requests_per_second >= 2000.0 && at(99) <= 50.0;
        rows.push(format!(
            "| `{name}` | {rps:.0} | {p50:.2} | {p90:.2} | {p99:.2} | {requests} | {non_2xx} | {socket} | {verdict} |",
            rps = result.requests_per_second,
            p50 = at(50),
            p90 = at(90),
            p99 = at(99),
            requests = result.requests,
            non_2xx = result.non_2xx,
            socket = result.socket_errors,
            verdict = if ok { "yes" } else { "**no**" },
        ));
        commands.push(format!("{command}   # {label}.lua: {} paths", paths.len()));
    }
    let _ = api_stop.send(true);
    let _ = server.await;
    let count = |t: &str| counts.get(t).copied().unwrap_or(0);
    Ok(format!(
        "## API under load (1,000,000 receipts)\n\n\
         A fresh private PostgreSQL {pg_version} (schema by the migrations), filled with SQL \
         (`generate_series`) in {generate_secs:.1} s: {d} devices (and their `accounts` \
         rows), {s} stakes, {sl} slashes, {se} settlements, **{r} receipts** (evenly over \
         the devices, {per} per device; 20 models, 1 in 10 a lease job), {rt} \
         `receipt_totals`, {rc} `receipt_chains` and {dt} `device_totals` rows (the \
         aggregates as the indexer keeps them); then `VACUUM (ANALYZE)`. The API \
         (`api::app`, release build, rate limit off, pool of {pool} connections, tokio \
         multi-threaded runtime with one worker per core) in-process on 127.0.0.1; `wrk` \
         on the same machine, its Lua script walking all {d} device addresses (each thread \
         from a random start) so requests are spread over every device:\n\n\
         ```\n{commands}\n```\n\n\
         | endpoint | req/s | p50 ms | p90 ms | p99 ms | requests | non-2xx | socket errors | ≥ 2,000 req/s and p99 ≤ 50 ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---|\n\
         {rows}\n",
        d = count("devices"),
        s = count("stakes"),
        sl = count("slashes"),
        se = count("settlements"),
        r = count("receipts"),
        per = count("receipts") / count("devices").max(1),
        rt = count("receipt_totals"),
        rc = count("receipt_chains"),
        dt = count("device_totals"),
        pool = args.api_pool,
        commands = commands.join("\n"),
        rows = rows.join("\n"),
    ))
}
