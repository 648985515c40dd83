//! The registry's accounts: the network configuration and devices.

use diesel::prelude::*;
use gpunet_sdk::registry::{Device, DeviceStatus, NetworkConfig};

use super::key;
use crate::schema::{devices, network};
use crate::store::rows::{AccountRow, StoreError, bigint, int};

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = network, treat_none_as_default_value = false)]
pub struct NetworkRow {
    pub address: Vec<u8>,
    pub admin: Vec<u8>,
    pub pending_admin: Option<Vec<u8>>,
    pub payment_mint: Vec<u8>,
    pub stake_mint: Vec<u8>,
    pub treasury: Vec<u8>,
    pub renter_fee_bps: i32,
    pub supplier_fee_bps: i32,
    pub inference_fee_bps: i32,
    pub epoch_seconds: i64,
    pub epoch_anchor: i64,
    pub epoch_anchor_timestamp: i64,
    pub genesis_timestamp: i64,
    pub verifiers: i32,
    pub verifier_quorum: i16,
    pub paused: bool,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl NetworkRow {
    pub fn of(account: &AccountRow, n: NetworkConfig) -> Result<Self, StoreError> {
        Ok(NetworkRow {
            address: account.pubkey.clone(),
            admin: key(&n.admin),
            pending_admin: n.pending_admin.as_ref().map(key),
            payment_mint: key(&n.payment_mint),
            stake_mint: key(&n.stake_mint),
            treasury: key(&n.treasury),
            renter_fee_bps: n.fees.renter_fee_bps.into(),
            supplier_fee_bps: n.fees.supplier_fee_bps.into(),
            inference_fee_bps: n.fees.inference_fee_bps.into(),
            epoch_seconds: n.epoch_seconds.into(),
            epoch_anchor: bigint("epoch_anchor", n.epoch_anchor)?,
            epoch_anchor_timestamp: n.epoch_anchor_timestamp,
            genesis_timestamp: n.genesis_timestamp,
            verifiers: int("verifiers", n.verifiers.len() as u32)?,
            verifier_quorum: n.verifier_quorum.into(),
            paused: n.paused,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}

/// A device as the explorer reads it.
#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = devices, treat_none_as_default_value = false)]
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
    pub fn of(account: &AccountRow, device: Device) -> Result<Self, StoreError> {
        let specs = device.specs;
        Ok(DeviceRow {
            address: account.pubkey.clone(),
            owner: key(&device.owner),
            device_id: bigint("device_id", device.device_id)?,
            agent: key(&device.agent),
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
        })
    }
}
