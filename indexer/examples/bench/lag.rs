//! `lag`: from a transaction's confirmation to the API serving what it did.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gpunet_indexer::api::{self, ApiOptions};
use gpunet_indexer::metrics::Metrics;
use gpunet_indexer::source::stream::{self, IngestConfig};
use gpunet_indexer::store::Store;
use gpunet_sdk::{Pubkey, registry};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio::sync::watch;

use super::*;

pub(crate) struct Sent {
    pub(crate) signature: Signature,
    pub(crate) device: Pubkey,
    pub(crate) sent: Instant,
    pub(crate) send_error: Option<String>,
    /// When `getSignatureStatuses` first reported it confirmed, its slot and error.
    pub(crate) confirmed: Option<(Instant, u64, Option<String>)>,
    pub(crate) served: Option<Instant>,
}

pub(crate) async fn lag(args: &Args) -> Result<String> {
    progress("lag: starting localnet, PostgreSQL, the indexer and the API");
    let chain = chain(2_000, args.lag_owners).await?;
    let db = Db::start("lag")?;
    let url = db.url();
    tokio::task::block_in_place(|| Store::connect(&url))?;
    let metrics = Arc::new(Metrics::default());
    let (stop, stopped) = watch::channel(false);
    let indexer = tokio::spawn(stream::run(
        IngestConfig {
            endpoint: chain.localnet.grpc_url.clone(),
            x_token: None,
            database_url: url.clone(),
            metrics: metrics.clone(),
        },
        stopped,
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
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;
    // Wait until the indexer follows the chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    while metrics.indexed_slot.load(Relaxed) == 0 {
        if Instant::now() > deadline {
            return Err("the indexer did not start following localnet".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let rate = args.lag_rate;
    let total = (rate * args.lag_seconds) as usize;
    let records: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let blockhash = Arc::new(Mutex::new(chain.rpc.get_latest_blockhash().await?));
    let (done_tx, done_rx) = watch::channel(false);

    // The blockhash, refreshed every 500 ms (a blockhash is valid for 150 slots = 15 s).
    let refresher = {
        let (rpc, blockhash, done) = (chain.rpc.clone(), blockhash.clone(), done_rx.clone());
        tokio::spawn(async move {
            while !*done.borrow() {
                if let Ok(hash) = rpc.get_latest_blockhash().await {
                    *blockhash.lock().unwrap() = hash;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    // Confirmations: the outstanding signatures' statuses, every 10 ms.
    let confirmer = {
        let (rpc, records, done) = (chain.rpc.clone(), records.clone(), done_rx.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if *done.borrow() {
                    return;
                }
                let open: Vec<(usize, Signature)> = {
                    let records = records.lock().unwrap();
                    records
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.confirmed.is_none() && r.send_error.is_none())
                        .map(|(i, r)| (i, r.signature))
                        .collect()
                };
                if open.is_empty() {
                    continue;
                }
                let signatures: Vec<Signature> = open.iter().map(|(_, s)| *s).collect();
                let Ok(outcomes) = statuses(&rpc, &signatures, false).await else {
                    continue;
                };
                let now = Instant::now();
                let mut records = records.lock().unwrap();
                for ((i, _), outcome) in open.iter().zip(outcomes) {
                    if let Some((slot, err)) = outcome {
                        records[*i].confirmed = Some((now, slot, err));
                    }
                }
            }
        })
    };

    // Served: per slot (the indexer commits a slot's rows in one transaction, slots in
    // order), the oldest slot with confirmed and unserved devices is asked for one of its
    // devices every 5 ms; when it is served, the whole slot is, and the next slot is asked
    // at once.
    let watcher = {
        let (http, base, records, done) =
            (http.clone(), base.clone(), records.clone(), done_rx.clone());
        tokio::spawn(async move {
            let mut requests = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                loop {
                    // The oldest slot with a confirmed, successful, unserved device.
                    let probe = {
                        let records = records.lock().unwrap();
                        records
                            .iter()
                            .filter(|r| r.served.is_none())
                            .filter_map(|r| match &r.confirmed {
                                Some((_, slot, None)) => Some((*slot, r.device)),
                                _ => None,
                            })
                            .min_by_key(|(slot, _)| *slot)
                    };
                    let Some((slot, device)) = probe else { break };
                    requests += 1;
                    let served = http
                        .get(format!("{base}/v1/devices/{device}"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if !served {
                        break;
                    }
                    let now = Instant::now();
                    let mut records = records.lock().unwrap();
                    for r in records.iter_mut() {
                        if r.served.is_none()
                            && matches!(&r.confirmed, Some((_, s, None)) if *s == slot)
                        {
                            r.served = Some(now);
                        }
                    }
                }
                if *done.borrow() {
                    let records = records.lock().unwrap();
                    let waiting = records
                        .iter()
                        .any(|r| r.served.is_none() && matches!(r.confirmed, Some((_, _, None))));
                    if !waiting {
                        return requests;
                    }
                }
            }
        })
    };

    progress(format!(
        "lag: sending {rate} tx/s for {} s ({total} transactions)",
        args.lag_seconds
    ));
    // The load: one `register_device` every 1/rate s, signed on the fly, sent without
    // waiting (each in its own task).
    let load_started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut senders = Vec::with_capacity(total);
    // localnet answers `sendTransaction` once it has executed the transaction, so a chain
    // slower than the load leaves requests open; at most this many (then the schedule
    // slips, which shows as an achieved send rate below the offered one).
    let in_flight = Arc::new(tokio::sync::Semaphore::new(LAG_MAX_IN_FLIGHT));
    let mut late = 0usize;
    for i in 0..total {
        let due = load_started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = in_flight.clone().acquire_owned().await?;
        if Instant::now() > due + Duration::from_millis(50) {
            late += 1;
        }
        let owner = chain.owners[i % chain.owners.len()].clone();
        let device_id = 1 + (i / chain.owners.len()) as u64;
        let ix = register(&owner.pubkey(), chain.agent, device_id);
        let hash = *blockhash.lock().unwrap();
        let tx = Transaction::new_signed_with_payer(
            &[ix],
            Some(&owner.pubkey()),
            &[owner.as_ref()],
            hash,
        );
        let index = {
            let mut records = records.lock().unwrap();
            records.push(Sent {
                signature: tx.signatures[0],
                device: registry::device_address(&owner.pubkey(), device_id),
                sent: Instant::now(),
                send_error: None,
                confirmed: None,
                served: None,
            });
            records.len() - 1
        };
        let (rpc, records) = (chain.rpc.clone(), records.clone());
        senders.push(tokio::spawn(async move {
            if let Err(e) = rpc.send_transaction_with_config(&tx, no_preflight()).await {
                records.lock().unwrap()[index].send_error = Some(e.to_string());
            }
            drop(permit);
        }));
    }
    let send_secs = load_started.elapsed().as_secs_f64();
    for sender in senders {
        let _ = sender.await;
    }
    progress("lag: load sent; waiting for the last confirmations and the API");
    // Up to 20 s (more than a blockhash's life) for the last confirmations.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let open = records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.confirmed.is_none() && r.send_error.is_none())
            .count();
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = done_tx.send(true);
    let _ = confirmer.await;
    let _ = refresher.await;
    let mut watcher = watcher;
    let probes = match tokio::time::timeout(Duration::from_secs(60), &mut watcher).await {
        Ok(probes) => probes?,
        Err(_) => {
            progress("lag: the API did not serve every confirmed device within 60 s");
            watcher.abort();
            0
        }
    };
    let totals: serde_json::Value = http
        .get(format!("{base}/v1/network"))
        .send()
        .await?
        .json()
        .await?;
    let _ = stop.send(true);
    let _ = indexer.await;
    let _ = api_stop.send(true);
    let _ = server.await;

    let records = records.lock().unwrap();
    let send_errors = records.iter().filter(|r| r.send_error.is_some()).count();
    let mut error_kinds: BTreeMap<String, usize> = BTreeMap::new();
    for r in records.iter() {
        let error = r
            .send_error
            .clone()
            .or_else(|| r.confirmed.as_ref().and_then(|c| c.2.clone()));
        if let Some(e) = error {
            let short: String = e.chars().take(120).collect();
            *error_kinds.entry(short).or_default() += 1;
        }
    }
    let errors_line = if error_kinds.is_empty() {
        String::new()
    } else {
        format!(
            " Errors: {}.",
            error_kinds
                .iter()
                .map(|(e, n)| format!("{n} × `{e}`"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let send_rate = total as f64 / send_secs;
    let failed = records
        .iter()
        .filter(|r| matches!(r.confirmed, Some((_, _, Some(_)))))
        .count();
    let unconfirmed = records
        .iter()
        .filter(|r| r.confirmed.is_none() && r.send_error.is_none())
        .count();
    let ok: Vec<&Sent> = records
        .iter()
        .filter(|r| matches!(r.confirmed, Some((_, _, None))))
        .collect();
    let served_devices = totals["totals"]["devices"].as_i64().unwrap_or(-1);
    let mut lags: Vec<f64> = ok
        .iter()
        .filter_map(|r| {
            let (confirmed, _, _) = r.confirmed.as_ref()?;
            let served = r.served?;
            Some(if served >= *confirmed {
                (served - *confirmed).as_secs_f64() * 1000.0
            } else {
                -((*confirmed - served).as_secs_f64() * 1000.0)
            })
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let mut confirm: Vec<f64> = ok
        .iter()
        .map(|r| (r.confirmed.as_ref().unwrap().0 - r.sent).as_secs_f64() * 1000.0)
        .collect();
    confirm.sort_by(f64::total_cmp);
    let mut end_to_end: Vec<f64> = ok
        .iter()
        .filter_map(|r| Some((r.served? - r.sent).as_secs_f64() * 1000.0))
        .collect();
    end_to_end.sort_by(f64::total_cmp);
    let first_confirmed = ok.iter().map(|r| r.confirmed.as_ref().unwrap().0).min();
    let last_confirmed = ok.iter().map(|r| r.confirmed.as_ref().unwrap().0).max();
    let achieved = match (first_confirmed, last_confirmed) {
        (Some(a), Some(b)) if b > a => (ok.len() - 1) as f64 / (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    let slots: std::collections::BTreeSet<u64> =
        ok.iter().map(|r| r.confirmed.as_ref().unwrap().1).collect();
    let negative = lags.iter().filter(|l| **l < 0.0).count();
    let p = |v: &[f64], q: f64| percentile(v, q);
    let chain_bound = if achieved < 0.9 * rate as f64 {
        format!(
            "**localnet executed only {achieved:.1} of the {rate} transactions per second \
             offered: the load was limited by the chain, not by the indexer, and the lag \
             below is measured at that rate, not at {rate} tx/s.**\n\n"
        )
    } else {
        String::new()
    };
    let verdict = if p(&lags, 99.0) <= 500.0 {
        "meets"
    } else {
        "misses"
    };
    let max = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    Ok(format!(
        "## Indexing lag (offered load {rate} tx/s)\n\n\
         {chain_bound}\
         localnet ({SLOT_MS} ms slots), the indexer (`stream::run`) and the API \
         (`api::app`, pool {pool}, rate limit off) in one process. The load: one \
         `register_device` transaction (one device) every {interval_ms:.1} ms for {secs} s \
         from {owners} owners, signed on the fly at a blockhash refreshed every 500 ms and \
         sent without preflight and without waiting for the answer, at most \
         {LAG_MAX_IN_FLIGHT} requests open (sending took {send_secs:.1} s: {send_rate:.1} tx/s \
         achieved; {late} transactions left more than 50 ms behind schedule). \
         t_confirmed: the first `getSignatureStatuses` poll (all outstanding signatures every \
         10 ms) reporting it at `confirmed`; t_served: the first `GET /v1/devices/{{address}}` \
         answering 200, polled every 5 ms for one device of the oldest slot not yet served \
         (a slot's rows are committed in one transaction, so that device stands for its \
         slot; the next slot is asked at once; {probes} probes in all). Lag = t_served − \
         t_confirmed, so it includes up to ~10 ms of status polling granularity on the \
         confirmed side and ~5 ms on the served side.\n\n\
         | transactions | sent with errors | failed on chain | unconfirmed | confirmed OK | \
         achieved tx/s (confirmed) | slots |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n\
         | {total} | {send_errors} | {failed} | {unconfirmed} | {n_ok} | {achieved:.1} | {n_slots} |\n\n\
         | ms | p50 | p90 | p99 | max |\n\
         |---|---:|---:|---:|---:|\n\
         | **lag (confirmed → served)** | **{l50:.0}** | **{l90:.0}** | **{l99:.0}** | **{lmax:.0}** |\n\
         | sent → confirmed | {c50:.0} | {c90:.0} | {c99:.0} | {cmax:.0} |\n\
         | sent → served | {e50:.0} | {e90:.0} | {e99:.0} | {emax:.0} |\n\n\
         p99 lag target ≤ 500 ms: {verdict} it. {n_lags} of {n_ok} confirmed devices were \
         seen served ({negative} served before their confirmation was seen, counted as \
         negative lag); the API's `/v1/network` counted {served_devices} devices at the \
         end.{errors_line}\n",
        pool = args.api_pool,
        interval_ms = interval.as_secs_f64() * 1000.0,
        secs = args.lag_seconds,
        owners = args.lag_owners,
        n_ok = ok.len(),
        n_slots = slots.len(),
        n_lags = lags.len(),
        l50 = p(&lags, 50.0),
        l90 = p(&lags, 90.0),
        l99 = p(&lags, 99.0),
        lmax = max(&lags),
        c50 = p(&confirm, 50.0),
        c90 = p(&confirm, 90.0),
        c99 = p(&confirm, 99.0),
        cmax = max(&confirm),
        e50 = p(&end_to_end, 50.0),
        e90 = p(&end_to_end, 90.0),
        e99 = p(&end_to_end, 99.0),
        emax = max(&end_to_end),
    ))
}

// ----------------------------------------------------------------------------------------
// 3. The API over a million receipts, under wrk.
