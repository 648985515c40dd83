//! Decoded tables ("projections") of the stored accounts, written in the same transaction
//! as the account rows and guarded by the same (slot, write_version), so a projection is
//! never newer or older than the account it comes from.

use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use gpunet_sdk::registry::{Device, DeviceStatus};

use crate::schema::devices;
use crate::store::{AccountRow, StoreError, bigint};

/// A device as the explorer reads it.
#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    pub address: Vec<u8>,
    pub owner: Vec<u8>,
    pub device_id: i64,
    pub agent: Vec<u8>,
    pub gpu_model: i32,
    pub gpu_count: i32,
    pub vram_mib: i64,
    pub cpu_cores: i32,
    pub ram_mib: i64,
    pub bandwidth_down_mbps: i64,
    pub bandwidth_up_mbps: i64,
    pub country: String,
    pub region: i32,
    pub supplier_group: i16,
    pub security_tier: i16,
    pub green: bool,
    pub connectivity_tier: i16,
    pub price_per_gpu_hour: i64,
    pub status: String,
    pub registered_at: i64,
    pub epochs_attested: i64,
    pub uptime_minutes: i64,
    pub reliability_bps: i32,
    pub slot: i64,
    pub write_version: i64,
}

impl DeviceRow {
    /// The row of `account`, `None` when it is not a device (or does not decode: the raw
    /// row is kept either way).
    pub fn of(account: &AccountRow) -> Result<Option<Self>, StoreError> {
        if account.kind != "Device" {
            return Ok(None);
        }
        let Ok(device) = gpunet_sdk::decode_account::<Device>(&account.data) else {
            return Ok(None);
        };
        let specs = device.specs;
        Ok(Some(DeviceRow {
            address: account.pubkey.clone(),
            owner: device.owner.to_bytes().to_vec(),
            device_id: bigint("device_id", device.device_id)?,
            agent: device.agent.to_bytes().to_vec(),
            gpu_model: specs.gpu_model.into(),
            gpu_count: specs.gpu_count.into(),
            vram_mib: specs.vram_mib.into(),
            cpu_cores: specs.cpu_cores.into(),
            ram_mib: specs.ram_mib.into(),
            bandwidth_down_mbps: specs.bandwidth_down_mbps.into(),
            bandwidth_up_mbps: specs.bandwidth_up_mbps.into(),
            country: String::from_utf8_lossy(&specs.country).into_owned(),
            region: specs.region.into(),
            supplier_group: specs.supplier_group.into(),
            security_tier: specs.security_tier.into(),
            green: specs.green,
            connectivity_tier: device.connectivity_tier.into(),
            price_per_gpu_hour: bigint("price_per_gpu_hour", device.price_per_gpu_hour)?,
            status: match device.status {
                DeviceStatus::Active => "active",
                DeviceStatus::Paused => "paused",
                DeviceStatus::Retired => "retired",
            }
            .into(),
            registered_at: device.registered_at,
            epochs_attested: bigint("epochs_attested", device.uptime.epochs_attested)?,
            uptime_minutes: bigint("uptime_minutes", device.uptime.uptime_minutes)?,
            reliability_bps: device.uptime.reliability_bps.into(),
            slot: account.slot,
            write_version: account.write_version,
        }))
    }
}

/// Writes the projections of `rows` (inside the caller's transaction).
pub fn write(conn: &mut PgConnection, rows: &[AccountRow]) -> Result<usize, StoreError> {
    let mut written = 0;
    for row in rows {
        if let Some(device) = DeviceRow::of(row)? {
            let upsert = diesel::insert_into(devices::table)
                .values(&device)
                .on_conflict(devices::address)
                .do_update()
                .set(&device);
            let newer = sql::<Bool>(
                "(devices.slot, devices.write_version) < (excluded.slot, excluded.write_version)",
            );
            written +=
                diesel::query_dsl::methods::FilterDsl::filter(upsert, newer).execute(conn)?;
        }
    }
    Ok(written)
}
