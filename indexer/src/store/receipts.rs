//! Proof-of-compute records from the transactions that submitted them, and their
//! verification against each device's on-chain `ReceiptLog`.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use gpunet_sdk::Pubkey;
use gpunet_sdk::proof::{ReceiptKind, ReceiptLog};

use crate::decode::SlotBatch;
use crate::schema::{accounts, receipt_chains, receipts};
use crate::store::rows::{StoreError, bigint};

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct ReceiptRow {
    pub device: Vec<u8>,
    pub seq: i64,
    pub kind: String,
    pub reference: Vec<u8>,
    pub model: Vec<u8>,
    pub compute_units: i64,
    pub amount: i64,
    pub worker: i64,
    pub royalty: i64,
    pub fee: i64,
    pub timestamp: i64,
    pub result_hash: Vec<u8>,
    pub signature: String,
    pub slot: i64,
    pub verified: bool,
}

fn rows(batch: &SlotBatch) -> Result<Vec<ReceiptRow>, StoreError> {
    batch
        .batch
        .records()
        .into_iter()
        .map(|r| {
            Ok(ReceiptRow {
                device: r.device.to_bytes().to_vec(),
                seq: bigint("seq", r.seq)?,
                kind: match r.kind {
                    ReceiptKind::Inference => "inference",
                    ReceiptKind::LeaseJob => "lease_job",
                }
                .into(),
                reference: r.reference.to_bytes().to_vec(),
                model: r.model.to_bytes().to_vec(),
                compute_units: r.compute_units.into(),
                amount: bigint("amount", r.split.amount)?,
                worker: bigint("worker", r.split.worker)?,
                royalty: bigint("royalty", r.split.royalty)?,
                fee: bigint("fee", r.split.fee)?,
                timestamp: r.timestamp,
                result_hash: r.result_hash.to_vec(),
                signature: r.signature,
                slot: bigint("slot", batch.slot)?,
                verified: false,
            })
        })
        .collect()
}

/// Stores `batches` (inside the caller's transaction): records once each, the device's
/// rebuilt chain advanced by every batch that continues it, then every device touched is
/// verified against its stored `ReceiptLog`.
pub fn write(conn: &mut PgConnection, batches: &[SlotBatch]) -> Result<(), StoreError> {
    let mut ordered: Vec<&SlotBatch> = batches.iter().collect();
    ordered.sort_by_key(|b| (b.batch.device.to_bytes(), b.batch.batch.first_seq));
    let mut touched: Vec<Pubkey> = Vec::new();
    for b in ordered {
        let inserted: Vec<Totals> = diesel::insert_into(receipts::table)
            .values(rows(b)?)
            .on_conflict_do_nothing()
            .returning((
                receipts::device,
                receipts::model,
                receipts::kind,
                receipts::compute_units,
                receipts::amount,
                receipts::worker,
                receipts::royalty,
                receipts::fee,
            ))
            .get_results(conn)?;
        add_totals(conn, &inserted)?;
        let device = b.batch.device.to_bytes().to_vec();
        let (count, head) = receipt_chains::table
            .find(&device)
            .select((receipt_chains::count, receipt_chains::head))
            .first::<(i64, Vec<u8>)>(conn)
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        // Only the batch that continues the chain advances it; a replay (older) or a batch
        // after a gap leaves it, and its records stay unverified.
        if bigint("first_seq", b.batch.batch.first_seq)? == count {
            let head: [u8; 32] = head.try_into().unwrap_or([0; 32]);
            let next = b.batch.chain_from(&head);
            let count = count + b.batch.batch.records.len() as i64;
            diesel::insert_into(receipt_chains::table)
                .values((
                    receipt_chains::device.eq(&device),
                    receipt_chains::count.eq(count),
                    receipt_chains::head.eq(next.to_vec()),
                ))
                .on_conflict(receipt_chains::device)
                .do_update()
                .set((
                    receipt_chains::count.eq(count),
                    receipt_chains::head.eq(next.to_vec()),
                ))
                .execute(conn)?;
        }
        if !touched.contains(&b.batch.device) {
            touched.push(b.batch.device);
        }
    }
    for device in touched {
        verify(conn, &device)?;
    }
    Ok(())
}

/// (device, model, kind, compute_units, amount, worker, royalty, fee) of a receipt.
type Totals = (Vec<u8>, Vec<u8>, String, i64, i64, i64, i64, i64);

/// Adds newly inserted receipts to `receipt_totals` and `device_totals` (a replayed
/// receipt was not inserted, so it is not counted twice).
fn add_totals(conn: &mut PgConnection, inserted: &[Totals]) -> Result<(), StoreError> {
    use crate::schema::receipt_totals as t;
    use diesel::upsert::excluded;
    // (device, model, kind) → [receipts, compute units, amount, worker, royalty, fee]
    type Key<'a> = (&'a [u8], &'a [u8], &'a str);
    let mut sums: Vec<(Key, [i64; 6])> = Vec::new();
    for (device, model, kind, cu, amount, worker, royalty, fee) in inserted {
        let add = [1, *cu, *amount, *worker, *royalty, *fee];
        let key: Key = (device, model, kind);
        match sums.iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => total.iter_mut().zip(add).for_each(|(t, a)| *t += a),
            None => sums.push((key, add)),
        }
    }
    let mut devices: Vec<crate::store::totals::DeviceTotals> = Vec::new();
    for ((device, _, kind), [n, cu, _, worker, ..]) in &sums {
        let i = match devices.iter().position(|d| d.device == *device) {
            Some(i) => i,
            None => {
                devices.push(crate::store::totals::DeviceTotals {
                    device: device.to_vec(),
                    ..Default::default()
                });
                devices.len() - 1
            }
        };
        let d = &mut devices[i];
        d.compute_units += cu;
        match *kind {
            "inference" => {
                d.inferences += n;
                d.inference_earnings += worker;
            }
            _ => d.job_receipts += n,
        }
    }
    for delta in &devices {
        crate::store::totals::add(conn, delta)?;
    }
    for ((device, model, kind), [n, cu, amount, worker, royalty, fee]) in sums {
        diesel::insert_into(t::table)
            .values((
                t::device.eq(device),
                t::model.eq(model),
                t::kind.eq(kind),
                t::receipts.eq(n),
                t::compute_units.eq(cu),
                t::amount.eq(amount),
                t::worker.eq(worker),
                t::royalty.eq(royalty),
                t::fee.eq(fee),
            ))
            .on_conflict((t::device, t::model, t::kind))
            .do_update()
            .set((
                t::receipts.eq(t::receipts + excluded(t::receipts)),
                t::compute_units.eq(t::compute_units + excluded(t::compute_units)),
                t::amount.eq(t::amount + excluded(t::amount)),
                t::worker.eq(t::worker + excluded(t::worker)),
                t::royalty.eq(t::royalty + excluded(t::royalty)),
                t::fee.eq(t::fee + excluded(t::fee)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks the device's records verified when the chain rebuilt from them is the one its
/// `ReceiptLog` holds (same count, same head).
pub fn verify(conn: &mut PgConnection, device: &Pubkey) -> Result<usize, StoreError> {
    let log_address = gpunet_sdk::proof::receipt_log_address(device);
    let Some(data) = accounts::table
        .find(log_address.to_bytes().to_vec())
        .select(accounts::data)
        .first::<Vec<u8>>(conn)
        .optional()?
    else {
        return Ok(0);
    };
    let Ok(log) = gpunet_sdk::decode_account::<ReceiptLog>(&data) else {
        return Ok(0);
    };
    let device_bytes = device.to_bytes().to_vec();
    let chain = receipt_chains::table
        .find(&device_bytes)
        .select((receipt_chains::count, receipt_chains::head))
        .first::<(i64, Vec<u8>)>(conn)
        .optional()?;
    match chain {
        Some((count, head)) if count as u64 == log.count && head == log.head => Ok(diesel::update(
            receipts::table
                .filter(receipts::device.eq(&device_bytes))
                .filter(receipts::seq.lt(count))
                .filter(receipts::verified.eq(false)),
        )
        .set(receipts::verified.eq(true))
        .execute(conn)?),
        _ => Ok(0),
    }
}
