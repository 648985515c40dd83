//! A property-based client driven by the OpenAPI document (in the manner of schemathesis):
//! for every documented operation it generates requests from the parameters' schemas —
//! valid values, boundaries, wrong types, malformed encodings, unknown and repeated
//! parameters, known and unknown addresses — against an API over the main job's tour.
//! Properties: no 5xx ever; every answer is JSON; a 200 conforms to the documented schema; an
//! error is `{"error": ...}` with a status the document lists for that operation.

mod common;

use common::tour;
use common::{serve_api, until_equal};
use serde_json::Value;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const GARBAGE: [&str; 14] = [
    "",
    "0",
    "-1",
    "not-base58!",
    "%FF",
    "%zz",
    "1111111111111111111111111111111",
    "🦀",
    "../../etc/passwd",
    "'; DROP TABLE devices; --",
    "null",
    "true",
    "9223372036854775808",
    "1e3",
];

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A value for a parameter of `schema`: mostly plausible, often at or past a boundary,
/// sometimes garbage. Returned already encoded for a URL (garbage sometimes raw).
fn value(rng: &mut Rng, schema: &Value, addresses: &[String]) -> String {
    if rng.chance(15) {
        let garbage = rng.pick(&GARBAGE).to_string();
        return if rng.chance(30) {
            garbage
        } else {
            encode(&garbage)
        };
    }
    if let Some(options) = schema["enum"].as_array() {
        return encode(rng.pick(options).as_str().unwrap_or("x"));
    }
    let raw = match schema["type"].as_str() {
        Some("integer") => {
            let min = schema["minimum"].as_i64();
            let max = schema["maximum"].as_i64();
            let mut candidates = vec![0, 1, -1, 7, 100, i64::MAX, i64::MIN];
            for bound in [min, max].into_iter().flatten() {
                candidates.extend([bound - 1, bound, bound + 1]);
            }
            rng.pick(&candidates).to_string()
        }
        Some("boolean") => rng.pick(&["true", "false", "TRUE", "1"]).to_string(),
        _ if schema["description"] == "base58 address" => {
            if rng.chance(80) {
                rng.pick(addresses).clone()
            } else {
                Keypair::new().pubkey().to_string()
            }
        }
        _ => rng.pick(&["DE", "de", "US", "ZZZ", "ü"]).to_string(),
    };
    encode(&raw)
}

/// Resolves a `$ref` into `doc`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(&r.replace("#/", "/"))
            .expect("a resolvable $ref"),
        None => schema,
    }
}

/// Checks `value` against `schema` (the subset of OpenAPI the document uses).
fn conforms(doc: &Value, value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{at}: null where {schema} is not nullable"))
        };
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} not in {options:?}"));
    }
    let ok = match schema["type"].as_str() {
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("array") => {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                conforms(doc, item, &schema["items"], &format!("{at}[{i}]"))?;
            }
            value.is_array()
        }
        Some("object") => {
            let Some(map) = value.as_object() else {
                return Err(format!("{at}: {value} is not an object"));
            };
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                if !map.contains_key(key) {
                    return Err(format!("{at}: required {key:?} missing"));
                }
            }
            for (key, property) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(v) = map.get(key) {
                    conforms(doc, v, property, &format!("{at}.{key}"))?;
                }
            }
            true
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{at}: {value} is not {}", schema["type"]))
    }
}

/// Every address the API knows of (devices, owners, leases, hires, models, sessions).
async fn known_addresses(base: &str) -> Vec<String> {
    let mut addresses = Vec::new();
    for (path, key, fields) in [
        (
            "/v1/devices?limit=100",
            "devices",
            &["address", "owner"][..],
        ),
        ("/v1/leases?limit=100", "leases", &["address", "renter"][..]),
        ("/v1/hires?limit=100", "hires", &["address"][..]),
        ("/v1/models?limit=100", "models", &["address", "owner"][..]),
        (
            "/v1/sessions?limit=100",
            "sessions",
            &["address", "consumer"][..],
        ),
    ] {
        let body: Value = reqwest::get(format!("{base}{path}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in body[key].as_array().unwrap() {
            for field in fields {
                addresses.push(item[*field].as_str().unwrap().to_string());
            }
        }
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_property_based_client_driven_by_the_openapi_document_never_gets_a_5xx() {
    let tour = tour::followed("openapi").await;
    until_equal(&tour.rpc, &tour.url).await;
    let base = serve_api(&tour.url, Default::default()).await;

    let doc: Value = reqwest::get(format!("{base}/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let addresses = known_addresses(&base).await;
    assert!(addresses.len() >= 10, "the tour leaves data to explore");
    let seed = std::env::var("GPUNET_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6770_756e_6574_u64);
    let mut rng = Rng(seed);
    let http = reqwest::Client::new();
    let (mut ok, mut refused, mut requests) = (0, 0, 0);
    const CASES: usize = 150;

    for (template, item) in doc["paths"].as_object().unwrap() {
        let operation = &item["get"];
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for _ in 0..CASES {
            let mut path = template.clone();
            let mut query: Vec<String> = Vec::new();
            for p in &parameters {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    let v = value(&mut rng, &p["schema"], &addresses);
                    path = path.replace(&format!("{{{name}}}"), &v);
                } else if rng.chance(50) {
                    query.push(format!(
                        "{name}={}",
                        value(&mut rng, &p["schema"], &addresses)
                    ));
                    if rng.chance(5) {
                        query.push(format!(
                            "{name}={}",
                            value(&mut rng, &p["schema"], &addresses)
                        ));
                    }
                }
            }
            if rng.chance(10) {
                query.push(format!("unknown_{}=1", rng.below(3)));
            }
            let target = if query.is_empty() {
                format!("{base}{path}")
            } else {
                format!("{base}{path}?{}", query.join("&"))
            };
            requests += 1;
            let response = http.get(&target).send().await.expect("the API answers");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(
                status < 500,
                "GET {target} -> {status} {body} (seed {seed})"
            );
            let json: Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("GET {target} -> {status}: not JSON: {body}"));
            let documented = &operation["responses"][status.to_string()];
            assert!(
                !documented.is_null(),
                "GET {target} -> {status}, which the document does not list"
            );
            let schema = &documented["content"]["application/json"]["schema"];
            if let Err(e) = conforms(&doc, &json, schema, "$") {
                panic!("GET {target} -> {status}: {e} (seed {seed})");
            }
            if status == 200 {
                ok += 1;
            } else {
                assert!(json["error"].is_string(), "GET {target}: {body}");
                refused += 1;
            }
        }
    }
    // Both sides were exercised: real answers and refusals.
    assert!(ok > requests / 5, "{ok} of {requests} answered 200");
    assert!(refused > requests / 10, "{refused} of {requests} refused");
    eprintln!("{requests} requests: {ok} answered, {refused} refused, none 5xx (seed {seed})");
}
