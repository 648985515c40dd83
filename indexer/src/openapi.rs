//! The OpenAPI 3.0 document of the explorer API, written out by hand next to the handlers
//! it describes (`api/`); the tests check every documented path answers, and a
//! property-based client drives every operation from this document.

use serde_json::{Value, json};

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description,
            "schema": { "type": "string", "description": "base58 address" } })
}

fn address(name: &str, description: &str) -> Value {
    param(
        name,
        description,
        json!({ "type": "string", "description": "base58 address" }),
    )
}

fn page() -> [Value; 2] {
    [
        param(
            "limit",
            "page size",
            json!({ "type": "integer", "minimum": 1, "maximum": crate::api::MAX_LIMIT, "default": crate::api::DEFAULT_LIMIT }),
        ),
        param(
            "offset",
            "rows to skip",
            json!({ "type": "integer", "minimum": 0, "default": 0 }),
        ),
    ]
}

fn with_page(mut params: Vec<Value>) -> Vec<Value> {
    params.extend(page());
    params
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list(key: &str, item: &str) -> Value {
    json!({
        "type": "object",
        "required": [key, "limit", "offset"],
        "properties": {
            key: { "type": "array", "items": schema(item) },
            "limit": { "type": "integer" },
            "offset": { "type": "integer" },
        }
    })
}

fn responses(ok: Value, not_found: bool) -> Value {
    let error = json!({ "application/json": { "schema": schema("Error") } });
    let mut responses = json!({
        "200": { "description": "OK", "content": { "application/json": { "schema": ok } } },
        "400": { "description": "bad input", "content": error },
        "429": { "description": "over the per-client rate limit (see Retry-After)", "content": error },
        "503": { "description": "the database is unavailable", "content": error },
    });
    // Any request can miss every route (a path parameter with a raw '/').
    responses["404"] = json!({
        "description": if not_found { "no such resource, or no such endpoint" } else { "no such endpoint" },
        "content": error,
    });
    responses
}

fn get(summary: &str, parameters: Vec<Value>, ok: Value, not_found: bool) -> Value {
    json!({ "get": {
        "summary": summary,
        "parameters": parameters,
        "responses": responses(ok, not_found),
    }})
}

fn integer() -> Value {
    json!({ "type": "integer" })
}
fn string() -> Value {
    json!({ "type": "string" })
}
fn boolean() -> Value {
    json!({ "type": "boolean" })
}
fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}
fn object(properties: Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map_or(vec![], |p| p.keys().collect());
    json!({ "type": "object", "required": required, "properties": properties })
}

pub fn document() -> Value {
    let devices = with_page(vec![
        param(
            "status",
            "device status",
            json!({ "type": "string", "enum": ["active", "paused", "retired"] }),
        ),
        param("gpu_model", "GPU model code", integer()),
        param("country", "ISO 3166-1 alpha-2 country code", string()),
        address("owner", "the owner wallet"),
        param(
            "sort",
            "order of the list",
            json!({ "type": "string", "enum": ["address", "price", "-price", "reliability", "-reliability"], "default": "address" }),
        ),
    ]);
    let receipts = with_page(vec![
        address("device", "the device that computed"),
        address("model", "the model"),
        address("session", "the inference session"),
        address("hire", "the lease hire (job receipts)"),
        param("from", "unix time, inclusive", integer()),
        param("to", "unix time, exclusive", integer()),
    ]);
    let leases = with_page(vec![
        address("renter", "the renter wallet"),
        param(
            "open",
            "true: leases not closed; false: closed ones",
            json!({ "type": "boolean" }),
        ),
    ]);
    let hires = with_page(vec![
        address("device", "the hired device"),
        address("lease", "the lease"),
        address("owner", "the device owner"),
    ]);
    let supply = vec![param(
        "by",
        "the device property to group by",
        json!({ "type": "string", "enum": crate::api::SUPPLY_GROUPS, "default": "gpu_model" }),
    )];
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "gpunet explorer API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "What the gpunet indexer stored from the chain. Amounts are integers in base units: of the payment mint for leases, hires, settlements and inferences; of the stake mint for stakes, rewards and slashes. Addresses are base58. Every error is a JSON object {\"error\": message}.",
        },
        "paths": {
            "/v1/network": get("Network configuration and totals", vec![], schema("Network"), false),
            "/v1/supply": get("Live supply of active devices, grouped, with prices per GPU-hour", supply, schema("Supply"), false),
            "/v1/epochs": get("Epochs with block rewards, newest first", with_page(vec![]), list("epochs", "Epoch"), false),
            "/v1/devices": get("Devices, filtered, sorted and paginated", devices, list("devices", "Device"), false),
            "/v1/devices/{address}": get("One device with its stake, slashes and earnings", vec![path_param("address", "the device")], schema("DeviceDetail"), true),
            "/v1/devices/{address}/epochs": get("A device's epochs, newest first: attestation, weight, reward, missed hired epochs and slashes", with_page(vec![path_param("address", "the device")]), schema("DeviceEpochs"), false),
            "/v1/leases": get("Leases (clusters), newest first", leases, list("leases", "Lease"), false),
            "/v1/leases/{address}": get("One lease with its hires and their settlements", vec![path_param("address", "the lease")], schema("LeaseDetail"), true),
            "/v1/hires": get("Hires, newest first", hires, list("hires", "Hire"), false),
            "/v1/receipts": get("Proof-of-compute records, newest first, with the transaction that carried each", receipts, list("receipts", "Receipt"), false),
            "/v1/models": get("Models", with_page(vec![address("owner", "the model owner")]), list("models", "Model"), false),
            "/v1/models/{address}": get("One model with what it served", vec![path_param("address", "the model")], schema("ModelDetail"), true),
            "/v1/sessions": get("Inference sessions", with_page(vec![address("consumer", "the consumer wallet"), address("model", "the model")]), list("sessions", "Session"), false),
            "/v1/suppliers/{owner}/earnings": get("A supplier's earnings across its devices", vec![path_param("owner", "the owner wallet")], schema("SupplierEarnings"), false),
            "/v1/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } } },
            }},
        },
        "components": { "schemas": schemas() },
    })
}

fn schemas() -> Value {
    let n_integer = || nullable(integer());
    let n_string = || nullable(string());
    let earnings = object(json!({
        "device": string(),
        "payment": object(json!({ "lease": integer(), "inference": integer(), "total": integer() })),
        "stake_token": object(json!({ "rewards_claimed": integer(), "staked": integer(), "slashed": integer(), "pending_slash": integer() })),
        "work": object(json!({ "epochs_paid": integer(), "epochs_missed": integer(), "inferences": integer(), "job_receipts": integer(), "compute_units": integer() })),
    }));
    let device = json!({
        "address": string(), "owner": string(), "device_id": integer(), "agent": string(),
        "specs": object(json!({
            "gpu_model": integer(), "gpu_count": integer(), "vram_mib": integer(),
            "cpu_cores": integer(), "ram_mib": integer(), "bandwidth_down_mbps": integer(),
            "bandwidth_up_mbps": integer(), "country": string(), "region": integer(),
            "supplier_group": integer(), "security_tier": integer(), "green": boolean(),
        })),
        "connectivity_tier": integer(), "price_per_gpu_hour": integer(),
        "status": { "type": "string", "enum": ["active", "paused", "retired"] },
        "registered_at": integer(), "epochs_attested": integer(), "uptime_minutes": integer(),
        "reliability_bps": integer(), "slot": integer(),
    });
    let mut detail = device.clone();
    detail["stake"] = nullable(object(json!({
        "address": string(), "active": integer(), "cooling": integer(), "unlock_at": integer(),
        "pending_slashes": integer(), "pending_slash_amount": integer(), "slashed_total": integer(),
        "rewards_claimed": integer(), "epochs_pending_reward": integer(),
    })));
    detail["slashes"] = json!({ "type": "array", "items": object(json!({
        "address": string(), "slash_id": integer(), "amount": integer(),
        "reason": { "type": "string", "enum": ["missed_epochs", "fraud"] },
        "missed_epochs": n_integer(),
        "status": { "type": "string", "enum": ["pending", "cancelled", "finalized"] },
        "taken": integer(), "proposed_at": integer(), "beneficiary": n_string(),
    }))});
    detail["earnings"] = nullable(earnings.clone());
    let lease = json!({
        "address": string(), "renter": string(), "lease_id": integer(), "name": string(),
        "job": {
            "type": "string",
            "description": "what the devices run: `cmd:<shell command>`, `image:<container image reference>`, or empty for the worker agent's benchmark workload",
        },
        "payment_mint": string(), "max_price_per_gpu_hour": integer(), "created_at": integer(),
        "terminated_at_epoch": n_integer(), "hires": integer(), "active_hires": integer(),
        "deposited": integer(), "paid_to_owners": integer(), "fees": integer(),
        "refunded": integer(), "owed": integer(), "closed_slot": n_integer(), "slot": integer(),
    });
    let mut lease_detail = lease.clone();
    lease_detail["hire_list"] = json!({ "type": "array", "items": schema("Hire") });
    lease_detail["settlements"] = json!({ "type": "array", "items": object(json!({
        "hire": string(), "from_epoch": integer(), "to_epoch": integer(), "attested": integer(),
        "missed": integer(), "missed_mask": integer(), "to_owner": integer(),
        "to_treasury": integer(), "to_renter": integer(), "signature": string(), "slot": integer(),
    }))});
    let model = json!({
        "address": string(), "owner": string(), "model_id": integer(), "royalty_bps": integer(),
        "price_per_unit": integer(), "metadata_uri": string(), "metadata_hash": string(),
        "closed_slot": n_integer(), "slot": integer(),
    });
    let mut model_detail = model.clone();
    for key in ["inferences", "compute_units", "volume", "royalties"] {
        model_detail[key] = integer();
    }
    json!({
        "Error": object(json!({ "error": string() })),
        "Network": object(json!({
            "network": nullable(object(json!({
                "address": string(), "admin": string(), "payment_mint": string(),
                "stake_mint": string(), "treasury": string(),
                "fees_bps": object(json!({ "renter": integer(), "supplier": integer(), "inference": integer() })),
                "epoch_seconds": integer(), "current_epoch": n_integer(),
                "genesis_timestamp": integer(), "verifiers": integer(),
                "verifier_quorum": integer(), "paused": boolean(),
            }))),
            "staking": nullable(object(json!({
                "base_stake_per_gpu": integer(), "cooldown_seconds": integer(),
                "challenge_window_seconds": integer(), "missed_epoch_slash_bps": integer(),
                "renter_share_bps": integer(), "emission_per_epoch": integer(),
                "emission_cap": integer(), "emission_allocated": integer(),
            }))),
            "totals": object(json!({
                "devices": integer(), "active_devices": integer(), "active_gpus": integer(),
                "open_leases": integer(), "active_hires": integer(), "staked": integer(),
                "receipts": integer(), "compute_units": integer(), "inference_volume": integer(),
                "paid_to_owners": integer(), "lease_fees": integer(), "inference_fees": integer(),
                "rewards_emitted": integer(), "rewards_claimed": integer(), "slashes": integer(),
                "slashed": integer(), "models": integer(),
            })),
            "indexed_slot": n_integer(),
            "finalized_slot": n_integer(),
        })),
        "Supply": object(json!({
            "by": string(),
            "groups": { "type": "array", "items": object(json!({
                "key": string(), "devices": integer(), "gpus": integer(),
                "available_devices": integer(), "available_gpus": integer(),
                "avg_price_per_gpu_hour": n_integer(), "min_price_per_gpu_hour": n_integer(),
                "available_min_price_per_gpu_hour": n_integer(),
            }))},
        })),
        "Epoch": object(json!({
            "epoch": integer(), "emission": integer(), "total_weight": integer(),
            "devices": integer(), "claimed": integer(),
        })),
        "Device": object(device),
        "DeviceDetail": object(detail),
        "DeviceEpochs": object(json!({
            "device": string(), "limit": integer(), "offset": integer(),
            "epochs": { "type": "array", "items": object(json!({
                "epoch": integer(), "attested": boolean(), "uptime_minutes": n_integer(),
                "reliability_bps": n_integer(), "verifier_signatures": n_integer(),
                "pow_digest": n_string(), "attestation_signature": n_string(),
                "weight": n_integer(), "epoch_emission": n_integer(),
                "epoch_total_weight": n_integer(), "reward_share": n_integer(),
                "reward_claimed": n_integer(), "missed_hired": boolean(),
                "slash_proposed": n_integer(),
            }))},
        })),
        "Lease": object(lease),
        "LeaseDetail": object(lease_detail),
        "Hire": object(json!({
            "address": string(), "lease": string(), "device": string(), "owner": string(),
            "gpu_count": integer(), "price_per_gpu_hour": integer(),
            "per_epoch": object(json!({ "price": integer(), "renter_fee": integer(), "supplier_fee": integer() })),
            "start_epoch": integer(), "end_epoch": integer(), "settled_through": integer(),
            "released": boolean(), "epochs_paid": integer(), "epochs_missed": integer(),
            "paid_to_owner": integer(), "fees": integer(), "refunded": integer(),
            "closed_slot": n_integer(), "slot": integer(),
        })),
        "Receipt": object(json!({
            "device": string(), "seq": integer(),
            "kind": { "type": "string", "enum": ["inference", "lease_job"] },
            "reference": string(), "model": string(), "compute_units": integer(),
            "amount": integer(), "worker": integer(), "royalty": integer(), "fee": integer(),
            "timestamp": integer(), "result_hash": string(), "signature": string(),
            "slot": integer(), "verified": boolean(), "finalized": boolean(),
        })),
        "Model": object(model),
        "ModelDetail": object(model_detail),
        "Session": object(json!({
            "address": string(), "consumer": string(), "session_id": integer(),
            "model": string(), "authorizer": string(), "payment_mint": string(),
            "deposited": integer(), "spent": integer(), "closing_at": n_integer(),
            "closed_slot": n_integer(), "slot": integer(),
        })),
        "SupplierEarnings": object(json!({
            "owner": string(),
            "devices": { "type": "array", "items": earnings },
            "totals": object(json!({
                "payment": object(json!({ "lease": integer(), "inference": integer(), "total": integer() })),
                "stake_token": object(json!({ "rewards_claimed": integer(), "staked": integer(), "slashed": integer(), "pending_slash": integer() })),
            })),
        })),
    })
}
