//! The tour of the main job, run against localnet while the indexer follows it:
//! - every proof-of-compute record lands in `receipts` exactly as the sdk rebuilds it from
//!   the chain (getSignaturesForAddress + getTransaction), with its transaction, verified;
//! - the whole scenario is visible through the explorer API with the chain's exact amounts,
//!   and an empty database rebuilt by backfill serves the same answers;
//! - the indexer process killed with SIGKILL in the middle of the tour and restarted ends
//!   with the chain's accounts and receipts, nothing missing or counted twice.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::tour::{self, assert_receipts_equal, receipts_on_chain, until_receipts};
use common::{Indexer, TempDir, fast_localnet, serve_api, until_equal};
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_indexer::store::Store;
use gpunet_localnet::free_port;
use gpunet_sdk::Pubkey;
use gpunet_sdk::escrow::{Hire, Lease};
use gpunet_sdk::proof::{Model, ReceiptKind, Record};
use gpunet_sdk::registry::{Device, DeviceStatus};
use gpunet_sdk::staking::{EpochRewards, Slash, SlashReason, StakeAccount};
use serde_json::Value;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::CommitmentConfig;
use solana_keypair::Keypair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receipt_of_the_tour_is_stored_as_the_sdk_rebuilds_it_and_verified() {
    let tour = tour::followed("receipts").await;
    let (rpc, url) = (&tour.rpc, &tour.url);
    let expected = receipts_on_chain(rpc).await;
    assert!(expected.iter().any(|r| r.kind == ReceiptKind::Inference));
    assert!(expected.iter().any(|r| r.kind == ReceiptKind::LeaseJob));
    let stored = until_receipts(url, expected.len()).await;
    assert_receipts_equal(&stored, &expected);
    // Inference amounts add up: what workers, model owners and the network got.
    let paid: i64 = stored.iter().map(|r| r.amount).sum();
    let parts: i64 = stored.iter().map(|r| r.worker + r.royalty + r.fee).sum();
    assert!(paid > 0);
    assert_eq!(paid, parts);
}

/// Every account of the programs, decoded by type.
#[derive(Default)]
struct Chain {
    devices: Vec<(Pubkey, Device)>,
    stakes: Vec<StakeAccount>,
    leases: Vec<(Pubkey, Lease)>,
    hires: Vec<(Pubkey, Hire)>,
    slashes: Vec<Slash>,
    epochs: Vec<EpochRewards>,
    models: Vec<(Pubkey, Model)>,
}

async fn chain(rpc: &RpcClient) -> Chain {
    use gpunet_sdk::GpunetAccount;
    let mut chain = Chain::default();
    for program in gpunet_sdk::PROGRAM_IDS {
        for (key, account) in rpc.get_program_accounts(&program).await.unwrap() {
            match GpunetAccount::decode(&account.owner, &account.data) {
                Some(GpunetAccount::Device(d)) => chain.devices.push((key, d)),
                Some(GpunetAccount::StakeAccount(s)) => chain.stakes.push(s),
                Some(GpunetAccount::Lease(l)) => chain.leases.push((key, l)),
                Some(GpunetAccount::Hire(h)) => chain.hires.push((key, h)),
                Some(GpunetAccount::Slash(s)) => chain.slashes.push(s),
                Some(GpunetAccount::EpochRewards(e)) => chain.epochs.push(e),
                Some(GpunetAccount::Model(m)) => chain.models.push((key, m)),
                _ => {}
            }
        }
    }
    chain
}

async fn get(base: &str, path: &str) -> Value {
    let response = reqwest::get(format!("{base}{path}")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("{v} is not an integer"))
}

/// Sums `f` over `items` as an i64.
fn sum<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> u64) -> i64 {
    items.into_iter().map(|t| f(t) as i64).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_is_visible_through_the_api_with_exact_amounts_and_backfill_rebuilds_it() {
    let tour = tour::followed("tour-api").await;
    let (rpc, url, dir, localnet) = (&tour.rpc, &tour.url, &tour.dir, &tour.localnet);
    let records = receipts_on_chain(rpc).await;
    until_equal(rpc, url).await;
    until_receipts(url, records.len()).await;
    let c = chain(rpc).await;
    assert!(!c.devices.is_empty() && !c.leases.is_empty() && !c.hires.is_empty());
    assert!(!c.slashes.is_empty() && !c.epochs.is_empty() && !c.models.is_empty());
    let base = serve_api(url, Default::default()).await;
    let inference = |r: &&Record| r.kind == ReceiptKind::Inference;

    // Network totals.
    let network = get(&base, "/v1/network").await;
    let t = &network["totals"];
    assert_eq!(int(&t["devices"]), c.devices.len() as i64);
    assert_eq!(int(&t["receipts"]), records.len() as i64);
    assert_eq!(int(&t["staked"]), sum(&c.stakes, |s| s.active));
    assert_eq!(int(&t["rewards_emitted"]), sum(&c.epochs, |e| e.emission));
    assert_eq!(int(&t["rewards_claimed"]), sum(&c.epochs, |e| e.claimed));
    assert_eq!(
        int(&t["rewards_claimed"]),
        sum(&c.stakes, |s| s.rewards_claimed)
    );
    assert_eq!(int(&t["slashes"]), c.slashes.len() as i64);
    assert_eq!(int(&t["slashed"]), sum(&c.slashes, |s| s.taken));
    assert_eq!(
        int(&t["paid_to_owners"]),
        sum(&c.leases, |(_, l)| l.totals.paid_to_owners)
    );
    assert_eq!(
        int(&t["inference_volume"]),
        sum(records.iter().filter(inference), |r| r.split.amount)
    );
    assert_eq!(int(&t["inference_fees"]), sum(&records, |r| r.split.fee));
    assert_eq!(int(&t["models"]), c.models.len() as i64);
    assert!(int(&t["rewards_claimed"]) > 0 && int(&t["paid_to_owners"]) > 0);

    // Every device: its stake, epochs ("why did I earn this") and earnings.
    for (address, device) in &c.devices {
        let d = get(&base, &format!("/v1/devices/{address}")).await;
        let stake = c.stakes.iter().find(|s| s.device == *address).unwrap();
        assert_eq!(
            int(&d["epochs_attested"]) as u64,
            device.uptime.epochs_attested
        );
        assert_eq!(int(&d["stake"]["active"]) as u64, stake.active);
        assert_eq!(
            int(&d["stake"]["rewards_claimed"]) as u64,
            stake.rewards_claimed
        );
        assert_eq!(
            int(&d["stake"]["slashed_total"]) as u64,
            stake.slashed_total
        );
        assert_eq!(
            int(&d["stake"]["pending_slash_amount"]) as u64,
            stake.pending_slash_amount
        );
        let slashes: Vec<&Slash> = c.slashes.iter().filter(|s| s.device == *address).collect();
        assert_eq!(d["slashes"].as_array().unwrap().len(), slashes.len());

        let e = get(&base, &format!("/v1/devices/{address}/epochs?limit=100")).await;
        let epochs = e["epochs"].as_array().unwrap();
        let attested = epochs.iter().filter(|e| e["attested"] == true).count();
        assert_eq!(attested as u64, device.uptime.epochs_attested);
        let claimed: i64 = epochs
            .iter()
            .filter_map(|e| e["reward_claimed"].as_i64())
            .sum();
        assert_eq!(claimed as u64, stake.rewards_claimed);
        for line in epochs.iter().filter(|e| !e["weight"].is_null()) {
            let epoch = c
                .epochs
                .iter()
                .find(|r| r.epoch as i64 == int(&line["epoch"]))
                .expect("the epoch's rewards account");
            let share = epoch.share(int(&line["weight"]) as u64);
            assert_eq!(int(&line["reward_share"]) as u64, share);
            if let Some(paid) = line["reward_claimed"].as_i64() {
                assert_eq!(paid as u64, share, "a claim pays the share exactly");
            }
        }
        let hires: Vec<&Hire> = c
            .hires
            .iter()
            .map(|(_, h)| h)
            .filter(|h| h.device == *address)
            .collect();
        let missed = epochs.iter().filter(|e| e["missed_hired"] == true).count();
        assert_eq!(missed as i64, sum(&hires, |h| h.epochs_missed));
        let slashed: i64 = epochs
            .iter()
            .filter_map(|e| e["slash_proposed"].as_i64())
            .sum();
        let missed_slashes = slashes
            .iter()
            .filter(|s| matches!(s.reason, SlashReason::MissedEpochs { .. }));
        assert_eq!(slashed, sum(missed_slashes, |s| s.amount));

        let earnings = &d["earnings"];
        assert_eq!(
            int(&earnings["payment"]["lease"]),
            sum(&hires, |h| h.paid_to_owner)
        );
        let worked = records
            .iter()
            .filter(inference)
            .filter(|r| r.device == *address);
        assert_eq!(
            int(&earnings["payment"]["inference"]),
            sum(worked, |r| r.split.worker)
        );
        assert_eq!(
            int(&earnings["stake_token"]["rewards_claimed"]) as u64,
            stake.rewards_claimed
        );
    }
    let missed_total: i64 = sum(&c.hires, |(_, h)| h.epochs_missed);
    assert!(missed_total > 0, "the tour misses a hired epoch");

    // Every lease with its hires and settlements.
    for (address, lease) in &c.leases {
        let l = get(&base, &format!("/v1/leases/{address}")).await;
        let totals = &lease.totals;
        assert_eq!(
            [
                &l["deposited"],
                &l["paid_to_owners"],
                &l["fees"],
                &l["refunded"]
            ]
            .map(int),
            [
                totals.deposited,
                totals.paid_to_owners,
                totals.fees,
                totals.refunded
            ]
            .map(|v| v as i64)
        );
        assert_eq!(l["job"], lease.job.as_str());
        assert!(!lease.job.is_empty(), "the tour's lease names its job");
        assert_eq!(int(&l["hires"]) as u32, lease.hires);
        assert_eq!(int(&l["active_hires"]) as u32, lease.active_hires);
        for (hire_address, hire) in c.hires.iter().filter(|(_, h)| h.lease == *address) {
            let listed = l["hire_list"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["address"] == hire_address.to_string())
                .expect("the hire is listed");
            assert_eq!(
                [
                    &listed["paid_to_owner"],
                    &listed["epochs_paid"],
                    &listed["epochs_missed"],
                    &listed["settled_through"],
                    &listed["refunded"]
                ]
                .map(int),
                [
                    hire.paid_to_owner,
                    hire.epochs_paid,
                    hire.epochs_missed,
                    hire.settled_through,
                    hire.refunded
                ]
                .map(|v| v as i64)
            );
            let settled: i64 = l["settlements"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["hire"] == hire_address.to_string())
                .map(|s| int(&s["to_owner"]))
                .sum();
            assert_eq!(settled as u64, hire.paid_to_owner);
        }
    }

    // A supplier's earnings across devices.
    let mut owners: Vec<Pubkey> = c.devices.iter().map(|(_, d)| d.owner).collect();
    owners.dedup();
    for owner in owners {
        let e = get(&base, &format!("/v1/suppliers/{owner}/earnings")).await;
        let theirs: Vec<Pubkey> = c
            .devices
            .iter()
            .filter(|(_, d)| d.owner == owner)
            .map(|(a, _)| *a)
            .collect();
        assert_eq!(e["devices"].as_array().unwrap().len(), theirs.len());
        let totals = &e["totals"];
        assert_eq!(
            int(&totals["payment"]["lease"]),
            sum(
                c.hires.iter().filter(|(_, h)| h.owner == owner),
                |(_, h)| h.paid_to_owner
            )
        );
        let worked = records
            .iter()
            .filter(inference)
            .filter(|r| theirs.contains(&r.device));
        assert_eq!(
            int(&totals["payment"]["inference"]),
            sum(worked, |r| r.split.worker)
        );
        assert_eq!(
            int(&totals["stake_token"]["rewards_claimed"]),
            sum(c.stakes.iter().filter(|s| s.owner == owner), |s| s
                .rewards_claimed)
        );
    }

    // Models with what they served.
    for (address, model) in &c.models {
        let m = get(&base, &format!("/v1/models/{address}")).await;
        let served: Vec<&Record> = records
            .iter()
            .filter(inference)
            .filter(|r| r.model == *address)
            .collect();
        assert_eq!(int(&m["inferences"]), served.len() as i64);
        assert_eq!(int(&m["volume"]), sum(&served, |r| r.split.amount));
        assert_eq!(int(&m["royalties"]), sum(&served, |r| r.split.royalty));
        assert_eq!(int(&m["price_per_unit"]) as u64, model.price_per_unit);
    }

    // Epochs as the staking program has them.
    let epochs = get(&base, "/v1/epochs?limit=100").await;
    let listed = epochs["epochs"].as_array().unwrap();
    assert_eq!(listed.len(), c.epochs.len());
    for e in &c.epochs {
        let line = listed
            .iter()
            .find(|l| int(&l["epoch"]) as u64 == e.epoch)
            .unwrap();
        assert_eq!(
            [&line["emission"], &line["total_weight"], &line["claimed"]].map(int),
            [e.emission, e.total_weight, e.claimed].map(|v| v as i64)
        );
    }

    // Live supply by country: active devices, those not hired, GPU-weighted average price.
    let supply = get(&base, "/v1/supply?by=country").await;
    let hired: Vec<Pubkey> = c
        .hires
        .iter()
        .filter(|(_, h)| !h.released)
        .map(|(_, h)| h.device)
        .collect();
    let mut by_country: BTreeMap<String, Vec<(Pubkey, &Device)>> = BTreeMap::new();
    for (a, d) in c
        .devices
        .iter()
        .filter(|(_, d)| d.status == DeviceStatus::Active)
    {
        let country = String::from_utf8_lossy(&d.specs.country).into_owned();
        by_country.entry(country).or_default().push((*a, d));
    }
    let groups = supply["groups"].as_array().unwrap();
    assert_eq!(groups.len(), by_country.len());
    for (group, (country, devices)) in groups.iter().zip(&by_country) {
        assert_eq!(group["key"], country.as_str());
        assert_eq!(int(&group["devices"]), devices.len() as i64);
        let gpus = sum(devices, |(_, d)| d.specs.gpu_count.into());
        assert_eq!(int(&group["gpus"]), gpus);
        let weighted = sum(devices, |(_, d)| {
            d.price_per_gpu_hour * u64::from(d.specs.gpu_count)
        });
        assert_eq!(int(&group["avg_price_per_gpu_hour"]), weighted / gpus);
        let min = devices.iter().map(|(_, d)| d.price_per_gpu_hour).min();
        assert_eq!(int(&group["min_price_per_gpu_hour"]) as u64, min.unwrap());
        let available = devices.iter().filter(|(a, _)| !hired.contains(a)).count();
        assert_eq!(int(&group["available_devices"]), available as i64);
    }

    // Receipts are final once the finality watermark reaches their slot (31 slots after
    // confirmation on localnet), and not before.
    let newest = get(&base, "/v1/receipts?limit=100").await["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| int(&r["slot"]))
        .max()
        .expect("receipts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while get(&base, "/v1/network").await["finalized_slot"]
        .as_i64()
        .is_none_or(|f| f < newest)
    {
        assert!(tokio::time::Instant::now() < deadline, "never finalized");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let finality = |body: Value| -> Vec<bool> {
        body["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["finalized"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(
        finality(get(&base, "/v1/receipts?limit=100").await),
        vec![true; records.len()]
    );

    // An empty database rebuilt by backfill (state and history) answers the same.
    let pg2 = PrivatePostgres::start(&dir.0.join("pg2"), free_port()).expect("PostgreSQL");
    let mut store = tokio::task::block_in_place(|| Store::connect(&pg2.url())).unwrap();
    gpunet_indexer::source::backfill::accounts(&localnet.rpc_url, &mut store)
        .await
        .expect("state backfilled");
    let history =
        gpunet_indexer::source::backfill::history(&localnet.rpc_url, &mut store, |_, _| {})
            .await
            .expect("history backfilled");
    assert_eq!(history.receipts, records.len());
    let rebuilt = serve_api(&pg2.url(), Default::default()).await;
    // Except for finality: RPC history says nothing of it, so until an indexer has run
    // nothing backfilled is marked final.
    assert!(get(&rebuilt, "/v1/network").await["finalized_slot"].is_null());
    assert_eq!(
        finality(get(&rebuilt, "/v1/receipts?limit=100").await),
        vec![false; records.len()]
    );
    let mut paths = vec![
        "/v1/network".to_string(),
        "/v1/devices?limit=100".into(),
        "/v1/leases?open=true&limit=100".into(),
        "/v1/hires?limit=100".into(),
        "/v1/models?limit=100".into(),
        "/v1/sessions?limit=100".into(),
        "/v1/epochs?limit=100".into(),
        "/v1/receipts?limit=100".into(),
    ];
    for by in gpunet_indexer::api::SUPPLY_GROUPS {
        paths.push(format!("/v1/supply?by={by}"));
    }
    for (address, device) in &c.devices {
        paths.push(format!("/v1/devices/{address}"));
        paths.push(format!("/v1/devices/{address}/epochs?limit=100"));
        paths.push(format!("/v1/suppliers/{}/earnings", device.owner));
        paths.push(format!("/v1/receipts?device={address}&limit=100"));
    }
    for (address, _) in &c.leases {
        paths.push(format!("/v1/leases/{address}"));
    }
    for (address, _) in &c.models {
        paths.push(format!("/v1/models/{address}"));
    }
    for path in paths {
        let followed = comparable(get(&base, &path).await);
        let backfilled = comparable(get(&rebuilt, &path).await);
        assert_eq!(followed, backfilled, "GET {path}");
    }
}

/// An answer without what legitimately differs between a followed and a backfilled
/// database: the slots rows were written at, finality (checked apart), and accounts closed before the backfill's
/// snapshot (the followed one keeps them marked closed; the chain no longer has them).
fn comparable(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| {
                    !["slot", "indexed_slot", "finalized_slot", "finalized"].contains(&k.as_str())
                })
                .map(|(k, v)| (k, comparable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|item| item.get("closed_slot").is_none_or(Value::is_null))
                .map(comparable)
                .collect(),
        ),
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_during_the_tour_and_a_restart_leave_accounts_and_receipts_equal_to_the_chain() {
    let dir = TempDir::new("tour-kill");
    let pg = PrivatePostgres::start(&dir.0.join("pg"), free_port()).expect("PostgreSQL");
    let url = pg.url();
    let authority = Keypair::new();
    let localnet = fast_localnet(&authority);
    let indexer = Indexer::start(&localnet.grpc_url, &url);

    // The tour runs; as soon as the first receipts are stored, the indexer is killed.
    let kill = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let stored = tokio::task::block_in_place(|| {
                Store::connect(&url)
                    .ok()
                    .and_then(|mut s| s.receipts().ok())
            });
            if stored.is_some_and(|r| !r.is_empty()) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no receipt stored");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(indexer); // SIGKILL
    };
    tokio::join!(tour::run(&localnet, authority, &dir.0), kill);

    let rpc =
        RpcClient::new_with_commitment(localnet.rpc_url.clone(), CommitmentConfig::confirmed());
    let records = receipts_on_chain(&rpc).await;
    let before = tokio::task::block_in_place(|| Store::connect(&url).unwrap().receipts()).unwrap();
    assert!(
        before.len() < records.len(),
        "the kill came before the last receipts ({} of {})",
        before.len(),
        records.len()
    );

    let _restarted = Indexer::start(&localnet.grpc_url, &url);
    until_equal(&rpc, &url).await;
    let stored = until_receipts(&url, records.len()).await;
    assert_receipts_equal(&stored, &records);
    // The aggregates counted every receipt once, across the kill and the replay.
    let base = serve_api(&url, Default::default()).await;
    let totals = get(&base, "/v1/network").await["totals"].clone();
    assert_eq!(int(&totals["receipts"]), records.len() as i64);
    assert_eq!(
        int(&totals["compute_units"]),
        sum(&records, |r| r.compute_units.into())
    );
    // And so did every device's totals (its earnings and work).
    let devices: std::collections::BTreeSet<Pubkey> = records.iter().map(|r| r.device).collect();
    for device in devices {
        let of = |r: &&Record| r.device == device;
        let mine: Vec<&Record> = records.iter().filter(of).collect();
        let count = |kind: ReceiptKind| mine.iter().filter(|r| r.kind == kind).count() as i64;
        let earnings = get(&base, &format!("/v1/devices/{device}")).await["earnings"].clone();
        assert_eq!(
            (
                int(&earnings["work"]["inferences"]),
                int(&earnings["work"]["job_receipts"]),
                int(&earnings["work"]["compute_units"]),
                int(&earnings["payment"]["inference"]),
            ),
            (
                count(ReceiptKind::Inference),
                count(ReceiptKind::LeaseJob),
                mine.iter().map(|r| i64::from(r.compute_units)).sum(),
                mine.iter().map(|r| r.split.worker as i64).sum(),
            ),
            "{device}"
        );
    }
}
