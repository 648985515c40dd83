//! `gpunet model ...`, `gpunet session ...`, `gpunet receipts ...`.

use std::path::PathBuf;

use clap::Subcommand;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::escrow;
use gpunet_sdk::proof::{self, RegisterModelArgs, UpdateModelArgs};
use serde_json::{Value, json};

use super::wallet::usdc;
use crate::amount::Amount;
use crate::help::AMOUNTS;
use crate::keys::{self, parse_hash, parse_pubkey};
use crate::{CliError, Context, Result, signed, views};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Register a model (owner, paid royalties); prints the model address
    #[command(after_help = AMOUNTS)]
    Register {
        /// Model number, chosen by the owner
        #[arg(long)]
        id: u64,
        /// Royalty, basis points of each inference payment
        #[arg(long)]
        royalty_bps: u16,
        /// Price per compute unit (GPU-millisecond) in USDC: 0.000003, or 3u in base units
        #[arg(long)]
        price_per_unit: Amount,
        /// Metadata URI (at most 128 bytes)
        #[arg(long)]
        uri: String,
        /// Metadata hash, 64 hex digits [default: zeros]
        #[arg(long, value_parser = parse_hash)]
        hash: Option<[u8; 32]>,
    },
    /// Change a model's royalty, price or metadata (owner)
    #[command(after_help = AMOUNTS)]
    Update {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
        /// New royalty, basis points of each inference payment
        #[arg(long)]
        royalty_bps: Option<u16>,
        /// New price per compute unit (GPU-millisecond) in USDC: 0.000003, or 3u in base
        /// units
        #[arg(long)]
        price_per_unit: Option<Amount>,
        /// New metadata URI (at most 128 bytes)
        #[arg(long)]
        uri: Option<String>,
        /// New metadata hash, 64 hex digits
        #[arg(long, value_parser = parse_hash)]
        hash: Option<[u8; 32]>,
    },
    /// Show a model
    Show {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Open a prepaid inference session for a model (consumer); prints its address
    #[command(after_help = AMOUNTS)]
    Open {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
        /// Session number, chosen by the consumer
        #[arg(long)]
        id: u64,
        /// The key whose vouchers authorise payments [default: --keypair]
        #[arg(long, value_parser = parse_pubkey)]
        authorizer: Option<Pubkey>,
        /// USDC deposited
        #[arg(long)]
        deposit: Amount,
    },
    /// Close a session (consumer): the first call gives one epoch's notice, a call after
    /// the notice refunds the rest
    Close {
        /// Session address (printed by `session open`)
        #[arg(value_parser = parse_pubkey)]
        session: Pubkey,
    },
    /// Show a session
    Show {
        /// Session address (printed by `session open`)
        #[arg(value_parser = parse_pubkey)]
        session: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCommand {
    /// Submit a batch of receipts for a device (signed by its agent key, --keypair):
    /// inference receipts of a session (paid, with the authoriser's voucher) or job
    /// receipts of a running hire
    Submit {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Records: compute units (GPU-ms) each, optionally with a result hash:
        /// `1200,800:<64 hex>`
        #[arg(long, value_delimiter = ',', required = true)]
        records: Vec<String>,
        /// Inference: the session paying for the records
        #[arg(long, value_parser = parse_pubkey, conflicts_with = "lease")]
        session: Option<Pubkey>,
        /// Inference: keypair file of the session's authoriser, who signs the voucher
        #[arg(long, requires = "session")]
        authorizer_keypair: Option<PathBuf>,
        /// Lease job: the lease whose hire of the device the work belongs to
        #[arg(long, value_parser = parse_pubkey, requires = "model")]
        lease: Option<Pubkey>,
        /// Lease job: the model the work ran
        #[arg(long, value_parser = parse_pubkey)]
        model: Option<Pubkey>,
    },
    /// Show a device's receipt log (count, compute units, amounts, hash-chain head)
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
}

pub async fn model(ctx: &Context, command: ModelCommand) -> Result<Value> {
    match command {
        ModelCommand::Register {
            id,
            royalty_bps,
            price_per_unit,
            uri,
            hash,
        } => {
            let client = ctx.client()?;
            let price = usdc(&client, &price_per_unit).await?;
            let args = RegisterModelArgs {
                model_id: id,
                royalty_bps,
                price_per_unit: price.units,
                metadata_uri: uri,
                metadata_hash: hash.unwrap_or([0; 32]),
            };
            let registered = client.register_model(args).await?;
            Ok(signed(
                registered.signature,
                json!({
                    "model": registered.address.to_string(),
                    "price_per_unit": ctx.out.amount(price),
                }),
            ))
        }
        ModelCommand::Update {
            model,
            royalty_bps,
            price_per_unit,
            uri,
            hash,
        } => {
            let client = ctx.client()?;
            let price = match price_per_unit {
                Some(p) => Some(usdc(&client, &p).await?),
                None => None,
            };
            let args = UpdateModelArgs {
                royalty_bps,
                price_per_unit: price.map(|p| p.units),
                metadata_uri: uri,
                metadata_hash: hash,
            };
            let signature = client.update_model(&model, args).await?;
            let mut value = json!({ "model": model.to_string() });
            if let Some(price) = price {
                value["price_per_unit"] = ctx.out.amount(price);
            }
            Ok(signed(signature, value))
        }
        ModelCommand::Show { model } => {
            let account = ctx.reader().model(&model).await?;
            Ok(views::model(&model, &account))
        }
    }
}

pub async fn session(ctx: &Context, command: SessionCommand) -> Result<Value> {
    match command {
        SessionCommand::Open {
            model,
            id,
            authorizer,
            deposit,
        } => {
            let client = ctx.client()?;
            let authorizer = authorizer.unwrap_or(client.pubkey());
            let deposit = usdc(&client, &deposit).await?;
            let opened = client
                .open_session(&model, id, &authorizer, deposit.units)
                .await?;
            Ok(signed(
                opened.signature,
                json!({ "session": opened.address.to_string(), "deposit": ctx.out.amount(deposit) }),
            ))
        }
        SessionCommand::Close { session } => close_session(&ctx.client()?, &session).await,
        SessionCommand::Show { session } => {
            let account = ctx.reader().session(&session).await?;
            Ok(views::session(&session, &account))
        }
    }
}

/// The two-step close: a first call requests it (one epoch's notice), a later one
/// closes and refunds.
async fn close_session(client: &GpunetClient, session: &Pubkey) -> Result<Value> {
    let account = client.session(session).await?;
    if account.closing_at.is_none() {
        let signature = client.request_close_session(session).await?;
        let closing_at = client.session(session).await?.closing_at;
        return Ok(signed(
            signature,
            json!({ "session": session.to_string(), "closed": false, "closing_at": closing_at }),
        ));
    }
    // The program never spends more than was deposited.
    let refund = account.deposited.saturating_sub(account.spent);
    let signature = client.close_session(session).await?;
    Ok(signed(
        signature,
        json!({ "session": session.to_string(), "closed": true, "refunded": refund }),
    ))
}

pub async fn receipts(ctx: &Context, command: ReceiptsCommand) -> Result<Value> {
    match command {
        ReceiptsCommand::Submit {
            device,
            records,
            session,
            authorizer_keypair,
            lease,
            model,
        } => {
            let client = ctx.client()?;
            let records = parse_records(&records)?;
            let batch = client.next_receipt_batch(&device, records).await?;
            let count = batch.records.len();
            let signature = match (session, lease, model) {
                (Some(session), _, _) => {
                    let path = authorizer_keypair.ok_or(CliError(
                        "inference receipts need the session authoriser's voucher: pass \
                         --authorizer-keypair"
                            .into(),
                    ))?;
                    let authorizer = keys::read_keypair(&path)?;
                    client
                        .submit_inference_receipts_authorized(&device, &session, batch, &authorizer)
                        .await?
                }
                (None, Some(lease), Some(model)) => {
                    let hire = escrow::hire_address(&lease, &device);
                    client
                        .submit_job_receipts(&device, &hire, batch, &model)
                        .await?
                }
                _ => {
                    return Err(CliError(
                        "say what the receipts are for: --session (inference) or --lease and \
                         --model (a lease job)"
                            .into(),
                    ));
                }
            };
            let log = client.receipt_log(&device).await?;
            Ok(signed(
                signature,
                json!({ "device": device.to_string(), "records": count, "log_count": log.count, "totals": views::split(&log.totals) }),
            ))
        }
        ReceiptsCommand::Show { device } => {
            let log = ctx.reader().receipt_log(&device).await?;
            Ok(views::receipt_log(
                &proof::receipt_log_address(&device),
                &log,
            ))
        }
    }
}

/// `UNITS[:HASH]` records.
fn parse_records(specs: &[String]) -> Result<Vec<(u32, [u8; 32])>> {
    specs
        .iter()
        .map(|spec| {
            let (units, hash) = match spec.split_once(':') {
                Some((u, h)) => (u, parse_hash(h)?),
                None => (spec.as_str(), [0; 32]),
            };
            let units = units
                .trim()
                .parse()
                .map_err(|_| format!("`{units}` is not a number of compute units"))?;
            Ok((units, hash))
        })
        .collect::<Result<_, String>>()
        .map_err(CliError)
}
