//! Per-device aggregates (`device_totals`), kept in the transaction that stores what they
//! sum: a settlement or receipt newly inserted adds to them, a replayed one (not inserted)
//! adds nothing, so they always equal the sums over the stored rows.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::schema::device_totals as t;
use crate::store::rows::StoreError;

/// One device's totals, or an amount to add to them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct DeviceTotals {
    pub device: Vec<u8>,
    pub lease_earnings: i64,
    pub epochs_paid: i64,
    pub epochs_missed: i64,
    pub inference_earnings: i64,
    pub inferences: i64,
    pub job_receipts: i64,
    pub compute_units: i64,
}

/// Adds `delta` to its device's row (created at zero when missing).
pub fn add(conn: &mut PgConnection, delta: &DeviceTotals) -> Result<(), StoreError> {
    diesel::insert_into(t::table)
        .values(delta)
        .on_conflict(t::device)
        .do_update()
        .set((
            t::lease_earnings.eq(t::lease_earnings + excluded(t::lease_earnings)),
            t::epochs_paid.eq(t::epochs_paid + excluded(t::epochs_paid)),
            t::epochs_missed.eq(t::epochs_missed + excluded(t::epochs_missed)),
            t::inference_earnings.eq(t::inference_earnings + excluded(t::inference_earnings)),
            t::inferences.eq(t::inferences + excluded(t::inferences)),
            t::job_receipts.eq(t::job_receipts + excluded(t::job_receipts)),
            t::compute_units.eq(t::compute_units + excluded(t::compute_units)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Recomputes every device's totals from the stored settlements and receipt aggregates
/// (after a migration, or a bulk load that bypassed the indexer).
pub fn rebuild(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::delete(t::table).execute(conn)?;
    diesel::sql_query(
        "INSERT INTO device_totals (device, lease_earnings, epochs_paid, epochs_missed,
            inference_earnings, inferences, job_receipts, compute_units)
        SELECT device, sum(lease), sum(paid), sum(missed), sum(inference), sum(inferences),
            sum(jobs), sum(compute_units)
        FROM (
            SELECT device, to_owner AS lease, attested AS paid, missed, 0 AS inference,
                0 AS inferences, 0 AS jobs, 0 AS compute_units
            FROM settlements
            UNION ALL
            SELECT device, 0, 0, 0,
                CASE WHEN kind = 'inference' THEN worker ELSE 0 END,
                CASE WHEN kind = 'inference' THEN receipts ELSE 0 END,
                CASE WHEN kind = 'lease_job' THEN receipts ELSE 0 END,
                compute_units
            FROM receipt_totals
        ) parts
        GROUP BY device",
    )
    .execute(conn)?;
    Ok(())
}
