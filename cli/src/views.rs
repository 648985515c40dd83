//! JSON views of the gpunet accounts. Amounts are integers in base units (exact for
//! scripts); addresses are base58 strings.

use gpunet_sdk::Pubkey;
use gpunet_sdk::escrow::{EpochTerms, Hire, Lease};
use gpunet_sdk::proof::{Model, ReceiptLog, Session, Split};
use gpunet_sdk::registry::{Device, DeviceSpecs, DeviceStatus, NetworkConfig};
use gpunet_sdk::staking::{StakeAccount, StakingConfig};
use serde_json::{Value, json};

use gpunet_sdk::hex;

fn keys(keys: &[Pubkey]) -> Vec<String> {
    keys.iter().map(Pubkey::to_string).collect()
}

pub fn network(address: &Pubkey, c: &NetworkConfig, epoch: Option<u64>) -> Value {
    json!({
        "address": address.to_string(),
        "admin": c.admin.to_string(),
        "pending_admin": c.pending_admin.map(|k| k.to_string()),
        "payment_mint": c.payment_mint.to_string(),
        "stake_mint": c.stake_mint.to_string(),
        "treasury": c.treasury.to_string(),
        "fees": {
            "renter_fee_bps": c.fees.renter_fee_bps,
            "supplier_fee_bps": c.fees.supplier_fee_bps,
            "inference_fee_bps": c.fees.inference_fee_bps,
        },
        "epoch_seconds": c.epoch_seconds,
        "genesis_timestamp": c.genesis_timestamp,
        "current_epoch": epoch,
        "verifiers": keys(&c.verifiers),
        "verifier_quorum": c.verifier_quorum,
        "paused": c.paused,
    })
}

pub fn staking(c: &StakingConfig) -> Value {
    json!({
        "stake_mint": c.stake_mint.to_string(),
        "base_stake_per_gpu": c.base_stake_per_gpu,
        "default_multiplier_bps": c.default_multiplier_bps,
        "multipliers": c.multipliers.iter().map(|m| json!({
            "gpu_model": m.gpu_model,
            "multiplier_bps": m.multiplier_bps,
        })).collect::<Vec<_>>(),
        "cooldown_seconds": c.cooldown_seconds,
        "challenge_window_seconds": c.challenge_window_seconds,
        "missed_epoch_bps": c.slash.missed_epoch_bps,
        "renter_share_bps": c.slash.renter_share_bps,
        "emission_per_epoch": c.emission.per_epoch,
        "grace_epochs": c.grace_epochs,
        "allocated": c.allocated,
    })
}

pub fn status(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Active => "active",
        DeviceStatus::Paused => "paused",
        DeviceStatus::Retired => "retired",
    }
}

pub fn specs(s: &DeviceSpecs) -> Value {
    json!({
        "gpu_model": s.gpu_model,
        "gpu_count": s.gpu_count,
        "vram_mib": s.vram_mib,
        "cpu_cores": s.cpu_cores,
        "ram_mib": s.ram_mib,
        "bandwidth_down_mbps": s.bandwidth_down_mbps,
        "bandwidth_up_mbps": s.bandwidth_up_mbps,
        "country": String::from_utf8_lossy(&s.country),
        "region": s.region,
        "supplier_group": s.supplier_group,
        "security_tier": s.security_tier,
        "green": s.green,
    })
}

pub fn device(address: &Pubkey, d: &Device) -> Value {
    json!({
        "address": address.to_string(),
        "owner": d.owner.to_string(),
        "device_id": d.device_id,
        "agent": d.agent.to_string(),
        "status": status(d.status),
        "price_per_gpu_hour": d.price_per_gpu_hour,
        "connectivity_tier": d.connectivity_tier,
        "registered_at": d.registered_at,
        "specs": specs(&d.specs),
        "uptime": {
            "epochs_attested": d.uptime.epochs_attested,
            "last_epoch": (d.uptime.epochs_attested > 0).then_some(d.uptime.head_epoch),
            "uptime_minutes": d.uptime.uptime_minutes,
            "reliability_bps": d.uptime.reliability_bps,
        },
    })
}

pub fn stake(address: &Pubkey, s: &StakeAccount) -> Value {
    json!({
        "address": address.to_string(),
        "device": s.device.to_string(),
        "owner": s.owner.to_string(),
        "active": s.active,
        "cooling": s.cooling,
        "unlock_at": s.unlock_at,
        "pending_slashes": s.pending_slashes,
        "pending_slash_amount": s.pending_slash_amount,
        "slashes_proposed": s.slashes_proposed,
        "slashed_total": s.slashed_total,
        "rewards_claimed": s.rewards_claimed,
        "pending_reward_epochs": s.pending_rewards.iter().map(|p| p.epoch).collect::<Vec<_>>(),
    })
}

fn terms(t: &EpochTerms) -> Value {
    json!({ "price": t.price, "renter_fee": t.renter_fee, "supplier_fee": t.supplier_fee })
}

pub fn lease(address: &Pubkey, l: &Lease) -> Value {
    json!({
        "address": address.to_string(),
        "renter": l.renter.to_string(),
        "lease_id": l.lease_id,
        "name": l.name,
        "job": l.job,
        "vault": l.vault.to_string(),
        "max_price_per_gpu_hour": l.max_price_per_gpu_hour,
        "terminated_at_epoch": l.terminated_at_epoch,
        "hires": l.hires,
        "active_hires": l.active_hires,
        "totals": {
            "deposited": l.totals.deposited,
            "paid_to_owners": l.totals.paid_to_owners,
            "fees": l.totals.fees,
            "refunded": l.totals.refunded,
        },
    })
}

pub fn hire(address: &Pubkey, h: &Hire) -> Value {
    json!({
        "address": address.to_string(),
        "device": h.device.to_string(),
        "owner": h.owner.to_string(),
        "gpu_count": h.gpu_count,
        "price_per_gpu_hour": h.price_per_gpu_hour,
        "epoch_terms": terms(&h.terms),
        "start_epoch": h.start_epoch,
        "end_epoch": h.end_epoch,
        "settled_through": h.settled_through,
        "released": h.released,
        "epochs_paid": h.epochs_paid,
        "epochs_missed": h.epochs_missed,
        "paid_to_owner": h.paid_to_owner,
        "fees": h.fees,
        "refunded": h.refunded,
    })
}

pub fn model(address: &Pubkey, m: &Model) -> Value {
    json!({
        "address": address.to_string(),
        "owner": m.owner.to_string(),
        "model_id": m.model_id,
        "royalty_bps": m.royalty_bps,
        "price_per_unit": m.price_per_unit,
        "metadata_uri": m.metadata_uri,
        "metadata_hash": hex(&m.metadata_hash),
    })
}

pub fn session(address: &Pubkey, s: &Session) -> Value {
    json!({
        "address": address.to_string(),
        "consumer": s.consumer.to_string(),
        "session_id": s.session_id,
        "model": s.model.to_string(),
        "authorizer": s.authorizer.to_string(),
        "vault": s.vault.to_string(),
        "deposited": s.deposited,
        "spent": s.spent,
        "closing_at": s.closing_at,
    })
}

pub fn split(s: &Split) -> Value {
    json!({ "amount": s.amount, "worker": s.worker, "royalty": s.royalty, "fee": s.fee })
}

pub fn receipt_log(address: &Pubkey, r: &ReceiptLog) -> Value {
    json!({
        "address": address.to_string(),
        "device": r.device.to_string(),
        "count": r.count,
        "compute_units": r.compute_units,
        "totals": split(&r.totals),
        "head": hex(&r.head),
    })
}
