//! The explorer's HTTP API: versioned under `/v1`, JSON in and out, described by the OpenAPI
//! document at `/v1/openapi.json`. Bad input gets a 4xx with `{"error": "..."}`; lists are
//! paginated with a capped page size. (First part: devices and receipts.)

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use gpunet_sdk::Pubkey;
use serde_json::{Value, json};

use crate::project::DeviceRow;
use crate::receipts::ReceiptRow;
use crate::schema::{devices, receipts};

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
        .route("/v1/devices", get(list_devices))
        .route("/v1/devices/{address}", get(device))
        .route("/v1/receipts", get(list_receipts))
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

fn device_json(d: &DeviceRow) -> Value {
    json!({
        "address": base58(&d.address),
        "owner": base58(&d.owner),
        "device_id": d.device_id,
        "agent": base58(&d.agent),
        "specs": {
            "gpu_model": d.gpu_model,
            "gpu_count": d.gpu_count,
            "vram_mib": d.vram_mib,
            "cpu_cores": d.cpu_cores,
            "ram_mib": d.ram_mib,
            "bandwidth_down_mbps": d.bandwidth_down_mbps,
            "bandwidth_up_mbps": d.bandwidth_up_mbps,
            "country": d.country,
            "region": d.region,
            "supplier_group": d.supplier_group,
            "security_tier": d.security_tier,
            "green": d.green,
        },
        "connectivity_tier": d.connectivity_tier,
        "price_per_gpu_hour": d.price_per_gpu_hour,
        "status": d.status,
        "registered_at": d.registered_at,
        "epochs_attested": d.epochs_attested,
        "uptime_minutes": d.uptime_minutes,
        "reliability_bps": d.reliability_bps,
        "slot": d.slot,
    })
}

fn receipt_json(r: &ReceiptRow) -> Value {
    json!({
        "device": base58(&r.device),
        "seq": r.seq,
        "kind": r.kind,
        "reference": base58(&r.reference),
        "model": base58(&r.model),
        "compute_units": r.compute_units,
        "amount": r.amount,
        "worker": r.worker,
        "royalty": r.royalty,
        "fee": r.fee,
        "timestamp": r.timestamp,
        "result_hash": hex(&r.result_hash),
        "signature": r.signature,
        "slot": r.slot,
        "verified": r.verified,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn list_devices(
    State(pool): State<DbPool>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(
        &params,
        &[
            "status",
            "gpu_model",
            "country",
            "owner",
            "sort",
            "limit",
            "offset",
        ],
    )?;
    let (limit, offset) = q.page()?;
    let status = q.text("status").map(str::to_string);
    if let Some(s) = &status
        && !["active", "paused", "retired"].contains(&s.as_str())
    {
        return Err(ApiError::bad_request(
            "status: one of active, paused, retired",
        ));
    }
    let gpu_model = q.number("gpu_model")?;
    let country = q.text("country").map(str::to_uppercase);
    let owner = q.address("owner")?;
    let sort = q.text("sort").unwrap_or("address").to_string();
    if !["address", "price", "-price", "reliability", "-reliability"].contains(&sort.as_str()) {
        return Err(ApiError::bad_request(
            "sort: one of address, price, -price, reliability, -reliability",
        ));
    }
    let rows = with_conn(pool, move |conn| {
        let mut query = devices::table.select(DeviceRow::as_select()).into_boxed();
        if let Some(status) = status {
            query = query.filter(devices::status.eq(status));
        }
        if let Some(model) = gpu_model {
            query = query.filter(devices::gpu_model.eq(model as i32));
        }
        if let Some(country) = country {
            query = query.filter(devices::country.eq(country));
        }
        if let Some(owner) = owner {
            query = query.filter(devices::owner.eq(owner));
        }
        query = match sort.as_str() {
            "price" => query.order((devices::price_per_gpu_hour.asc(), devices::address)),
            "-price" => query.order((devices::price_per_gpu_hour.desc(), devices::address)),
            "reliability" => query.order((devices::reliability_bps.asc(), devices::address)),
            "-reliability" => query.order((devices::reliability_bps.desc(), devices::address)),
            _ => query.order(devices::address),
        };
        query.limit(limit).offset(offset).load(conn)
    })
    .await?;
    Ok(Json(json!({
        "devices": rows.iter().map(device_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}

async fn device(
    State(pool): State<DbPool>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = address("address", &raw)?;
    let row = with_conn(pool, move |conn| {
        devices::table
            .find(key)
            .select(DeviceRow::as_select())
            .first(conn)
            .optional()
    })
    .await?;
    row.map(|d| Json(device_json(&d)))
        .ok_or_else(|| ApiError::not_found(format!("no device {raw}")))
}

async fn list_receipts(
    State(pool): State<DbPool>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(
        &params,
        &[
            "device", "model", "session", "hire", "from", "to", "limit", "offset",
        ],
    )?;
    let (limit, offset) = q.page()?;
    let device = q.address("device")?;
    let model = q.address("model")?;
    let session = q.address("session")?;
    let hire = q.address("hire")?;
    let from = q.number("from")?;
    let to = q.number("to")?;
    let rows = with_conn(pool, move |conn| {
        let mut query = receipts::table.select(ReceiptRow::as_select()).into_boxed();
        if let Some(device) = device {
            query = query.filter(receipts::device.eq(device));
        }
        if let Some(model) = model {
            query = query.filter(receipts::model.eq(model));
        }
        if let Some(session) = session {
            query = query
                .filter(receipts::kind.eq("inference"))
                .filter(receipts::reference.eq(session));
        }
        if let Some(hire) = hire {
            query = query
                .filter(receipts::kind.eq("lease_job"))
                .filter(receipts::reference.eq(hire));
        }
        if let Some(from) = from {
            query = query.filter(receipts::timestamp.ge(from));
        }
        if let Some(to) = to {
            query = query.filter(receipts::timestamp.lt(to));
        }
        query
            .order((
                receipts::timestamp.desc(),
                receipts::device,
                receipts::seq.desc(),
            ))
            .limit(limit)
            .offset(offset)
            .load(conn)
    })
    .await?;
    Ok(Json(json!({
        "receipts": rows.iter().map(receipt_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
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
