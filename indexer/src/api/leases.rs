//! Leases (clusters), their hires and every settlement of a hire.

use axum::extract::State;
use axum::response::Json;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::shared::{ApiError, Checked, DbPool, Params, PathParam, address, base58, with_conn};
use crate::schema::{hires, leases, settlements};
use crate::store::projections::{HireRow, LeaseRow};

fn lease_json(l: &LeaseRow) -> Value {
    json!({
        "address": base58(&l.address),
        "renter": base58(&l.renter),
        "lease_id": l.lease_id,
        "name": l.name,
        "job": l.job,
        "payment_mint": base58(&l.payment_mint),
        "max_price_per_gpu_hour": l.max_price_per_gpu_hour,
        "created_at": l.created_at,
        "terminated_at_epoch": l.terminated_at_epoch,
        "hires": l.hires,
        "active_hires": l.active_hires,
        "deposited": l.deposited,
        "paid_to_owners": l.paid_to_owners,
        "fees": l.fees,
        "refunded": l.refunded,
        "owed": l.deposited - l.paid_to_owners - l.fees - l.refunded,
        "closed_slot": l.closed_slot,
        "slot": l.slot,
    })
}

pub(super) fn hire_json(h: &HireRow) -> Value {
    json!({
        "address": base58(&h.address),
        "lease": base58(&h.lease),
        "device": base58(&h.device),
        "owner": base58(&h.owner),
        "gpu_count": h.gpu_count,
        "price_per_gpu_hour": h.price_per_gpu_hour,
        "per_epoch": {
            "price": h.epoch_price,
            "renter_fee": h.renter_fee,
            "supplier_fee": h.supplier_fee,
        },
        "start_epoch": h.start_epoch,
        "end_epoch": h.end_epoch,
        "settled_through": h.settled_through,
        "released": h.released,
        "epochs_paid": h.epochs_paid,
        "epochs_missed": h.epochs_missed,
        "paid_to_owner": h.paid_to_owner,
        "fees": h.fees,
        "refunded": h.refunded,
        "closed_slot": h.closed_slot,
        "slot": h.slot,
    })
}

type SettlementRow = (Vec<u8>, i64, i64, i64, i64, i64, i64, i64, i64, String, i64);

fn settlement_json(s: &SettlementRow) -> Value {
    let (hire, from, to, attested, missed, mask, to_owner, to_treasury, to_renter, sig, slot) = s;
    json!({
        "hire": base58(hire),
        "from_epoch": from,
        "to_epoch": to,
        "attested": attested,
        "missed": missed,
        "missed_mask": *mask as u64,
        "to_owner": to_owner,
        "to_treasury": to_treasury,
        "to_renter": to_renter,
        "signature": sig,
        "slot": slot,
    })
}

pub(super) async fn list_leases(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["renter", "open", "limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let renter = q.address("renter")?;
    // true: leases not closed; false: closed ones.
    let open = q.boolean("open")?;
    let rows = with_conn(pool, move |conn| {
        let mut query = leases::table.select(LeaseRow::as_select()).into_boxed();
        if let Some(renter) = renter {
            query = query.filter(leases::renter.eq(renter));
        }
        match open {
            Some(true) => query = query.filter(leases::closed_slot.is_null()),
            Some(false) => query = query.filter(leases::closed_slot.is_not_null()),
            None => {}
        }
        query
            .order((leases::created_at.desc(), leases::address))
            .limit(limit)
            .offset(offset)
            .load(conn)
    })
    .await?;
    Ok(Json(json!({
        "leases": rows.iter().map(lease_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}

/// A lease with all its hires and their settlements.
pub(super) async fn lease(
    State(pool): State<DbPool>,
    PathParam(raw): PathParam,
) -> Result<Json<Value>, ApiError> {
    let key = address("address", &raw)?;
    let found = with_conn(pool, move |conn| {
        let Some(lease) = leases::table
            .find(&key)
            .select(LeaseRow::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let hires = hires::table
            .filter(hires::lease.eq(&key))
            .order(hires::address)
            .select(HireRow::as_select())
            .load(conn)?;
        let settlements = settlements::table
            .filter(settlements::lease.eq(&key))
            .order((settlements::hire, settlements::from_epoch))
            .select((
                settlements::hire,
                settlements::from_epoch,
                settlements::to_epoch,
                settlements::attested,
                settlements::missed,
                settlements::missed_mask,
                settlements::to_owner,
                settlements::to_treasury,
                settlements::to_renter,
                settlements::signature,
                settlements::slot,
            ))
            .load::<SettlementRow>(conn)?;
        Ok(Some((lease, hires, settlements)))
    })
    .await?;
    let (lease, hires, settlements) =
        found.ok_or_else(|| ApiError::not_found(format!("no lease {raw}")))?;
    let mut body = lease_json(&lease);
    body["hire_list"] = hires.iter().map(hire_json).collect();
    body["settlements"] = settlements.iter().map(settlement_json).collect();
    Ok(Json(body))
}

pub(super) async fn list_hires(
    State(pool): State<DbPool>,
    Params(params): Params,
) -> Result<Json<Value>, ApiError> {
    let q = Checked::new(&params, &["device", "lease", "owner", "limit", "offset"])?;
    let (limit, offset) = q.page()?;
    let device = q.address("device")?;
    let lease = q.address("lease")?;
    let owner = q.address("owner")?;
    let rows = with_conn(pool, move |conn| {
        let mut query = hires::table.select(HireRow::as_select()).into_boxed();
        if let Some(device) = device {
            query = query.filter(hires::device.eq(device));
        }
        if let Some(lease) = lease {
            query = query.filter(hires::lease.eq(lease));
        }
        if let Some(owner) = owner {
            query = query.filter(hires::owner.eq(owner));
        }
        query
            .order((hires::start_epoch.desc(), hires::address))
            .limit(limit)
            .offset(offset)
            .load(conn)
    })
    .await?;
    Ok(Json(json!({
        "hires": rows.iter().map(hire_json).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}
