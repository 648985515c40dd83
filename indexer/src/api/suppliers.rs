//! What suppliers earned: per device (lease payments, inference payments, block rewards)
//! and across all devices of one owner.

use axum::extract::State;
use axum::response::Json;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::shared::{ApiError, Checked, DbPool, Params, PathParam, address, base58, with_conn};
use crate::schema::{device_totals, devices, stakes};
use crate::store::projections::StakeRow;
use crate::store::totals::DeviceTotals;

/// What one device earned: its kept totals (zero until something is settled or served)
/// and its open stake.
#[derive(Clone, Debug)]
pub(super) struct Earnings {
    pub device: Vec<u8>,
    pub totals: DeviceTotals,
    pub stake: Option<StakeRow>,
}

impl Earnings {
    pub(super) fn of(
        device: Vec<u8>,
        totals: Option<DeviceTotals>,
        stake: Option<StakeRow>,
    ) -> Self {
        Earnings {
            device,
            totals: totals.unwrap_or_default(),
            stake,
        }
    }

    fn stake(&self, f: fn(&StakeRow) -> i64) -> i64 {
        self.stake.as_ref().map_or(0, f)
    }
}

/// The earnings of every device of `owner`, by address: one query over indexed rows
/// (devices, their totals, their open stakes).
fn earnings_of_owner(conn: &mut PgConnection, owner: &[u8]) -> QueryResult<Vec<Earnings>> {
    let rows: Vec<(Vec<u8>, Option<DeviceTotals>, Option<StakeRow>)> = devices::table
        .filter(devices::owner.eq(owner))
        .left_join(device_totals::table.on(device_totals::device.eq(devices::address)))
        .left_join(
            stakes::table.on(stakes::device
                .eq(devices::address)
                .and(stakes::closed_slot.is_null())),
        )
        .select((
            devices::address,
            Option::<DeviceTotals>::as_select(),
            Option::<StakeRow>::as_select(),
        ))
        .order(devices::address)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(device, totals, stake)| Earnings::of(device, totals, stake))
        .collect())
}

pub(super) fn earnings_json(e: &Earnings) -> Value {
    let t = &e.totals;
    json!({
        "device": base58(&e.device),
        "payment": {
            "lease": t.lease_earnings,
            "inference": t.inference_earnings,
            "total": t.lease_earnings + t.inference_earnings,
        },
        "stake_token": {
            "rewards_claimed": e.stake(|s| s.rewards_claimed),
            "staked": e.stake(|s| s.active),
            "slashed": e.stake(|s| s.slashed_total),
            "pending_slash": e.stake(|s| s.pending_slash_amount),
        },
        "work": {
            "epochs_paid": t.epochs_paid,
            "epochs_missed": t.epochs_missed,
            "inferences": t.inferences,
            "job_receipts": t.job_receipts,
            "compute_units": t.compute_units,
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
    let rows = with_conn(pool, move |conn| earnings_of_owner(conn, &owner)).await?;
    let total = |f: &dyn Fn(&Earnings) -> i64| rows.iter().map(f).sum::<i64>();
    Ok(Json(json!({
        "owner": raw,
        "devices": rows.iter().map(earnings_json).collect::<Vec<_>>(),
        "totals": {
            "payment": {
                "lease": total(&|e| e.totals.lease_earnings),
                "inference": total(&|e| e.totals.inference_earnings),
                "total": total(&|e| e.totals.lease_earnings + e.totals.inference_earnings),
            },
            "stake_token": {
                "rewards_claimed": total(&|e| e.stake(|s| s.rewards_claimed)),
                "staked": total(&|e| e.stake(|s| s.active)),
                "slashed": total(&|e| e.stake(|s| s.slashed_total)),
                "pending_slash": total(&|e| e.stake(|s| s.pending_slash_amount)),
            },
        },
    })))
}
