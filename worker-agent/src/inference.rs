//! Inference serving: `POST /v1/inference` runs the session's model on the request body
//! and answers with what the model's command wrote, charging the session through a
//! voucher the consumer signed.
//!
//! The request's headers and the answer's are the voucher protocol of
//! `gpunet_sdk::voucher`: the session address (its model must be one this agent serves)
//! and `<cumulative>:<signature>`, the session authoriser's ed25519 signature (base58) of
//! the voucher message (session, device, cumulative): "this device may have been paid up
//! to `cumulative` from the session".
//!
//! A voucher is accepted when it verifies against the session's authoriser, is above the
//! last voucher accepted for the session (a replay is refused), covers what was charged so
//! far plus the most one request can cost (`max_units` × the model's price), and does not
//! promise more than the session holds for this device. It is stored before the model
//! runs. The answer's headers say what was charged (`x-gpunet-units`, `x-gpunet-amount`)
//! and the session's total (`x-gpunet-charged`), from which the consumer signs the next
//! voucher (`x-gpunet-charged` + `x-gpunet-max-cost` at least).

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::ClientError;
use gpunet_sdk::proof::ReceiptKind;
use gpunet_sdk::voucher::{
    AMOUNT_HEADER, CHARGED_HEADER, MAX_COST_HEADER, RECEIPT_HEADER, SESSION_HEADER, UNITS_HEADER,
    VOUCHER_HEADER,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::agent::Agent;
use crate::chain::is_transient;
use crate::metrics::Refusal;
use crate::outbox::Receipt;

/// The longest a model's command may run for one request.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest request body passed to a model.
pub const MAX_REQUEST_BYTES: usize = 4 << 20;

/// A JSON error answer.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({ "error": message.into(), "code": code })),
    )
        .into_response()
}

fn refuse(agent: &Agent, why: Refusal, status: StatusCode, message: impl Into<String>) -> Response {
    agent.metrics.refused(why);
    error(status, why.label(), message)
}

fn chain_error(agent: &Agent, e: ClientError) -> Response {
    agent.failed("inference: reading the chain", &e);
    if is_transient(&e) {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "chain_unavailable",
            format!("the chain cannot be read now: {e}"),
        )
    } else {
        error(StatusCode::BAD_GATEWAY, "chain_error", e.to_string())
    }
}

pub async fn serve(State(agent): State<Arc<Agent>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(session_text) = header(SESSION_HEADER) else {
        return refuse(
            &agent,
            Refusal::Malformed,
            StatusCode::BAD_REQUEST,
            format!("the {SESSION_HEADER} header (the session address) is required"),
        );
    };
    let Ok(session) = session_text.trim().parse::<Pubkey>() else {
        return refuse(
            &agent,
            Refusal::Malformed,
            StatusCode::BAD_REQUEST,
            format!("{SESSION_HEADER} {session_text:?} is not an address"),
        );
    };
    let Some(voucher_text) = header(VOUCHER_HEADER) else {
        return refuse(
            &agent,
            Refusal::Missing,
            StatusCode::UNAUTHORIZED,
            format!(
                "a voucher is required: {VOUCHER_HEADER}: <cumulative>:<signature of the \
                 session's authoriser>"
            ),
        );
    };
    let (cumulative, signature) = match gpunet_sdk::voucher::parse_header(voucher_text) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                &agent,
                Refusal::Malformed,
                StatusCode::BAD_REQUEST,
                format!("{VOUCHER_HEADER}: {e}"),
            );
        }
    };

    // One request per session at a time: each is charged against the one before.
    let lock = agent
        .sessions
        .lock()
        .await
        .entry(session)
        .or_default()
        .clone();
    let _serial = lock.lock().await;

    let client = &agent.chain.client;
    let device = agent.chain.device;
    let account = match client.session(&session).await {
        Ok(account) => account,
        Err(ClientError::NotFound { .. } | ClientError::Malformed { .. }) => {
            return refuse(
                &agent,
                Refusal::UnknownSession,
                StatusCode::NOT_FOUND,
                format!("no session {session} on chain"),
            );
        }
        Err(e) => return chain_error(&agent, e),
    };
    let Some(model) = agent.models.get(&account.model) else {
        return refuse(
            &agent,
            Refusal::UnknownSession,
            StatusCode::NOT_FOUND,
            format!(
                "session {session} is for model {}, which this agent does not serve",
                account.model
            ),
        );
    };
    if account.closing_at.is_some_and(|t| agent.chain.now() >= t) {
        return error(
            StatusCode::GONE,
            "session_closing",
            format!("session {session} is closing: no more inferences"),
        );
    }
    if !gpunet_sdk::voucher::verifies(
        &account.authorizer,
        &session,
        &device,
        cumulative,
        &signature,
    ) {
        return refuse(
            &agent,
            Refusal::Forged,
            StatusCode::UNAUTHORIZED,
            format!(
                "the voucher's signature does not verify against the session's authoriser {} \
                 for this device {device}",
                account.authorizer
            ),
        );
    }
    let (price, paid) = match tokio::try_join!(
        client.model(&account.model),
        client.session_paid(&session, &device)
    ) {
        Ok((m, paid)) => (m.price_per_unit, paid),
        Err(e) => return chain_error(&agent, e),
    };
    let accepted = match agent.outbox.voucher(&session) {
        Ok(v) => v,
        Err(e) => return internal(&agent, e),
    };
    if let Some(last) = accepted.filter(|v| cumulative <= v.cumulative) {
        return refuse(
            &agent,
            Refusal::Replayed,
            StatusCode::CONFLICT,
            format!(
                "voucher for {cumulative} already used: the last accepted one is for {}",
                last.cumulative
            ),
        );
    }
    let charged = accepted.map_or(0, |v| v.charged).max(paid);
    let available = account.deposited.saturating_sub(account.spent);
    let limit = paid.saturating_add(available);
    if cumulative > limit {
        return refuse(
            &agent,
            Refusal::OverLimit,
            StatusCode::PAYMENT_REQUIRED,
            format!(
                "the voucher promises {cumulative}, more than the session can pay this device \
                 ({limit}: {paid} paid and {available} left in the session)"
            ),
        );
    }
    let max_cost = u64::from(model.max_units).saturating_mul(price);
    let needed = charged.saturating_add(max_cost);
    if cumulative < needed {
        return refuse(
            &agent,
            Refusal::TooSmall,
            StatusCode::PAYMENT_REQUIRED,
            format!(
                "the voucher covers {cumulative}; at least {needed} is needed ({charged} charged \
                 so far + {max_cost}, the most one request costs)"
            ),
        );
    }
    match agent
        .outbox
        .accept_voucher(&session, cumulative, &signature, charged)
    {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                &agent,
                Refusal::Replayed,
                StatusCode::CONFLICT,
                "voucher already used",
            );
        }
        Err(e) => return internal(&agent, e),
    }

    let started = Instant::now();
    let output = match run_model(&model.command, &body).await {
        Ok(output) => output,
        Err(e) => {
            agent.metrics.inference_failures.fetch_add(1, Relaxed);
            return error(
                StatusCode::BAD_GATEWAY,
                "model_failed",
                format!("the model's command failed (nothing was charged): {e}"),
            );
        }
    };
    // GPU-milliseconds: the request's run time on this device's GPU, within the model's cap.
    let units = (started.elapsed().as_millis() as u64).clamp(1, u64::from(model.max_units)) as u32;
    let amount = u64::from(units) * price;
    let receipt = Receipt {
        kind: ReceiptKind::Inference,
        reference: session,
        model: account.model,
        compute_units: units,
        result_hash: Sha256::digest(&output).into(),
        at: agent.chain.now(),
        amount,
    };
    let (id, total) = match agent.outbox.charge(&receipt) {
        Ok(charged) => charged,
        Err(e) => return internal(&agent, e),
    };
    agent.metrics.inferences_served.fetch_add(1, Relaxed);
    let mut response = (StatusCode::OK, output).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (RECEIPT_HEADER, id.to_string()),
        (UNITS_HEADER, units.to_string()),
        (AMOUNT_HEADER, amount.to_string()),
        (CHARGED_HEADER, total.to_string()),
        (MAX_COST_HEADER, max_cost.to_string()),
    ] {
        headers.insert(name, value.parse().expect("digits are a header value"));
    }
    response
}

fn internal(agent: &Agent, e: impl std::fmt::Display) -> Response {
    agent.failed("inference", &e);
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

/// Runs a model's command with `input` on stdin; its stdout is the answer.
async fn run_model(command: &str, input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("no answer within {} s", COMMAND_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;
    let _ = writer.await;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{}: {}", output.status, stderr.trim()));
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_model_reads_stdin_and_answers_on_stdout() {
        assert_eq!(run_model("tr a-z A-Z", b"hello").await.unwrap(), b"HELLO");
        let failed = run_model("echo oops >&2; exit 3", b"").await.unwrap_err();
        assert!(failed.contains("oops"), "{failed}");
    }
}
