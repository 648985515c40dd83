//! The OpenAPI 3.0 document of the explorer API, written out by hand next to the handlers
//! it describes (`api.rs`); a test checks every documented path answers.

use serde_json::{Value, json};

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
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

fn list(key: &str, item: &str) -> Value {
    json!({
        "type": "object",
        "required": [key, "limit", "offset"],
        "properties": {
            key: { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "limit": { "type": "integer" },
            "offset": { "type": "integer" },
        }
    })
}

fn responses(ok: Value, not_found: bool) -> Value {
    let error = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut responses = json!({
        "200": { "description": "OK", "content": { "application/json": { "schema": ok } } },
        "400": { "description": "bad input", "content": error["content"].clone() },
        "503": { "description": "the database is unavailable", "content": error["content"].clone() },
    });
    if not_found {
        responses["404"] =
            json!({ "description": "not found", "content": error["content"].clone() });
    }
    responses
}

pub fn document() -> Value {
    let integer = || json!({ "type": "integer" });
    let string = || json!({ "type": "string" });
    let mut device_params = vec![
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
    ];
    device_params.extend(page());
    let mut receipt_params = vec![
        address("device", "the device that computed"),
        address("model", "the model"),
        address("session", "the inference session"),
        address("hire", "the lease hire (job receipts)"),
        param("from", "unix time, inclusive", integer()),
        param("to", "unix time, exclusive", integer()),
    ];
    receipt_params.extend(page());
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "gpunet explorer API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "What the gpunet indexer stored from the chain. Amounts are integers in base units of the payment mint; addresses are base58."
        },
        "paths": {
            "/v1/devices": { "get": {
                "summary": "Devices, filtered, sorted and paginated",
                "parameters": device_params,
                "responses": responses(list("devices", "Device"), false),
            }},
            "/v1/devices/{address}": { "get": {
                "summary": "One device",
                "parameters": [{ "name": "address", "in": "path", "required": true, "schema": string() }],
                "responses": responses(json!({ "$ref": "#/components/schemas/Device" }), true),
            }},
            "/v1/receipts": { "get": {
                "summary": "Proof-of-compute records, newest first, with the transaction that carried each",
                "parameters": receipt_params,
                "responses": responses(list("receipts", "Receipt"), false),
            }},
            "/v1/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } } },
            }},
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": string() } },
            "Device": { "type": "object", "properties": {
                "address": string(), "owner": string(), "device_id": integer(), "agent": string(),
                "specs": { "type": "object", "properties": {
                    "gpu_model": integer(), "gpu_count": integer(), "vram_mib": integer(),
                    "cpu_cores": integer(), "ram_mib": integer(), "bandwidth_down_mbps": integer(),
                    "bandwidth_up_mbps": integer(), "country": string(), "region": integer(),
                    "supplier_group": integer(), "security_tier": integer(), "green": { "type": "boolean" },
                }},
                "connectivity_tier": integer(), "price_per_gpu_hour": integer(),
                "status": { "type": "string", "enum": ["active", "paused", "retired"] },
                "registered_at": integer(), "epochs_attested": integer(), "uptime_minutes": integer(),
                "reliability_bps": integer(), "slot": integer(),
            }},
            "Receipt": { "type": "object", "properties": {
                "device": string(), "seq": integer(),
                "kind": { "type": "string", "enum": ["inference", "lease_job"] },
                "reference": string(), "model": string(), "compute_units": integer(),
                "amount": integer(), "worker": integer(), "royalty": integer(), "fee": integer(),
                "timestamp": integer(), "result_hash": string(), "signature": string(),
                "slot": integer(), "verified": { "type": "boolean" },
            }},
        }},
    })
}
