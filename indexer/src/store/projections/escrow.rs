//! The escrow's accounts: leases (clusters) and their hires.

use diesel::prelude::*;
use gpunet_sdk::escrow::{Hire, Lease};

use super::key;
use crate::schema::{hires, leases};
use crate::store::rows::{AccountRow, StoreError, bigint, int};

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = leases, treat_none_as_default_value = false)]
pub struct LeaseRow {
    pub address: Vec<u8>,
    pub renter: Vec<u8>,
    pub lease_id: i64,
    pub name: String,
    pub payment_mint: Vec<u8>,
    pub vault: Vec<u8>,
    pub max_price_per_gpu_hour: i64,
    pub created_at: i64,
    pub terminated_at_epoch: Option<i64>,
    pub hires: i32,
    pub active_hires: i32,
    pub deposited: i64,
    pub paid_to_owners: i64,
    pub fees: i64,
    pub refunded: i64,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
    /// `cmd:...`, `image:...` or empty (the worker agent's benchmark workload). Last, as
    /// migration 000006 added the column.
    pub job: String,
}

impl LeaseRow {
    pub fn of(account: &AccountRow, l: Lease) -> Result<Self, StoreError> {
        Ok(LeaseRow {
            address: account.pubkey.clone(),
            renter: key(&l.renter),
            lease_id: bigint("lease_id", l.lease_id)?,
            name: l.name,
            payment_mint: key(&l.payment_mint),
            vault: key(&l.vault),
            max_price_per_gpu_hour: bigint("max_price_per_gpu_hour", l.max_price_per_gpu_hour)?,
            created_at: l.created_at,
            terminated_at_epoch: l
                .terminated_at_epoch
                .map(|e| bigint("terminated_at_epoch", e))
                .transpose()?,
            hires: int("hires", l.hires)?,
            active_hires: int("active_hires", l.active_hires)?,
            deposited: bigint("deposited", l.totals.deposited)?,
            paid_to_owners: bigint("paid_to_owners", l.totals.paid_to_owners)?,
            fees: bigint("fees", l.totals.fees)?,
            refunded: bigint("refunded", l.totals.refunded)?,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
            job: l.job,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = hires, treat_none_as_default_value = false)]
pub struct HireRow {
    pub address: Vec<u8>,
    pub lease: Vec<u8>,
    pub device: Vec<u8>,
    pub owner: Vec<u8>,
    pub gpu_count: i32,
    pub price_per_gpu_hour: i64,
    pub epoch_price: i64,
    pub renter_fee: i64,
    pub supplier_fee: i64,
    pub start_epoch: i64,
    pub end_epoch: i64,
    pub settled_through: i64,
    pub released: bool,
    pub epochs_paid: i64,
    pub epochs_missed: i64,
    pub paid_to_owner: i64,
    pub fees: i64,
    pub refunded: i64,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl HireRow {
    pub fn of(account: &AccountRow, h: Hire) -> Result<Self, StoreError> {
        Ok(HireRow {
            address: account.pubkey.clone(),
            lease: key(&h.lease),
            device: key(&h.device),
            owner: key(&h.owner),
            gpu_count: h.gpu_count.into(),
            price_per_gpu_hour: bigint("price_per_gpu_hour", h.price_per_gpu_hour)?,
            epoch_price: bigint("terms.price", h.terms.price)?,
            renter_fee: bigint("terms.renter_fee", h.terms.renter_fee)?,
            supplier_fee: bigint("terms.supplier_fee", h.terms.supplier_fee)?,
            start_epoch: bigint("start_epoch", h.start_epoch)?,
            end_epoch: bigint("end_epoch", h.end_epoch)?,
            settled_through: bigint("settled_through", h.settled_through)?,
            released: h.released,
            epochs_paid: bigint("epochs_paid", h.epochs_paid)?,
            epochs_missed: bigint("epochs_missed", h.epochs_missed)?,
            paid_to_owner: bigint("paid_to_owner", h.paid_to_owner)?,
            fees: bigint("fees", h.fees)?,
            refunded: bigint("refunded", h.refunded)?,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}
