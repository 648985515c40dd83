//! Models and inference sessions, with what was computed and paid for each model.

use axum::extract::State;
use axum::response::Json;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea};
use serde_json::{Value, json};

use super::shared::{ApiError, Checked, DbPool, Params, PathParam, address, base58, with_conn};
use crate::schema::{models, sessions};
use crate::store::projections::{ModelRow, SessionRow};
use gpunet_sdk::hex;

fn model_json(m: &ModelRow) -> Value {
    json!({
        "address": base58(&m.address),
        "owner": base58(&m.owner),
        "model_id": m.model_id,
        "royalty_bps": m.royalty_bps,
        "price_per_unit": m.price_per_unit,
        "metadata_uri": m.metadata_uri,
        "metadata_hash": hex(&m.metadata_hash),
        "closed_slot": m.closed_slot,
        "slot": m.slot,
    })
}

fn session_json(s: &SessionRow) -> Value {
    json!({
        "address": base58(&s.address),
        "consumer": base58(&s.consumer),
        "session_id": s.session_id,
        "model": base58(&s.model),
        "authorizer": base58(&s.authorizer),
        "payment_mint": base58(&s.payment_mint),
        "deposited": s.deposited,
        "spent": s.spent,
        "closing_at": s.closing_at,
        "closed_slot": s.closed_slot,
        "slot": s.slot,
    })
}

pub(super) async fn list_models(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["owner", "limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let owner = q.address("owner")?;
    let rows = with_conn(pool, move |conn| {
        let mut query = models::table.select(ModelRow::as_select()).into_boxed();
        if let Some(owner) = owner {
            query = query.filter(models::owner.eq(owner));
        }
        query
            .order(models::address)
            .limit(limit)
            .offset(offset)
            .load(conn)
    })
    .await?;
    Ok(Json(json!({
        "models": rows.iter().map(model_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}

#[derive(QueryableByName)]
struct ModelTotals {
    #[diesel(sql_type = BigInt)]
    inferences: i64,
    #[diesel(sql_type = BigInt)]
    compute_units: i64,
    #[diesel(sql_type = BigInt)]
    volume: i64,
    #[diesel(sql_type = BigInt)]
    royalties: i64,
}

/// A model with its inference totals (every device that served it).
pub(super) async fn model(
    State(pool): State<DbPool>,
    PathParam(raw): PathParam,
) -> Result<Json<Value>, ApiError> {
    let key = address("address", &raw)?;
    let found = with_conn(pool, move |conn| {
        let Some(model) = models::table
            .find(&key)
            .select(ModelRow::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let totals = diesel::sql_query(
            "SELECT COALESCE(sum(receipts), 0)::BIGINT AS inferences,
                COALESCE(sum(compute_units), 0)::BIGINT AS compute_units,
                COALESCE(sum(amount), 0)::BIGINT AS volume,
                COALESCE(sum(royalty), 0)::BIGINT AS royalties
            FROM receipt_totals WHERE model = $1 AND kind = 'inference'",
        )
        .bind::<Bytea, _>(&key)
        .get_result::<ModelTotals>(conn)?;
        Ok(Some((model, totals)))
    })
    .await?;
    let (model, t) = found.ok_or_else(|| ApiError::not_found(format!("no model {raw}")))?;
    let mut body = model_json(&model);
    body["inferences"] = json!(t.inferences);
    body["compute_units"] = json!(t.compute_units);
    body["volume"] = json!(t.volume);
    body["royalties"] = json!(t.royalties);
    Ok(Json(body))
}

pub(super) async fn list_sessions(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["consumer", "model", "limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let consumer = q.address("consumer")?;
    let model = q.address("model")?;
    let rows = with_conn(pool, move |conn| {
        let mut query = sessions::table.select(SessionRow::as_select()).into_boxed();
        if let Some(consumer) = consumer {
            query = query.filter(sessions::consumer.eq(consumer));
        }
        if let Some(model) = model {
            query = query.filter(sessions::model.eq(model));
        }
        query
            .order(sessions::address)
            .limit(limit)
            .offset(offset)
            .load(conn)
    })
    .await?;
    Ok(Json(json!({
        "sessions": rows.iter().map(session_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}
