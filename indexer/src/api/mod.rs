//! The explorer's HTTP API: versioned under `/v1`, JSON in and out, described by the OpenAPI
//! document at `/v1/openapi.json`. Bad input gets a 4xx with `{"error": "..."}`; lists are
//! paginated with a capped page size.

mod devices;
mod leases;
mod models;
mod network;
mod receipts;
mod suppliers;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use gpunet_sdk::Pubkey;
use gpunet_sdk::hex;
use serde_json::{Value, json};

use crate::metrics::Metrics;

pub use network::SUPPLY_GROUPS;

/// The API's PostgreSQL connections, and a fair (first come, first served) gate in front of
/// them: a request waits for a permit in order of arrival, then always finds a connection
/// free. (The pool's own wait is not ordered: under load some requests waited many times
/// longer than others, which showed as a p99 ten times the p50.)
#[derive(Clone)]
pub struct DbPool {
    connections: Pool<ConnectionManager<PgConnection>>,
    gate: Arc<tokio::sync::Semaphore>,
}

/// Page size when none is asked for, and the most one page may hold.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// A pool of `size` connections to `url`.
pub fn pool(url: &str, size: u32) -> Result<DbPool, String> {
    let connections = Pool::builder()
        .max_size(size)
        .build(ConnectionManager::new(url))
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    Ok(DbPool {
        connections,
        gate: Arc::new(tokio::sync::Semaphore::new(size as usize)),
    })
}

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

/// An error response: its status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
    fn not_found(message: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
    fn unavailable(error: impl std::fmt::Display) -> Self {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database is unavailable: {error}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// The query string as name → value, a malformed one refused with a JSON 400.
pub(crate) struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|Query(params)| Params(params))
            .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
    }
}

/// The one path parameter of a route, a malformed one refused with a JSON 400.
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParam(value))
            .map_err(|e| ApiError::bad_request(format!("malformed path: {e}")))
    }
}

/// The query parameters, checked against the ones the endpoint knows.
struct Checked<'a> {
    params: &'a HashMap<String, String>,
}

impl<'a> Checked<'a> {
    fn new(params: &'a HashMap<String, String>, known: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = params.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {unknown:?}; this endpoint takes {}",
                known.join(", ")
            )));
        }
        Ok(Checked { params })
    }

    fn text(&self, name: &str) -> Option<&'a str> {
        self.params.get(name).map(String::as_str)
    }

    fn number(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("{name}: {v:?} is not an integer")))
            })
            .transpose()
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!(
                "{name}: {other:?} is not true or false"
            ))),
        }
    }

    fn address(&self, name: &str) -> Result<Option<Vec<u8>>, ApiError> {
        self.text(name).map(|v| address(name, v)).transpose()
    }

    /// (limit, offset), within bounds.
    fn page(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.number("limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let offset = self.number("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_request("offset must not be negative"));
        }
        Ok((limit, offset))
    }
}

fn address(name: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    value
        .parse::<Pubkey>()
        .map(|k| k.to_bytes().to_vec())
        .map_err(|_| ApiError::bad_request(format!("{name}: {value:?} is not a base58 address")))
}

fn base58(bytes: &[u8]) -> String {
    // Addresses (32 bytes) through the sdk's key type, whose encoder is several times faster
    // than the general one: a page of receipts holds 150 of them.
    match <[u8; 32]>::try_from(bytes) {
        Ok(key) => gpunet_sdk::Pubkey::new_from_array(key).to_string(),
        Err(_) => bs58::encode(bytes).into_string(),
    }
}

async fn with_conn<T: Send + 'static>(
    pool: DbPool,
    f: impl FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = pool
        .gate
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::unavailable)?;
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.connections.get().map_err(ApiError::unavailable)?;
        let result = f(&mut conn).map_err(ApiError::unavailable);
        drop(conn);
        drop(permit);
        result
    })
    .await
    .map_err(ApiError::unavailable)?
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
