//! The explorer API over what the indexer stored from localnet: filters, sorting, pages,
//! one device, receipts, 4xx JSON errors on bad input, and the OpenAPI document's paths.

mod common;

use std::time::Duration;

use common::{TempDir, net, serve_api, specs, start_indexer, until_in_sync};
use gpunet_indexer::api::{ApiOptions, RateLimit};
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_localnet::free_port;
use gpunet_sdk::registry;
use serde_json::Value;
use solana_keypair::Keypair;
use solana_signer::Signer;

async fn get(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}{path}"))
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_api_serves_devices_and_receipts_and_refuses_bad_input_with_json() {
    let dir = TempDir::new("api");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let (_stop, _indexer) = start_indexer(&net, &url);
    let base = serve_api(&url, Default::default()).await;

    let owner = &net.owner;
    let agent = Keypair::new().pubkey();
    let listed = [
        (1, 8, b"DE", 3_000_000),
        (2, 2, b"US", 1_000_000),
        (3, 4, b"US", 2_000_000),
    ];
    for (device_id, gpus, country, price) in listed {
        let args = registry::RegisterDeviceArgs {
            device_id,
            agent,
            specs: specs(gpus, country),
            price_per_gpu_hour: price,
        };
        owner
            .send(&[registry::register_device(owner.pubkey(), args)], &[])
            .await
            .unwrap();
    }
    let paused = registry::device_address(&owner.pubkey(), 2);
    let pause = registry::set_device_status(owner.pubkey(), paused, registry::DeviceStatus::Paused);
    owner.send(&[pause], &[]).await.unwrap();
    until_in_sync(&net, &url, 0).await;
    // The chain and the database agree; the API serves what the database holds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while get(&base, "/v1/devices").await.1["devices"]
        .as_array()
        .unwrap()
        .len()
        < 3
    {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let prices = |body: &Value| -> Vec<i64> {
        body["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["price_per_gpu_hour"].as_i64().unwrap())
            .collect()
    };
    let (status, body) = get(&base, "/v1/devices?sort=-price").await;
    assert_eq!(
        (status, prices(&body)),
        (200, vec![3_000_000, 2_000_000, 1_000_000])
    );
    let (_, body) = get(&base, "/v1/devices?sort=price&limit=2").await;
    assert_eq!(prices(&body), vec![1_000_000, 2_000_000]);
    let (_, body) = get(&base, "/v1/devices?sort=price&limit=2&offset=2").await;
    assert_eq!(prices(&body), vec![3_000_000]);
    let (_, body) = get(&base, "/v1/devices?status=paused").await;
    assert_eq!(body["devices"][0]["address"], paused.to_string());
    assert_eq!(body["devices"].as_array().unwrap().len(), 1);
    let (_, body) = get(&base, "/v1/devices?country=us&status=active").await;
    assert_eq!(prices(&body), vec![2_000_000]);
    let (_, body) = get(
        &base,
        &format!("/v1/devices?owner={}", Keypair::new().pubkey()),
    )
    .await;
    assert_eq!(body["devices"].as_array().unwrap().len(), 0);

    let first = registry::device_address(&owner.pubkey(), 1);
    let (status, body) = get(&base, &format!("/v1/devices/{first}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["specs"]["gpu_count"], 8);
    assert_eq!(body["specs"]["country"], "DE");
    assert_eq!(body["owner"], owner.pubkey().to_string());
    assert_eq!(body["status"], "active");
    let (status, body) = get(&base, &format!("/v1/receipts?device={first}")).await;
    assert_eq!(
        (status, body["receipts"].as_array().unwrap().len()),
        (200, 0)
    );

    // Bad input: a 4xx with a JSON error that says what is wrong.
    let stranger = Keypair::new().pubkey();
    for (path, status, says) in [
        (format!("/v1/devices/{stranger}"), 404, "no device"),
        (
            "/v1/devices/not-an-address".to_string(),
            400,
            "not a base58 address",
        ),
        (
            "/v1/devices?limit=101".to_string(),
            400,
            "limit must be between 1 and 100",
        ),
        ("/v1/devices?limit=0".to_string(), 400, "limit"),
        ("/v1/devices?offset=-1".to_string(), 400, "offset"),
        ("/v1/devices?limit=abc".to_string(), 400, "not an integer"),
        ("/v1/devices?sort=name".to_string(), 400, "sort"),
        ("/v1/devices?status=gone".to_string(), 400, "status"),
        (
            "/v1/devices?colour=red".to_string(),
            400,
            "unknown parameter",
        ),
        (
            "/v1/receipts?model=xyz".to_string(),
            400,
            "not a base58 address",
        ),
        (
            "/v1/receipts?from=yesterday".to_string(),
            400,
            "not an integer",
        ),
        ("/v2/devices".to_string(), 404, "no such endpoint"),
    ] {
        let (got, body) = get(&base, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(says),
            "{path}: {error:?} should say {says:?}"
        );
    }

    // Every path the OpenAPI document lists answers 200.
    let (status, doc) = get(&base, "/v1/openapi.json").await;
    assert_eq!((status, doc["openapi"].as_str()), (200, Some("3.0.3")));
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 15);
    for path in paths.keys() {
        let concrete = path
            .replace("{address}", &first.to_string())
            .replace("{owner}", &owner.pubkey().to_string());
        let (status, body) = get(&base, &concrete).await;
        // A device's address names no lease or model.
        let expected = if path.starts_with("/v1/leases/") || path.starts_with("/v1/models/") {
            404
        } else {
            200
        };
        assert_eq!(status, expected, "{concrete}: {body}");
    }

    // Malformed encodings and other methods get JSON errors too.
    let (status, body) = get(&base, "/v1/devices?limit=%zz%").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not an integer"));
    let (status, body) = get(&base, "/v1/devices/%FF%FE").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("malformed path"));
    let posted = reqwest::Client::new()
        .post(format!("{base}/v1/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 405);
    let body: Value = posted.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("read-only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_the_rate_limit_gets_429_json_and_metrics_count_requests_lag_and_commits() {
    let dir = TempDir::new("limit");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let metrics = std::sync::Arc::new(gpunet_indexer::metrics::Metrics::default());
    let (_stop, _indexer) = common::follow_with(&net.localnet, &url, metrics.clone());
    common::register_models(&net.owner, 1..=2).await;
    until_in_sync(&net, &url, 2).await;
    let options = ApiOptions {
        rate_limit: Some(RateLimit {
            per_second: 0.5,
            burst: 5.0,
        }),
        metrics,
    };
    let base = serve_api(&url, options).await;

    for _ in 0..5 {
        assert_eq!(get(&base, "/v1/models").await.0, 200);
    }
    let refused = reqwest::get(format!("{base}/v1/models")).await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let retry_after = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_string();
    // One token every 2 s, and the bucket is empty: a retry is worth it in 2 s, not sooner
    // (Retry-After rounds up).
    assert_eq!(retry_after, "2");
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("rate limit"));
    // After the time the server named, one more request is allowed, and the next one,
    // sent at once, is refused again (the one after would need another 2 s).
    tokio::time::sleep(Duration::from_secs(retry_after.parse().unwrap())).await;
    assert_eq!(get(&base, "/v1/models").await.0, 200);
    assert_eq!(get(&base, "/v1/models").await.0, 429);

    // /metrics is not limited, and counts what happened.
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("gpunet_indexer_rate_limited_total"), 2.0);
    assert_eq!(
        value("gpunet_indexer_api_request_seconds_count{route=\"/v1/models\",status=\"200\"}"),
        6.0
    );
    assert_eq!(
        value("gpunet_indexer_api_request_seconds_count{route=\"/v1/models\",status=\"429\"}"),
        2.0
    );
    assert!(value("gpunet_indexer_indexed_slot") > 0.0);
    assert!(value("gpunet_indexer_account_updates_total") >= 2.0);
    assert!(value("gpunet_indexer_db_commit_seconds_count") >= 1.0);
    let lag = value("gpunet_indexer_slot_lag");
    assert!(lag < 50.0, "lag {lag} slots");
}
