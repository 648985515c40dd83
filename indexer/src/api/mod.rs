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

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use gpunet_sdk::Pubkey;
use serde_json::{Value, json};

pub use network::SUPPLY_GROUPS;

pub type DbPool = Pool<ConnectionManager<PgConnection>>;

/// Page size when none is asked for, and the most one page may hold.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// A pool of `size` connections to `url`.
pub fn pool(url: &str, size: u32) -> Result<DbPool, String> {
    Pool::builder()
        .max_size(size)
        .build(ConnectionManager::new(url))
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))
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
        .route("/v1/suppliers/{owner}/earnings", get(suppliers::supplier_earnings))
        .fallback(|| async { ApiError::not_found("no such endpoint (see /v1/openapi.json)") })
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

type Params = Query<HashMap<String, String>>;

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
    bs58::encode(bytes).into_string()
}

async fn with_conn<T: Send + 'static>(
    pool: DbPool,
    f: impl FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(ApiError::unavailable)?;
        f(&mut conn).map_err(ApiError::unavailable)
    })
    .await
    .map_err(ApiError::unavailable)?
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    pool: DbPool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(pool))
        .with_graceful_shutdown(shutdown)
        .await
}
