//! The agent's HTTP endpoint: `/health`, `/metrics`, the models it serves
//! (`GET /v1/models`) and inferences (`POST /v1/inference`, see [`crate::inference`]).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::agent::Agent;
use crate::inference::{self, MAX_REQUEST_BYTES, error};

/// An error younger than this (seconds, chain time) makes the agent "degraded".
const RECENT_ERROR_S: i64 = 60;

pub fn app(agent: Arc<Agent>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/models", get(models))
        .route(
            "/v1/inference",
            post(inference::serve).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this endpoint",
            )
        })
        .with_state(agent)
}

async fn health(State(agent): State<Arc<Agent>>) -> Response {
    let counts = match agent.outbox.counts() {
        Ok(counts) => counts,
        Err(e) => {
            return error(StatusCode::SERVICE_UNAVAILABLE, "outbox", e.to_string());
        }
    };
    let status = agent
        .status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let now = agent.chain.now();
    let low_balance = agent.metrics.low_balance.load(Relaxed) == 1;
    let recent_error = status
        .last_error
        .as_ref()
        .filter(|(_, at)| now - at < RECENT_ERROR_S);
    let mut problems = Vec::new();
    if low_balance {
        problems.push("low SOL balance".to_string());
    }
    if let Some((message, _)) = recent_error {
        problems.push(format!("recent error: {message}"));
    }
    let specs = &agent.hardware.specs;
    axum::Json(json!({
        "status": if problems.is_empty() { "ok" } else { "degraded" },
        "problems": problems,
        "device": agent.chain.device.to_string(),
        "agent": agent.agent_key().to_string(),
        "epoch": agent.chain.epoch(),
        "uptime_seconds": agent.started.elapsed().as_secs(),
        "hardware": {
            "source": agent.hardware.source,
            "gpu": agent.hardware.gpu_name,
            "gpu_model": specs.gpu_model,
            "gpus": specs.gpu_count,
            "cpu_cores": specs.cpu_cores,
            "ram_mib": specs.ram_mib,
        },
        "epochs_attested": counts.epochs_attested,
        "epochs_missed": counts.epochs_missed,
        "receipts_pending": counts.receipts_pending,
        "receipts_confirmed": counts.receipts_confirmed,
        "hires_active": agent.metrics.hires_active.load(Relaxed),
        "sol_balance_lamports": status.balance_lamports,
        "low_balance": low_balance,
        "last_error": status.last_error.map(|(message, at)| json!({"message": message, "at": at})),
    }))
    .into_response()
}

async fn metrics(State(agent): State<Arc<Agent>>) -> Response {
    match agent.outbox.counts() {
        Ok(counts) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            agent.metrics.render(&counts),
        )
            .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "outbox", e.to_string()),
    }
}

async fn models(State(agent): State<Arc<Agent>>) -> Response {
    let mut models = Vec::new();
    for model in agent.models.values() {
        let price = match agent.chain.client.model(&model.address).await {
            Ok(m) => Some(m.price_per_unit),
            Err(_) => None,
        };
        models.push(json!({
            "model": model.address.to_string(),
            "max_units": model.max_units,
            "price_per_unit": price,
            "max_cost": price.map(|p| p.saturating_mul(u64::from(model.max_units))),
        }));
    }
    axum::Json(json!({ "device": agent.chain.device.to_string(), "models": models }))
        .into_response()
}
