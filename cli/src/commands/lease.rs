//! `gpunet lease ...`.

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::Signature;
use gpunet_sdk::client::{GpunetClient, Result as ClientResult};
use gpunet_sdk::escrow;
use serde_json::{Value, json};

use super::wallet::usdc;
use crate::args::LeaseCommand;
use crate::keys::parse_pubkey;
use crate::output::Output;
use crate::{CliError, Context, Result, signed, views};

pub async fn run(ctx: &Context, command: LeaseCommand) -> Result<Value> {
    let client = ctx.client_or_reader(matches!(command, LeaseCommand::Show { .. }))?;
    match command {
        LeaseCommand::Create {
            id,
            name,
            max_price,
        } => {
            let max = usdc(&client, &max_price).await?;
            let created = client.create_lease(id, &name, max).await?;
            Ok(signed(
                created.signature,
                json!({ "lease": created.address.to_string(), "renter": client.pubkey().to_string() }),
            ))
        }
        LeaseCommand::Hire {
            lease,
            devices,
            epochs,
        } => hire(&client, &ctx.out, &lease, &parse_devices(&devices)?, epochs).await,
        LeaseCommand::Extend {
            lease,
            device,
            epochs,
        } => {
            let signature = client.extend_hire(&lease, &device, epochs).await?;
            let hire = client.hire(&lease, &device).await?;
            Ok(signed(signature, json!({ "end_epoch": hire.end_epoch })))
        }
        LeaseCommand::Release { lease, device } => {
            let signature = client.release_hire(&lease, &device).await?;
            let hire = client.hire(&lease, &device).await?;
            Ok(signed(
                signature,
                json!({ "device": device.to_string(), "end_epoch": hire.end_epoch, "refunded": hire.refunded }),
            ))
        }
        LeaseCommand::Terminate { lease } => {
            let signature = client.terminate_lease(&lease).await?;
            let account = client.lease(&lease).await?;
            Ok(signed(
                signature,
                json!({ "terminated_at_epoch": account.terminated_at_epoch }),
            ))
        }
        LeaseCommand::Settle { lease, devices } => {
            settle(&client, &ctx.out, &lease, &devices).await
        }
        LeaseCommand::Close { lease } => close(&client, &lease).await,
        LeaseCommand::Show { lease } => show(&client, &lease).await,
    }
}

/// Addresses from a comma/whitespace-separated list, or from a file of them (one per
/// line, or a JSON array of strings).
pub fn parse_devices(spec: &str) -> Result<Vec<Pubkey>> {
    let path = std::path::Path::new(spec);
    let text = if path.is_file() {
        std::fs::read_to_string(path)
            .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?
    } else {
        spec.to_string()
    };
    let words: Vec<String> = match serde_json::from_str::<Vec<String>>(&text) {
        Ok(list) => list,
        Err(_) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
    };
    if words.is_empty() {
        return Err(CliError(format!("no device address in `{spec}`")));
    }
    words
        .iter()
        .map(|w| parse_pubkey(w).map_err(CliError))
        .collect()
}

/// A batch result as JSON: per item, the signature or the error; totals.
fn batch(results: Vec<(Pubkey, ClientResult<Signature>)>) -> Value {
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    let items: Vec<Value> = results
        .into_iter()
        .map(|(device, result)| match result {
            Ok(signature) => {
                json!({ "device": device.to_string(), "signature": signature.to_string() })
            }
            Err(error) => json!({ "device": device.to_string(), "error": error.to_string() }),
        })
        .collect();
    json!({ "total": items.len(), "failed": failed, "results": items })
}

/// Fails the command when any item of a batch failed (the JSON still lists them all).
fn batch_outcome(value: Value, what: &str) -> Result<Value> {
    let failed = value["failed"].as_u64().unwrap_or(0);
    if failed == 0 {
        return Ok(value);
    }
    let first = value["results"]
        .as_array()
        .and_then(|items| items.iter().find_map(|i| i["error"].as_str()))
        .unwrap_or("unknown error");
    Err(CliError(format!(
        "{failed} of {} {what} failed; first error: {first}",
        value["total"]
    )))
}

async fn hire(
    client: &GpunetClient,
    out: &Output,
    lease: &Pubkey,
    devices: &[Pubkey],
    epochs: u64,
) -> Result<Value> {
    let progress = out.progress(devices.len(), "hiring");
    let results = client.add_hires(lease, devices, epochs, progress).await?;
    let account = client.lease(lease).await?;
    let mut value = batch(results);
    value["lease"] = json!(lease.to_string());
    value["deposited"] = json!(account.totals.deposited);
    batch_outcome(value, "hires")
}

async fn settle(
    client: &GpunetClient,
    out: &Output,
    lease: &Pubkey,
    devices: &[Pubkey],
) -> Result<Value> {
    let count = if devices.is_empty() {
        client.hires_of(lease).await?.len()
    } else {
        devices.len()
    };
    let progress = out.progress(count, "settling");
    let results = client.settle_lease(lease, devices, progress).await?;
    let totals = client.lease(lease).await?.totals;
    let mut value = batch(results);
    value["lease"] = json!(lease.to_string());
    value["paid_to_owners"] = json!(totals.paid_to_owners);
    value["fees"] = json!(totals.fees);
    value["refunded"] = json!(totals.refunded);
    batch_outcome(value, "settlements")
}

async fn close(client: &GpunetClient, lease: &Pubkey) -> Result<Value> {
    let mut closed = Vec::new();
    for (_, hire) in client.hires_of(lease).await? {
        let signature = client.close_hire(lease, &hire.device).await?;
        closed
            .push(json!({ "device": hire.device.to_string(), "signature": signature.to_string() }));
    }
    let signature = client.close_lease(lease).await?;
    Ok(signed(
        signature,
        json!({ "lease": lease.to_string(), "closed_hires": closed }),
    ))
}

async fn show(client: &GpunetClient, lease: &Pubkey) -> Result<Value> {
    let account = client.lease(lease).await?;
    let mut value = views::lease(lease, &account);
    let hires: Vec<Value> = client
        .hires_of(lease)
        .await?
        .iter()
        .map(|(address, hire)| views::hire(address, hire))
        .collect();
    value["hire_accounts"] = json!(hires);
    value["vault_balance"] = json!(client.token_balance(&escrow::vault_address(lease)).await?);
    Ok(value)
}
