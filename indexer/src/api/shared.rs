//! What the handlers of every resource share: the database pool and its fair gate,
//! query and path parameters checked into column values, and the error answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use gpunet_sdk::Pubkey;
use serde_json::json;

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

/// An error response: its status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(pub(super) StatusCode, pub(super) String);

impl ApiError {
    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
    pub(super) fn not_found(message: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
    pub(super) fn unavailable(error: impl std::fmt::Display) -> Self {
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
pub(super) struct Params(pub HashMap<String, String>);

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
pub(super) struct PathParam(pub String);

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
pub(super) struct Checked<'a> {
    params: &'a HashMap<String, String>,
}

impl<'a> Checked<'a> {
    pub(super) fn new(
        params: &'a HashMap<String, String>,
        known: &[&str],
    ) -> Result<Self, ApiError> {
        if let Some(unknown) = params.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {unknown:?}; this endpoint takes {}",
                known.join(", ")
            )));
        }
        Ok(Checked { params })
    }

    pub(super) fn text(&self, name: &str) -> Option<&'a str> {
        self.params.get(name).map(String::as_str)
    }

    pub(super) fn number(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("{name}: {v:?} is not an integer")))
            })
            .transpose()
    }

    pub(super) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!(
                "{name}: {other:?} is not true or false"
            ))),
        }
    }

    pub(super) fn address(&self, name: &str) -> Result<Option<Vec<u8>>, ApiError> {
        self.text(name).map(|v| address(name, v)).transpose()
    }

    /// (limit, offset), within bounds.
    pub(super) fn page(&self) -> Result<(i64, i64), ApiError> {
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

pub(super) fn address(name: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    value
        .parse::<Pubkey>()
        .map(|k| k.to_bytes().to_vec())
        .map_err(|_| ApiError::bad_request(format!("{name}: {value:?} is not a base58 address")))
}

pub(super) fn base58(bytes: &[u8]) -> String {
    // Addresses (32 bytes) through the sdk's key type, whose encoder is several times faster
    // than the general one: a page of receipts holds 150 of them.
    match <[u8; 32]>::try_from(bytes) {
        Ok(key) => gpunet_sdk::Pubkey::new_from_array(key).to_string(),
        Err(_) => bs58::encode(bytes).into_string(),
    }
}

pub(super) async fn with_conn<T: Send + 'static>(
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
