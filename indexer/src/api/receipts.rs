//! Proof-of-compute records (receipts), filtered by device, model, session, hire and time.

use axum::extract::State;
use axum::response::Json;
use diesel::prelude::*;

use super::shared::{ApiError, Checked, DbPool, Params, base58, with_conn};
use crate::schema::{ingest_cursor, receipts};
use crate::store::receipts::ReceiptRow;
use gpunet_sdk::hex;

/// A receipt as served. Serialized straight from this struct (no intermediate JSON tree):
/// a page is up to 100 of them, and building maps for each was most of the endpoint's cost.
#[derive(serde::Serialize)]
struct ReceiptJson {
    device: String,
    seq: i64,
    kind: String,
    reference: String,
    model: String,
    compute_units: i64,
    amount: i64,
    worker: i64,
    royalty: i64,
    fee: i64,
    timestamp: i64,
    result_hash: String,
    signature: String,
    slot: i64,
    verified: bool,
    /// Its slot is at or below the finality watermark.
    finalized: bool,
}

impl ReceiptJson {
    fn of((r, finalized_slot): (ReceiptRow, Option<i64>)) -> Self {
        ReceiptJson {
            device: base58(&r.device),
            seq: r.seq,
            kind: r.kind,
            reference: base58(&r.reference),
            model: base58(&r.model),
            compute_units: r.compute_units,
            amount: r.amount,
            worker: r.worker,
            royalty: r.royalty,
            fee: r.fee,
            timestamp: r.timestamp,
            result_hash: hex(&r.result_hash),
            signature: r.signature,
            slot: r.slot,
            verified: r.verified,
            finalized: finalized_slot.is_some_and(|f| r.slot <= f),
        }
    }
}

#[derive(serde::Serialize)]
pub(super) struct ReceiptPage {
    receipts: Vec<ReceiptJson>,
    limit: i64,
    offset: i64,
}

pub(super) async fn list_receipts(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<ReceiptPage>, ApiError> {
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
        // The watermark joined in (one row): the query stays one diesel can keep prepared.
        let mut query = receipts::table
            .left_join(ingest_cursor::table.on(ingest_cursor::id.eq(1)))
            .select((
                ReceiptRow::as_select(),
                ingest_cursor::finalized_slot.nullable(),
            ))
            .into_boxed();
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
    Ok(Json(ReceiptPage {
        receipts: rows.into_iter().map(ReceiptJson::of).collect(),
        limit,
        offset,
    }))
}
