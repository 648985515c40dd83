//! What suppliers earned: per device (lease payments, inference payments, block rewards)
//! and across all devices of one owner.

use axum::extract::State;
use axum::response::Json;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea};
use serde_json::{Value, json};

use super::{ApiError, Checked, DbPool, Params, PathParam, address, base58, with_conn};

#[derive(QueryableByName, Clone, Debug)]
pub(super) struct Earnings {
    #[diesel(sql_type = Bytea)]
    device: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    lease_earnings: i64,
    #[diesel(sql_type = BigInt)]
    inference_earnings: i64,
    #[diesel(sql_type = BigInt)]
    epochs_paid: i64,
    #[diesel(sql_type = BigInt)]
    epochs_missed: i64,
    #[diesel(sql_type = BigInt)]
    inferences: i64,
    #[diesel(sql_type = BigInt)]
    job_receipts: i64,
    #[diesel(sql_type = BigInt)]
    compute_units: i64,
    #[diesel(sql_type = BigInt)]
    rewards_claimed: i64,
    #[diesel(sql_type = BigInt)]
    staked: i64,
    #[diesel(sql_type = BigInt)]
    slashed: i64,
    #[diesel(sql_type = BigInt)]
    pending_slash: i64,
}

/// Per device, one pass over its settlements and one over its receipt aggregates; `$1` is
/// matched by the filter appended (owner or address).
const EARNINGS: &str = "SELECT d.address AS device,
    COALESCE(s.to_owner, 0) AS lease_earnings,
    COALESCE(r.worker, 0) AS inference_earnings,
    COALESCE(s.attested, 0) AS epochs_paid,
    COALESCE(s.missed, 0) AS epochs_missed,
    COALESCE(r.inferences, 0) AS inferences,
    COALESCE(r.jobs, 0) AS job_receipts,
    COALESCE(r.compute_units, 0) AS compute_units,
    COALESCE(st.rewards_claimed, 0) AS rewards_claimed,
    COALESCE(st.active, 0) AS staked,
    COALESCE(st.slashed_total, 0) AS slashed,
    COALESCE(st.pending_slash_amount, 0) AS pending_slash
FROM devices d
LEFT JOIN LATERAL (
    SELECT sum(to_owner)::BIGINT AS to_owner, sum(attested)::BIGINT AS attested,
        sum(missed)::BIGINT AS missed
    FROM settlements WHERE device = d.address
) s ON true
LEFT JOIN LATERAL (
    SELECT sum(worker) FILTER (WHERE kind = 'inference')::BIGINT AS worker,
        sum(receipts) FILTER (WHERE kind = 'inference')::BIGINT AS inferences,
        sum(receipts) FILTER (WHERE kind = 'lease_job')::BIGINT AS jobs,
        sum(compute_units)::BIGINT AS compute_units
    FROM receipt_totals WHERE device = d.address
) r ON true
LEFT JOIN stakes st ON st.device = d.address AND st.closed_slot IS NULL
WHERE ";

pub(super) enum Of {
    Device,
    Owner,
}

pub(super) fn earnings(conn: &mut PgConnection, of: Of, key: &[u8]) -> QueryResult<Vec<Earnings>> {
    let filter = match of {
        Of::Device => "d.address = $1 ORDER BY d.address",
        Of::Owner => "d.owner = $1 ORDER BY d.address",
    };
    diesel::sql_query(format!("{EARNINGS}{filter}"))
        .bind::<Bytea, _>(key)
        .load(conn)
}

pub(super) fn earnings_json(e: &Earnings) -> Value {
    json!({
        "device": base58(&e.device),
        "payment": {
            "lease": e.lease_earnings,
            "inference": e.inference_earnings,
            "total": e.lease_earnings + e.inference_earnings,
        },
        "stake_token": {
            "rewards_claimed": e.rewards_claimed,
            "staked": e.staked,
            "slashed": e.slashed,
            "pending_slash": e.pending_slash,
        },
        "work": {
            "epochs_paid": e.epochs_paid,
            "epochs_missed": e.epochs_missed,
            "inferences": e.inferences,
            "job_receipts": e.job_receipts,
            "compute_units": e.compute_units,
        },
    })
}

/// A supplier's earnings: every device of `owner`, and the totals.
pub(super) async fn supplier_earnings(
    State(pool): State<DbPool>,
    PathParam(raw): PathParam,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    Checked::new(&params, &[])?;
    let owner = address("owner", &raw)?;
    let rows = with_conn(pool, move |conn| earnings(conn, Of::Owner, &owner)).await?;
    let total = |f: fn(&Earnings) -> i64| rows.iter().map(f).sum::<i64>();
    Ok(Json(json!({
        "owner": raw,
        "devices": rows.iter().map(earnings_json).collect::<Vec<_>>(),
        "totals": {
            "payment": {
                "lease": total(|e| e.lease_earnings),
                "inference": total(|e| e.inference_earnings),
                "total": total(|e| e.lease_earnings + e.inference_earnings),
            },
            "stake_token": {
                "rewards_claimed": total(|e| e.rewards_claimed),
                "staked": total(|e| e.staked),
                "slashed": total(|e| e.slashed),
                "pending_slash": total(|e| e.pending_slash),
            },
        },
    })))
}
