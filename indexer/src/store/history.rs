//! History from events: the `events` log, and the tables derived from it — per device and
//! epoch (attestation, weight, reward, missed hired epochs and their slashes) and every hire
//! settlement. Everything is keyed by what it describes, so a replayed event is a no-op.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;
use gpunet_sdk::GpunetEvent;
use gpunet_sdk::staking::SlashReason;

use crate::decode::Event;
use crate::schema::{device_epochs, settlements};
use crate::store::rows::{StoreError, bigint, key};

#[derive(Insertable)]
#[diesel(table_name = crate::store::stage::events_stage, treat_none_as_default_value = false)]
struct StagedEvent<'a> {
    signature: &'a str,
    ordinal: i32,
    slot: i64,
    program: Vec<u8>,
    name: &'a str,
    data: &'a [u8],
}

/// The staged events into `events`; one already stored (a replay) is left as it is.
const MERGE_EVENTS: &str = "
    WITH staged AS (DELETE FROM events_stage RETURNING *)
    INSERT INTO events (signature, ordinal, slot, program, name, data)
    SELECT signature, ordinal, slot, program, name, data FROM staged
    ON CONFLICT DO NOTHING
    RETURNING signature, ordinal";

#[derive(QueryableByName, PartialEq, Eq, Hash)]
struct EventKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    signature: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    ordinal: i32,
}

/// Stores `events` and what they say (inside the caller's transaction): a binary `COPY`
/// into the stage, then [`MERGE_EVENTS`].
pub fn write(conn: &mut PgConnection, events: &[Event]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let staged = events
        .iter()
        .map(|e| {
            Ok(StagedEvent {
                signature: &e.signature,
                ordinal: e.ordinal,
                slot: bigint("slot", e.slot)?,
                program: e.program.to_bytes().to_vec(),
                name: e.name,
                data: &e.data,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    diesel::copy_from(crate::store::stage::events_stage::table)
        .from_insertable(&staged)
        .execute(conn)?;
    let new: std::collections::HashSet<EventKey> = diesel::sql_query(MERGE_EVENTS)
        .load(conn)?
        .into_iter()
        .collect();
    // Only events seen for the first time say something new.
    for event in events {
        let key = EventKey {
            signature: event.signature.clone(),
            ordinal: event.ordinal,
        };
        if new.contains(&key) {
            derive(conn, event, events)?;
        }
    }
    Ok(())
}

/// Inserts the (device, epoch) row if missing and sets `$column` on it.
macro_rules! set_epoch {
    ($conn:expr, $device:expr, $epoch:expr, $($column:ident = $value:expr),+) => {{
        diesel::insert_into(device_epochs::table)
            .values((
                device_epochs::device.eq($device),
                device_epochs::epoch.eq($epoch),
                $(device_epochs::$column.eq($value)),+
            ))
            .on_conflict((device_epochs::device, device_epochs::epoch))
            .do_update()
            .set(($(device_epochs::$column.eq(excluded(device_epochs::$column))),+))
            .execute($conn)?;
    }};
}

fn derive(conn: &mut PgConnection, event: &Event, all: &[Event]) -> Result<(), StoreError> {
    let Some(decoded) = GpunetEvent::decode(&event.program, &event.data) else {
        return Ok(());
    };
    match decoded {
        GpunetEvent::UptimeAttested(e) => {
            set_epoch!(
                conn,
                key(&e.device),
                bigint("epoch", e.epoch)?,
                uptime_minutes = i32::from(e.uptime_minutes),
                pow_digest = e.pow_digest.to_vec(),
                reliability_bps = i32::from(e.reliability_bps),
                verifier_signatures = i16::from(e.verifier_signatures),
                attested_signature = &event.signature
            );
        }
        GpunetEvent::WeightRegistered(e) => {
            set_epoch!(
                conn,
                key(&e.device),
                bigint("epoch", e.epoch)?,
                weight = bigint("weight", e.weight)?
            );
        }
        GpunetEvent::RewardsClaimed(e) => {
            for (epoch, amount) in e.epochs.iter().zip(&e.amounts) {
                set_epoch!(
                    conn,
                    key(&e.device),
                    bigint("epoch", *epoch)?,
                    reward = bigint("reward", *amount)?
                );
            }
        }
        GpunetEvent::HireSettled(e) => {
            let inserted = diesel::insert_into(settlements::table)
                .values((
                    settlements::hire.eq(key(&e.hire)),
                    settlements::from_epoch.eq(bigint("from_epoch", e.from_epoch)?),
                    settlements::to_epoch.eq(bigint("to_epoch", e.to_epoch)?),
                    settlements::lease.eq(key(&e.lease)),
                    settlements::device.eq(key(&e.device)),
                    settlements::attested.eq(bigint("attested", e.attested)?),
                    settlements::missed.eq(bigint("missed", e.missed)?),
                    // The mask's bits as they are (a u64 reinterpreted, not converted).
                    settlements::missed_mask.eq(e.missed_mask as i64),
                    settlements::to_owner.eq(bigint("to_owner", e.to_owner)?),
                    settlements::to_treasury.eq(bigint("to_treasury", e.to_treasury)?),
                    settlements::to_renter.eq(bigint("to_renter", e.to_renter)?),
                    settlements::signature.eq(&event.signature),
                    settlements::slot.eq(bigint("slot", event.slot)?),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            if inserted > 0 {
                crate::store::totals::add(
                    conn,
                    &crate::store::totals::DeviceTotals {
                        device: key(&e.device),
                        lease_earnings: bigint("to_owner", e.to_owner)?,
                        epochs_paid: bigint("attested", e.attested)?,
                        epochs_missed: bigint("missed", e.missed)?,
                        ..Default::default()
                    },
                )?;
            }
            // The slash proposed in the same transaction for these missed epochs, shared
            // equally (the program computes it as a per-epoch amount times the count).
            let per_epoch = all
                .iter()
                .filter(|other| other.signature == event.signature)
                .filter_map(
                    |other| match GpunetEvent::decode(&other.program, &other.data) {
                        Some(GpunetEvent::SlashProposed(s)) => Some(s),
                        _ => None,
                    },
                )
                .find_map(|s| match s.reason {
                    SlashReason::MissedEpochs { count } if s.device == e.device && count > 0 => {
                        Some(s.amount / count)
                    }
                    _ => None,
                });
            for epoch in missed_epochs(e.from_epoch, e.to_epoch, e.missed_mask) {
                let slash = per_epoch.map(|a| bigint("slash_proposed", a)).transpose()?;
                set_epoch!(
                    conn,
                    key(&e.device),
                    bigint("epoch", epoch)?,
                    missed_hired = true,
                    slash_proposed = slash
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// The epochs of `[from, to)` whose bit is set in `mask` (bit i: epoch `from + i`).
fn missed_epochs(from: u64, to: u64, mask: u64) -> impl Iterator<Item = u64> {
    (0..to.saturating_sub(from).min(64))
        .filter(move |i| mask & (1 << i) != 0)
        .map(move |i| from + i)
}

#[cfg(test)]
mod tests {
    #[test]
    fn missed_epochs_are_the_set_bits_of_the_settled_range() {
        let got: Vec<u64> = super::missed_epochs(10, 15, 0b10110).collect();
        assert_eq!(got, vec![11, 12, 14]);
        // Bits beyond the range are ignored; a 64-epoch range uses every bit.
        assert_eq!(super::missed_epochs(0, 2, 0b100).count(), 0);
        assert_eq!(super::missed_epochs(0, 64, u64::MAX).count(), 64);
    }
}
