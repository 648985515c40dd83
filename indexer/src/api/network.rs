//! The network as a whole: configuration and totals, the live supply with prices, and
//! epochs (emission, total weight, claims).

use axum::extract::State;
use axum::response::Json;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{Value, json};

use super::shared::{ApiError, Checked, DbPool, Params, base58, with_conn};
use crate::schema::{epoch_rewards, network, staking_config};
use crate::store::projections::{NetworkRow, StakingConfigRow};

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    devices: i64,
    #[diesel(sql_type = BigInt)]
    active_devices: i64,
    #[diesel(sql_type = BigInt)]
    active_gpus: i64,
    #[diesel(sql_type = BigInt)]
    open_leases: i64,
    #[diesel(sql_type = BigInt)]
    active_hires: i64,
    #[diesel(sql_type = BigInt)]
    staked: i64,
    #[diesel(sql_type = BigInt)]
    receipts: i64,
    #[diesel(sql_type = BigInt)]
    compute_units: i64,
    #[diesel(sql_type = BigInt)]
    inference_volume: i64,
    #[diesel(sql_type = BigInt)]
    paid_to_owners: i64,
    #[diesel(sql_type = BigInt)]
    lease_fees: i64,
    #[diesel(sql_type = BigInt)]
    inference_fees: i64,
    #[diesel(sql_type = BigInt)]
    rewards_emitted: i64,
    #[diesel(sql_type = BigInt)]
    rewards_claimed: i64,
    #[diesel(sql_type = BigInt)]
    slashes: i64,
    #[diesel(sql_type = BigInt)]
    slashed: i64,
    #[diesel(sql_type = BigInt)]
    models: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    indexed_slot: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    finalized_slot: Option<i64>,
}

const TOTALS: &str = "SELECT
    (SELECT count(*) FROM devices) AS devices,
    (SELECT count(*) FROM devices WHERE status = 'active') AS active_devices,
    (SELECT COALESCE(sum(gpu_count), 0)::BIGINT FROM devices WHERE status = 'active') AS active_gpus,
    (SELECT count(*) FROM leases WHERE closed_slot IS NULL) AS open_leases,
    (SELECT count(*) FROM hires WHERE closed_slot IS NULL AND NOT released) AS active_hires,
    (SELECT COALESCE(sum(active), 0)::BIGINT FROM stakes WHERE closed_slot IS NULL) AS staked,
    (SELECT COALESCE(sum(receipts), 0)::BIGINT FROM receipt_totals) AS receipts,
    (SELECT COALESCE(sum(compute_units), 0)::BIGINT FROM receipt_totals) AS compute_units,
    (SELECT COALESCE(sum(amount), 0)::BIGINT FROM receipt_totals WHERE kind = 'inference') AS inference_volume,
    (SELECT COALESCE(sum(to_owner), 0)::BIGINT FROM settlements) AS paid_to_owners,
    (SELECT COALESCE(sum(to_treasury), 0)::BIGINT FROM settlements) AS lease_fees,
    (SELECT COALESCE(sum(fee), 0)::BIGINT FROM receipt_totals) AS inference_fees,
    (SELECT COALESCE(sum(emission), 0)::BIGINT FROM epoch_rewards) AS rewards_emitted,
    (SELECT COALESCE(sum(claimed), 0)::BIGINT FROM epoch_rewards) AS rewards_claimed,
    (SELECT count(*) FROM slashes) AS slashes,
    (SELECT COALESCE(sum(taken), 0)::BIGINT FROM slashes) AS slashed,
    (SELECT count(*) FROM models WHERE closed_slot IS NULL) AS models,
    (SELECT slot FROM ingest_cursor) AS indexed_slot,
    (SELECT finalized_slot FROM ingest_cursor) AS finalized_slot";

/// The epoch running at unix time `now` by the network's epoch numbering: the function the
/// programs execute (`gpunet_sdk::epoch`), so the API and the chain agree at every boundary.
pub(super) fn current_epoch(n: &NetworkRow, now: i64) -> Option<i64> {
    let epoch = gpunet_sdk::epoch::epoch_at(
        u64::try_from(n.epoch_anchor).ok()?,
        n.epoch_anchor_timestamp,
        u32::try_from(n.epoch_seconds).ok()?,
        now,
    )?;
    i64::try_from(epoch).ok()
}

pub(super) async fn stats(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    Checked::new(&params, &[])?;
    let (config, staking, t) = with_conn(pool, |conn| {
        let config = network::table
            .select(NetworkRow::as_select())
            .first(conn)
            .optional()?;
        let staking = staking_config::table
            .select(StakingConfigRow::as_select())
            .first(conn)
            .optional()?;
        let totals = diesel::sql_query(TOTALS).get_result::<Totals>(conn)?;
        Ok((config, staking, totals))
    })
    .await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Ok(Json(json!({
        "network": config.as_ref().map(|n| json!({
            "address": base58(&n.address),
            "admin": base58(&n.admin),
            "payment_mint": base58(&n.payment_mint),
            "stake_mint": base58(&n.stake_mint),
            "treasury": base58(&n.treasury),
            "fees_bps": {
                "renter": n.renter_fee_bps,
                "supplier": n.supplier_fee_bps,
                "inference": n.inference_fee_bps,
            },
            "epoch_seconds": n.epoch_seconds,
            "current_epoch": current_epoch(n, now),
            "genesis_timestamp": n.genesis_timestamp,
            "verifiers": n.verifiers,
            "verifier_quorum": n.verifier_quorum,
            "paused": n.paused,
        })),
        "staking": staking.as_ref().map(|s| json!({
            "base_stake_per_gpu": s.base_stake_per_gpu,
            "cooldown_seconds": s.cooldown_seconds,
            "challenge_window_seconds": s.challenge_window_seconds,
            "missed_epoch_slash_bps": s.missed_epoch_bps,
            "renter_share_bps": s.renter_share_bps,
            "emission_per_epoch": s.emission_per_epoch,
            "emission_cap": s.emission_cap,
            "emission_allocated": s.allocated,
        })),
        "totals": {
            "devices": t.devices,
            "active_devices": t.active_devices,
            "active_gpus": t.active_gpus,
            "open_leases": t.open_leases,
            "active_hires": t.active_hires,
            "staked": t.staked,
            "receipts": t.receipts,
            "compute_units": t.compute_units,
            "inference_volume": t.inference_volume,
            "paid_to_owners": t.paid_to_owners,
            "lease_fees": t.lease_fees,
            "inference_fees": t.inference_fees,
            "rewards_emitted": t.rewards_emitted,
            "rewards_claimed": t.rewards_claimed,
            "slashes": t.slashes,
            "slashed": t.slashed,
            "models": t.models,
        },
        "indexed_slot": t.indexed_slot,
        "finalized_slot": t.finalized_slot,
    })))
}

/// The device columns the supply can be grouped by.
pub const SUPPLY_GROUPS: [&str; 6] = [
    "gpu_model",
    "country",
    "connectivity_tier",
    "supplier_group",
    "security_tier",
    "green",
];

#[derive(QueryableByName)]
struct SupplyGroup {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    devices: i64,
    #[diesel(sql_type = BigInt)]
    gpus: i64,
    #[diesel(sql_type = BigInt)]
    available_devices: i64,
    #[diesel(sql_type = BigInt)]
    available_gpus: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    avg_price: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    min_price: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    available_min_price: Option<i64>,
}

/// Active devices grouped by one of `SUPPLY_GROUPS`: how many, how many GPUs, how many not
/// hired now, and the price per GPU-hour (average weighted by GPUs, and minimum).
pub(super) async fn supply(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["by"])?;
    let by = q.text("by").unwrap_or("gpu_model");
    let Some(column) = SUPPLY_GROUPS.iter().find(|g| **g == by) else {
        return Err(ApiError::bad_request(format!(
            "by: one of {}",
            SUPPLY_GROUPS.join(", ")
        )));
    };
    // `column` is one of the fixed names above, never the request's text.
    let query = format!(
        "SELECT {column}::TEXT AS key,
            count(*) AS devices,
            sum(gpu_count)::BIGINT AS gpus,
            count(*) FILTER (WHERE NOT hired) AS available_devices,
            COALESCE(sum(gpu_count) FILTER (WHERE NOT hired), 0)::BIGINT AS available_gpus,
            div(sum(price_per_gpu_hour::NUMERIC * gpu_count), NULLIF(sum(gpu_count), 0))::BIGINT
                AS avg_price,
            min(price_per_gpu_hour) AS min_price,
            min(price_per_gpu_hour) FILTER (WHERE NOT hired) AS available_min_price
        FROM (
            SELECT d.*, EXISTS (
                SELECT 1 FROM hires h
                WHERE h.device = d.address AND h.closed_slot IS NULL AND NOT h.released
            ) AS hired
            FROM devices d WHERE d.status = 'active'
        ) d
        GROUP BY 1 ORDER BY 1"
    );
    let groups = with_conn(pool, move |conn| {
        diesel::sql_query(query).load::<SupplyGroup>(conn)
    })
    .await?;
    Ok(Json(json!({
        "by": column,
        "groups": groups.iter().map(|g| json!({
            "key": g.key,
            "devices": g.devices,
            "gpus": g.gpus,
            "available_devices": g.available_devices,
            "available_gpus": g.available_gpus,
            "avg_price_per_gpu_hour": g.avg_price,
            "min_price_per_gpu_hour": g.min_price,
            "available_min_price_per_gpu_hour": g.available_min_price,
        })).collect::<Vec<_>>(),
    })))
}

/// Epochs with block rewards, newest first.
pub(super) async fn epochs(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let rows = with_conn(pool, move |conn| {
        epoch_rewards::table
            .select((
                epoch_rewards::epoch,
                epoch_rewards::emission,
                epoch_rewards::total_weight,
                epoch_rewards::devices,
                epoch_rewards::claimed,
            ))
            .order(epoch_rewards::epoch.desc())
            .limit(limit)
            .offset(offset)
            .load::<(i64, i64, i64, i32, i64)>(conn)
    })
    .await?;
    Ok(Json(json!({
        "epochs": rows.iter().map(|(epoch, emission, total_weight, devices, claimed)| json!({
            "epoch": epoch,
            "emission": emission,
            "total_weight": total_weight,
            "devices": devices,
            "claimed": claimed,
        })).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpunet_sdk::Pubkey;
    use gpunet_sdk::registry::{FeeSchedule, NetworkConfig};

    #[test]
    fn the_api_current_epoch_agrees_with_the_registry_at_every_boundary() {
        // An epoch length changed once: epoch 12 is the anchor, from t = 10,000, 90 s each.
        let (anchor, anchor_ts, seconds) = (12u64, 10_000i64, 90u32);
        let config = NetworkConfig {
            version: NetworkConfig::VERSION,
            admin: Pubkey::new_unique(),
            pending_admin: None,
            payment_mint: Pubkey::new_unique(),
            stake_mint: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            fees: FeeSchedule {
                renter_fee_bps: 0,
                supplier_fee_bps: 0,
                inference_fee_bps: 0,
            },
            epoch_seconds: seconds,
            epoch_anchor: anchor,
            epoch_anchor_timestamp: anchor_ts,
            genesis_timestamp: 0,
            verifiers: vec![],
            verifier_quorum: 0,
            paused: false,
            bump: 255,
            reserved: [0; 64],
        };
        let row = NetworkRow {
            address: vec![],
            admin: vec![],
            pending_admin: None,
            payment_mint: vec![],
            stake_mint: vec![],
            treasury: vec![],
            renter_fee_bps: 0,
            supplier_fee_bps: 0,
            inference_fee_bps: 0,
            epoch_seconds: i64::from(seconds),
            epoch_anchor: anchor as i64,
            epoch_anchor_timestamp: anchor_ts,
            genesis_timestamp: 0,
            verifiers: 0,
            verifier_quorum: 0,
            paused: false,
            slot: 0,
            write_version: 0,
            closed_slot: None,
        };
        // Each boundary, a second either side, and times before the anchor (still in the
        // epoch that was running when the length changed).
        let mut times = vec![anchor_ts - 1_000, anchor_ts - 1];
        for k in 0..50 {
            let boundary = anchor_ts + k * i64::from(seconds);
            times.extend([boundary - 1, boundary, boundary + 1]);
        }
        for now in times {
            let chain = config.epoch_at(now).unwrap();
            assert_eq!(
                current_epoch(&row, now),
                Some(chain as i64),
                "at t = {now} the registry says epoch {chain}"
            );
        }
    }
}
