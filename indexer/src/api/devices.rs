//! Devices: the list (filters, sort, pages) and one device with its stake.

use axum::extract::State;
use axum::response::Json;
use diesel::prelude::*;
use serde_json::{Value, json};

use diesel::sql_types::{BigInt, Bool, Bytea, Integer, Nullable, SmallInt, Text};

use super::shared::{ApiError, Checked, DbPool, Params, PathParam, address, base58, with_conn};
use super::suppliers::{Earnings, earnings_json};
use crate::schema::{device_totals, devices, slashes, stakes};
use crate::store::projections::{DeviceRow, SlashRow, StakeRow};
use crate::store::totals::DeviceTotals;
use gpunet_sdk::hex;

pub(super) fn device_json(d: &DeviceRow) -> Value {
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

pub(super) async fn list_devices(
    State(pool): State<DbPool>,
    Params(params): Params,
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

/// One device with its stake, slashes and earnings.
pub(super) async fn device(
    State(pool): State<DbPool>,
    PathParam(raw): PathParam,
) -> Result<Json<Value>, ApiError> {
    let key = address("address", &raw)?;
    let found = with_conn(pool, move |conn| {
        // The device, its open stake and its totals in one round trip; its slashes in
        // another (both statements prepared once per connection).
        let Some((device, stake, totals)) = devices::table
            .find(&key)
            .left_join(
                stakes::table.on(stakes::device
                    .eq(devices::address)
                    .and(stakes::closed_slot.is_null())),
            )
            .left_join(device_totals::table.on(device_totals::device.eq(devices::address)))
            .select((
                DeviceRow::as_select(),
                Option::<StakeRow>::as_select(),
                Option::<DeviceTotals>::as_select(),
            ))
            .first::<(DeviceRow, Option<StakeRow>, Option<DeviceTotals>)>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let slashes = slashes::table
            .filter(slashes::device.eq(&key))
            .order(slashes::slash_id)
            .select(SlashRow::as_select())
            .load(conn)?;
        let earnings = Earnings::of(key, totals, stake.clone());
        Ok(Some((device, stake, slashes, earnings)))
    })
    .await?;
    let (device, stake, slashes, earnings) =
        found.ok_or_else(|| ApiError::not_found(format!("no device {raw}")))?;
    let mut body = device_json(&device);
    body["stake"] = stake.as_ref().map_or(Value::Null, |s| {
        json!({
            "address": base58(&s.address),
            "active": s.active,
            "cooling": s.cooling,
            "unlock_at": s.unlock_at,
            "pending_slashes": s.pending_slashes,
            "pending_slash_amount": s.pending_slash_amount,
            "slashed_total": s.slashed_total,
            "rewards_claimed": s.rewards_claimed,
            "epochs_pending_reward": s.pending_rewards,
        })
    });
    body["slashes"] = slashes
        .iter()
        .map(|s| {
            json!({
                "address": base58(&s.address),
                "slash_id": s.slash_id,
                "amount": s.amount,
                "reason": s.reason,
                "missed_epochs": s.missed_epochs,
                "status": s.status,
                "taken": s.taken,
                "proposed_at": s.proposed_at,
                "beneficiary": s.beneficiary.as_deref().map(base58),
            })
        })
        .collect();
    body["earnings"] = earnings_json(&earnings);
    Ok(Json(body))
}

#[derive(QueryableByName)]
struct EpochLine {
    #[diesel(sql_type = BigInt)]
    epoch: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    uptime_minutes: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    reliability_bps: Option<i32>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    verifier_signatures: Option<i16>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pow_digest: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    attested_signature: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    weight: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    reward: Option<i64>,
    #[diesel(sql_type = Bool)]
    missed_hired: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    slash_proposed: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    emission: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    total_weight: Option<i64>,
}

/// A device's epochs, newest first: the "why did I earn this" view — attestation, reward
/// weight against the epoch's total, the reward (paid, or its share if not yet claimed),
/// and missed hired epochs with their slash.
pub(super) async fn epochs(
    State(pool): State<DbPool>,
    PathParam(raw): PathParam,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let key = address("address", &raw)?;
    let lines = with_conn(pool, move |conn| {
        diesel::sql_query(
            "SELECT e.epoch, e.uptime_minutes, e.reliability_bps, e.verifier_signatures,
                e.pow_digest, e.attested_signature, e.weight, e.reward, e.missed_hired,
                e.slash_proposed, r.emission, r.total_weight
            FROM device_epochs e LEFT JOIN epoch_rewards r ON r.epoch = e.epoch
            WHERE e.device = $1 ORDER BY e.epoch DESC LIMIT $2 OFFSET $3",
        )
        .bind::<Bytea, _>(key)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load::<EpochLine>(conn)
    })
    .await?;
    let share = |l: &EpochLine| match (l.weight, l.emission, l.total_weight) {
        (Some(w), Some(e), Some(t)) if t > 0 => {
            Some((i128::from(e) * i128::from(w) / i128::from(t)) as i64)
        }
        _ => None,
    };
    Ok(Json(json!({
        "device": raw,
        "epochs": lines.iter().map(|l| json!({
            "epoch": l.epoch,
            "attested": l.uptime_minutes.is_some(),
            "uptime_minutes": l.uptime_minutes,
            "reliability_bps": l.reliability_bps,
            "verifier_signatures": l.verifier_signatures,
            "pow_digest": l.pow_digest.as_deref().map(hex),
            "attestation_signature": l.attested_signature,
            "weight": l.weight,
            "epoch_emission": l.emission,
            "epoch_total_weight": l.total_weight,
            "reward_share": share(l),
            "reward_claimed": l.reward,
            "missed_hired": l.missed_hired,
            "slash_proposed": l.slash_proposed,
        })).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}
