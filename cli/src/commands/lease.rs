//! `gpunet lease ...`.

use clap::Subcommand;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::Signature;
use gpunet_sdk::client::{Done, GpunetClient, Result as ClientResult};
use gpunet_sdk::escrow::{self, Hire};
use serde_json::{Map, Value, json};

use super::wallet::{usdc, usdc_units};
use crate::amount::Amount;
use crate::help::AMOUNTS;
use crate::keys::parse_pubkey;
use crate::output::Output;
use crate::{CliError, Context, Outcome, Result, signed, views};

#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Open a lease (a cluster) with its escrow vault (renter); prints the lease address
    #[command(after_help = AMOUNTS)]
    Create {
        /// Lease number, chosen by the renter
        #[arg(long)]
        id: u64,
        /// Name (1 to 32 bytes)
        #[arg(long)]
        name: String,
        /// What the leased devices run, read by the worker agent (at most 128 bytes):
        /// `cmd:<shell command>` (run with `sh -c`) or `image:<container image reference>`;
        /// empty (the default) runs the agent's built-in CPU/GPU benchmark workload
        #[arg(long, value_name = "SPEC", default_value = "")]
        job: String,
        /// Highest price per GPU-hour accepted, in USDC
        #[arg(long)]
        max_price: Amount,
    },
    /// Hire devices into a lease for a number of epochs, depositing (price + renter fee)
    /// × epochs each (renter); one transaction per device, with a progress bar. Every
    /// device's signature or error is printed; the exit status is non-zero if any failed
    Hire {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Devices: a comma-separated list of addresses, or a file of addresses (one per
        /// line, or a JSON array)
        #[arg(long)]
        devices: String,
        /// Epochs to hire for (billing starts with the next epoch)
        #[arg(long)]
        epochs: u64,
    },
    /// Hire a device for more epochs at its original terms (renter)
    Extend {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epochs to add after the hire's current end, deposited at its original terms
        #[arg(long)]
        epochs: u64,
    },
    /// Release a device: it is free at once, later epochs are refunded (renter; anyone
    /// once the lease is terminated or the hire ended)
    Release {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Stop a lease: no hire, extension or billing past the running epoch (renter)
    Terminate {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
    /// Settle final epochs: owners paid for attested epochs, the renter refunded for
    /// missed ones (anyone; the sender pays fees and any slash record's rent). Every
    /// device's signature or error is printed; the exit status is non-zero if any failed
    Settle {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Only these devices [default: every hire of the lease]
        #[arg(long = "device", value_parser = parse_pubkey)]
        devices: Vec<Pubkey>,
        /// Settle every epoch before this one (at most each hire's end), waiting until the
        /// chain's clock makes them final [default: the epochs final now]
        #[arg(long, value_name = "EPOCH")]
        through: Option<u64>,
    },
    /// Close the lease's released, settled hires, then the lease, sweeping the vault back
    /// (renter). Hires not yet released and settled are listed as skipped and keep the
    /// lease open (non-zero exit status)
    Close {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
    /// Show a lease, its totals and its hires
    Show {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
}

pub async fn run(ctx: &Context, command: LeaseCommand) -> Result<Outcome> {
    let client = ctx.client_or_reader(matches!(command, LeaseCommand::Show { .. }))?;
    let value = match command {
        LeaseCommand::Create {
            id,
            name,
            job,
            max_price,
        } => {
            let max = usdc(&client, &max_price).await?;
            let created = client.create_lease(id, &name, &job, max.units).await?;
            signed(
                created.signature,
                json!({
                    "lease": created.address.to_string(),
                    "renter": client.pubkey().to_string(),
                    "job": job,
                    "max_price_per_gpu_hour": ctx.out.amount(max),
                }),
            )
        }
        LeaseCommand::Hire {
            lease,
            devices,
            epochs,
        } => return hire(&client, &ctx.out, &lease, &parse_devices(&devices)?, epochs).await,
        LeaseCommand::Extend {
            lease,
            device,
            epochs,
        } => {
            let signature = client.extend_hire(&lease, &device, epochs).await?;
            let hire = client.hire(&lease, &device).await?;
            signed(signature, json!({ "end_epoch": hire.end_epoch }))
        }
        LeaseCommand::Release { lease, device } => {
            let signature = client.release_hire(&lease, &device).await?;
            let hire = client.hire(&lease, &device).await?;
            signed(
                signature,
                json!({ "device": device.to_string(), "end_epoch": hire.end_epoch, "refunded": hire.refunded }),
            )
        }
        LeaseCommand::Terminate { lease } => {
            let signature = client.terminate_lease(&lease).await?;
            let account = client.lease(&lease).await?;
            signed(
                signature,
                json!({ "terminated_at_epoch": account.terminated_at_epoch }),
            )
        }
        LeaseCommand::Settle {
            lease,
            devices,
            through,
        } => {
            return settle(&client, &ctx.out, &lease, &devices, through).await;
        }
        LeaseCommand::Close { lease } => return close(&client, &lease).await,
        LeaseCommand::Show { lease } => show(&client, &lease).await?,
    };
    Ok(Outcome::Done(value))
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

/// A batch's report: per item its signature or its error, the totals, and when any item
/// failed a top-level `"error"` saying how many (the object lists them all either way).
struct Batch {
    value: Value,
    failed: bool,
}

/// What one item of a batch reports when it succeeded.
trait Item {
    fn fields(&self) -> Value;
}

impl Item for Signature {
    fn fields(&self) -> Value {
        json!({ "signature": self.to_string() })
    }
}

/// A settlement: the transaction this command sent, or none when the hire was settled as
/// far as it can be already (by its agent, say).
impl Item for Done {
    fn fields(&self) -> Value {
        match self {
            Done::Sent(signature) => json!({ "signature": signature.to_string() }),
            Done::Already => json!({ "already_settled": true }),
        }
    }
}

impl Batch {
    fn new<T: Item>(results: &[(Pubkey, ClientResult<T>)], what: &str) -> Self {
        let failed = results.iter().filter(|(_, r)| r.is_err()).count();
        let items: Vec<Value> = results
            .iter()
            .map(|(device, result)| {
                let mut item = match result {
                    Ok(done) => done.fields(),
                    Err(error) => json!({ "error": error.to_string() }),
                };
                item["device"] = json!(device.to_string());
                item
            })
            .collect();
        let mut value = json!({ "total": items.len(), "failed": failed, "results": items });
        if let Some(first) = results.iter().find_map(|(_, r)| r.as_ref().err()) {
            value["error"] = json!(format!(
                "{failed} of {} {what} failed; first error: {first}",
                results.len()
            ));
        }
        Batch {
            value,
            failed: failed > 0,
        }
    }

    /// Adds the fields of `read`, an object read after the batch (`what` it is); a failure
    /// to read it is reported with the items (their signatures are not lost to it) and
    /// fails the command.
    fn add(&mut self, what: &str, read: Result<Map<String, Value>>) {
        match read {
            Ok(fields) => {
                if let Value::Object(value) = &mut self.value {
                    value.extend(fields);
                }
            }
            Err(error) => {
                let message = format!("cannot read the {what} after the batch: {error}");
                self.value["error"] = match self.value["error"].as_str() {
                    Some(earlier) => json!(format!("{earlier}; {message}")),
                    None => json!(message),
                };
                self.failed = true;
            }
        }
    }

    fn outcome(self) -> Outcome {
        if self.failed {
            Outcome::Failed(self.value)
        } else {
            Outcome::Done(self.value)
        }
    }
}

async fn hire(
    client: &GpunetClient,
    out: &Output,
    lease: &Pubkey,
    devices: &[Pubkey],
    epochs: u64,
) -> Result<Outcome> {
    let results = client
        .add_hires(lease, devices, epochs, out.progress("hiring"))
        .await?;
    let mut batch = Batch::new(&results, "hires");
    batch.value["lease"] = json!(lease.to_string());
    let hired: Vec<Pubkey> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(device, _)| *device)
        .collect();
    // This batch's own deposit (the lease's running total includes earlier hires).
    let deposited = async {
        let units = batch_deposit(client, lease, &hired, epochs).await?;
        let deposited = out.amount(usdc_units(client, units).await?);
        Ok(Map::from_iter([("deposited".to_string(), deposited)]))
    };
    batch.add("deposit", deposited.await);
    Ok(batch.outcome())
}

/// What the hires of `devices` in `lease` just created deposited: (price + renter fee)
/// per epoch, for `epochs`, each.
async fn batch_deposit(
    client: &GpunetClient,
    lease: &Pubkey,
    devices: &[Pubkey],
    epochs: u64,
) -> Result<u64> {
    let mut total = 0u64;
    for chunk in devices.chunks(100) {
        let addresses: Vec<Pubkey> = chunk
            .iter()
            .map(|device| escrow::hire_address(lease, device))
            .collect();
        for (address, account) in addresses.iter().zip(client.accounts(&addresses).await?) {
            let account = account.ok_or_else(|| CliError(format!("hire {address} is missing")))?;
            let hire: Hire = gpunet_sdk::decode_account(&account.data)
                .map_err(|e| CliError(format!("hire {address}: {e}")))?;
            let deposit = hire
                .terms
                .deposit(epochs)
                .map_err(|e| CliError(format!("the deposit of hire {address}: {e}")))?;
            total = total
                .checked_add(deposit)
                .ok_or_else(|| CliError("the batch's deposit overflows a u64".into()))?;
        }
    }
    Ok(total)
}

async fn settle(
    client: &GpunetClient,
    out: &Output,
    lease: &Pubkey,
    devices: &[Pubkey],
    through: Option<u64>,
) -> Result<Outcome> {
    // By default, what is final now: every epoch before the previous one.
    let through = match through {
        Some(epoch) => epoch,
        None => client.current_epoch().await?.saturating_sub(1),
    };
    let results = client
        .settle_lease(lease, devices, Some(through), out.progress("settling"))
        .await?;
    let mut batch = Batch::new(&results, "settlements");
    batch.value["lease"] = json!(lease.to_string());
    let totals = client.lease(lease).await.map_err(CliError::from).map(|l| {
        Map::from_iter([
            ("paid_to_owners".to_string(), json!(l.totals.paid_to_owners)),
            ("fees".to_string(), json!(l.totals.fees)),
            ("refunded".to_string(), json!(l.totals.refunded)),
        ])
    });
    batch.add("lease totals", totals);
    Ok(batch.outcome())
}

/// Closes the hires that can be closed (released and fully settled), reports the others,
/// then closes the lease when no hire is left.
async fn close(client: &GpunetClient, lease: &Pubkey) -> Result<Outcome> {
    let mut closed = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = 0;
    for (_, hire) in client.hires_of(lease).await? {
        let device = hire.device.to_string();
        if let Some(reason) = not_closable(&hire) {
            skipped.push(json!({ "device": device, "reason": reason }));
            continue;
        }
        closed.push(match client.close_hire(lease, &hire.device).await {
            Ok(signature) => json!({ "device": device, "signature": signature.to_string() }),
            Err(error) => {
                failed += 1;
                json!({ "device": device, "error": error.to_string() })
            }
        });
    }
    let mut value = json!({
        "lease": lease.to_string(),
        "closed_hires": closed,
        "skipped_hires": skipped,
        "lease_closed": false,
    });
    let error = if !skipped.is_empty() || failed > 0 {
        let mut why = Vec::new();
        if !skipped.is_empty() {
            why.push(format!(
                "{} hire(s) are not released and settled (see skipped_hires): release them \
                 (`gpunet lease release`), settle them once their epochs are final (`gpunet \
                 lease settle`), then close again",
                skipped.len()
            ));
        }
        if failed > 0 {
            why.push(format!(
                "{failed} hire(s) failed to close (see closed_hires)"
            ));
        }
        format!("the lease is not closed: {}", why.join("; "))
    } else {
        match client.close_lease(lease).await {
            Ok(signature) => {
                value["lease_closed"] = json!(true);
                value["signature"] = json!(signature.to_string());
                return Ok(Outcome::Done(value));
            }
            Err(error) => format!("the hires are closed but the lease is not: {error}"),
        }
    };
    value["error"] = json!(error);
    Ok(Outcome::Failed(value))
}

/// Why `hire` cannot be closed yet, if it cannot.
fn not_closable(hire: &Hire) -> Option<String> {
    if !hire.released {
        Some("not released".into())
    } else if !hire.is_settled() {
        Some(format!(
            "not fully settled: settled through epoch {} of {}",
            hire.settled_through, hire.end_epoch
        ))
    } else {
        None
    }
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
