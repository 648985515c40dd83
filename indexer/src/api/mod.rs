//! The explorer's HTTP API: versioned under `/v1`, JSON in and out, described by the OpenAPI
//! document at `/v1/openapi.json`. Bad input gets a 4xx with `{"error": "..."}`; lists are
//! paginated with a capped page size.

mod devices;
mod leases;
mod models;
mod network;
mod receipts;
mod shared;
mod suppliers;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::Value;

use crate::metrics::Metrics;

pub use network::SUPPLY_GROUPS;
pub use shared::{ApiError, DEFAULT_LIMIT, DbPool, MAX_LIMIT, pool};

pub fn router(pool: DbPool) -> Router {
    Router::new()
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/network", get(network::stats))
        .route("/v1/supply", get(network::supply))
        .route("/v1/epochs", get(network::epochs))
        .route("/v1/devices", get(devices::list_devices))
        .route("/v1/devices/{address}", get(devices::device))
        .route("/v1/devices/{address}/epochs", get(devices::epochs))
        .route("/v1/leases", get(leases::list_leases))
        .route("/v1/leases/{address}", get(leases::lease))
        .route("/v1/hires", get(leases::list_hires))
        .route("/v1/receipts", get(receipts::list_receipts))
        .route("/v1/models", get(models::list_models))
        .route("/v1/models/{address}", get(models::model))
        .route("/v1/sessions", get(models::list_sessions))
        .route(
            "/v1/suppliers/{owner}/earnings",
            get(suppliers::supplier_earnings),
        )
        .fallback(|| async { ApiError::not_found("no such endpoint (see /v1/openapi.json)") })
        .method_not_allowed_fallback(|| async {
            ApiError(
                StatusCode::METHOD_NOT_ALLOWED,
                "the explorer API is read-only: use GET".into(),
            )
        })
        .with_state(pool)
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// How the API is served.
#[derive(Clone, Debug, Default)]
pub struct ApiOptions {
    /// Per-client (IP address) limit; `None` serves everyone without limit.
    pub rate_limit: Option<RateLimit>,
    pub metrics: Arc<Metrics>,
}

/// A token bucket per client: `per_second` on average, bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

struct Limiter {
    limit: RateLimit,
    metrics: Arc<Metrics>,
    /// Per client: tokens left and when they were counted.
    clients: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Clients remembered at most; beyond it, buckets that have refilled are forgotten.
const MAX_CLIENTS: usize = 100_000;

impl Limiter {
    /// Takes a token for `client`, or says how long until one is available.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_CLIENTS {
            let full = self.limit.burst / self.limit.per_second;
            clients.retain(|_, (_, at)| now.duration_since(*at).as_secs_f64() < full);
        }
        let (tokens, at) = clients.entry(client).or_insert((self.limit.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.limit.per_second)
            .min(self.limit.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - *tokens) / self.limit.per_second,
            ))
        }
    }
}

async fn rate_limit(
    State(limiter): State<Arc<Limiter>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match limiter.take(client.ip(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            limiter
                .metrics
                .rate_limited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Whole seconds, rounded up: a client that waits this long finds a token.
            let retry_after = (wait.as_secs_f64().ceil() as u64).max(1).to_string();
            let mut response = ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "rate limit: {} requests per second per client; retry in {} ms",
                    limiter.limit.per_second,
                    wait.as_millis().max(1)
                ),
            )
            .into_response();
            if let Ok(value) = retry_after.parse() {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
    }
}

async fn observe(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.api_request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// The API with its rate limit, plus `/metrics` (not limited: one scraper asks often), all
/// timed into the metrics.
pub fn app(pool: DbPool, options: ApiOptions) -> Router {
    let mut app = router(pool);
    if let Some(limit) = options.rate_limit {
        let limiter = Arc::new(Limiter {
            limit,
            metrics: options.metrics.clone(),
            clients: Mutex::new(HashMap::new()),
        });
        app = app.layer(from_fn_with_state(limiter, rate_limit));
    }
    let metrics = options.metrics.clone();
    app.route("/metrics", get(move || async move { metrics.render() }))
        .layer(from_fn_with_state(options.metrics, observe))
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate_per_client() {
        let limiter = Limiter {
            limit: RateLimit {
                per_second: 10.0,
                burst: 3.0,
            },
            metrics: Arc::default(),
            clients: Mutex::new(HashMap::new()),
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(a, t0), Ok(()));
        }
        let wait = limiter.take(a, t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // Another client has its own bucket.
        assert_eq!(limiter.take(b, t0), Ok(()));
        // 100 ms later one token is back, and only one.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(limiter.take(a, t1), Ok(()));
        assert!(limiter.take(a, t1).is_err());
    }
}
