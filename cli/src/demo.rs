//! The scripted tour: suppliers register and stake devices, a renter leases them as a
//! cluster, agents attest epochs with the verifier quorum (the last device misses the
//! last epoch), epochs become final on the chain clock and are settled (owners paid, the
//! renter refunded, a slash proposed), a device submits job and inference receipts, and
//! the owners claim their block rewards. Every step goes through the sdk client, as any
//! application would.

use std::sync::Arc;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, Signature};
use gpunet_sdk::escrow::{self, Hire};
use gpunet_sdk::proof::{self, RegisterModelArgs};
use gpunet_sdk::registry::{DeviceSpecs, NetworkConfig, RegisterDeviceArgs};
use gpunet_sdk::staking::{self, StakingConfig};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tokio::task::JoinSet;

use crate::amount::{Amount, format_units};
use crate::args::DemoArgs;
use crate::output::Output;
use crate::setup::H100;
use crate::state::State;
use crate::{CliError, Context, Result, keys};

/// SOL given to each party of the tour (fees and account rent).
const PARTY_LAMPORTS: u64 = 2_000_000_000;
/// Whole USDC minted to the renter and to the inference consumer.
const RENTER_USDC: u64 = 1_000;
const CONSUMER_USDC: u64 = 100;
/// The model's price: USDC base units per compute unit (GPU-ms).
const MODEL_PRICE_PER_UNIT: u64 = 3;
/// Compute units of the inference records and of the lease-job records.
const INFERENCE_RECORDS: [u32; 3] = [1_200, 800, 1_500];
const JOB_RECORDS: [u32; 2] = [60_000, 45_000];

/// Records of `units` compute units with result hashes standing for the outputs (distinct
/// from `salt` on).
fn records(units: &[u32], salt: u8) -> Vec<(u32, [u8; 32])> {
    units
        .iter()
        .zip(salt..)
        .map(|(cu, h)| (*cu, [h; 32]))
        .collect()
}

/// What the tour needs besides the client.
pub struct DemoOptions {
    pub devices: u64,
    pub epochs: u64,
    /// Verifier keys, at least the network's quorum of them.
    pub verifiers: Vec<Keypair>,
    pub grpc_url: Option<String>,
    /// The explorer API following the chain, if one runs.
    pub explorer_url: Option<String>,
}

impl DemoOptions {
    /// The tour's options with the development verifier keys listed in `state`.
    pub fn from_state(state: &State, devices: u64, epochs: u64) -> Result<Self> {
        let verifiers = state
            .verifiers
            .iter()
            .filter_map(|v| v.keypair.as_deref())
            .map(keys::read_keypair)
            .collect::<Result<Vec<_>>>()?;
        Ok(DemoOptions {
            devices,
            epochs,
            verifiers,
            grpc_url: state.grpc_url.clone(),
            explorer_url: None,
        })
    }
}

/// `gpunet demo`.
pub async fn command(ctx: &Context, args: &DemoArgs) -> Result<Value> {
    let state = State::read(&args.state)?;
    let mut options = DemoOptions::from_state(&state, args.devices, args.epochs)?;
    options.explorer_url = args.explorer_url.clone();
    run(&ctx.client()?, &options, &ctx.out).await
}

/// The network as the tour sees it.
struct Network {
    config: NetworkConfig,
    staking: StakingConfig,
    payment_mint: Pubkey,
    stake_mint: Pubkey,
    /// The mints' decimals, to print amounts and scale whole tokens.
    payment_decimals: u8,
    stake_decimals: u8,
    verifiers: Arc<Vec<Keypair>>,
}

impl Network {
    /// `units` of the payment mint in whole USDC ("1.5").
    fn usdc(&self, units: u64) -> String {
        format_units(units, self.payment_decimals)
    }

    /// `whole` USDC (or `cents` hundredths) in base units of the payment mint.
    fn usdc_units(&self, cents: u64) -> Result<u64> {
        let amount = Amount::Tokens {
            whole: cents / 100,
            fraction: format!("{:02}", cents % 100),
        };
        Ok(amount.base_units(self.payment_decimals)?)
    }
}

/// One supplier: the owner's and the agent's clients and the device.
struct Supplier {
    owner: GpunetClient,
    agent: Arc<GpunetClient>,
    device: Pubkey,
    specs: DeviceSpecs,
    price: u64,
    stake: u64,
}

/// Runs the tour with `client` (the mint authority of both mints) and returns its summary;
/// narrates through `out`.
pub async fn run(client: &GpunetClient, options: &DemoOptions, out: &Output) -> Result<Value> {
    let network = network(client, options).await?;
    out.say(format!(
        "== gpunet tour: {} device(s), {} epoch(s) of {} s, verifier quorum {}",
        options.devices,
        options.epochs,
        network.config.epoch_seconds,
        network.config.verifier_quorum
    ));
    let mut steps = Vec::new();

    out.say("-- suppliers register and stake their devices");
    let mut suppliers = Vec::new();
    for i in 0..options.devices {
        let supplier = register_supplier(client, &network, i, &mut steps, out).await?;
        suppliers.push(supplier);
    }

    out.say("-- a renter leases them as one cluster");
    let renter = party(client).await?;
    let renter_usdc = network.usdc_units(RENTER_USDC * 100)?;
    client
        .mint_to(&network.payment_mint, &renter.pubkey(), renter_usdc)
        .await?;
    let lease = hire_cluster(
        &renter,
        &network,
        &suppliers,
        options.epochs,
        &mut steps,
        out,
    )
    .await?;
    let first_hire = renter.hire(&lease, &suppliers[0].device).await?;
    let (start, end) = (first_hire.start_epoch, first_hire.end_epoch);
    out.say(format!(
        "   the hires run epochs {start}..{end} (billing starts next epoch)"
    ));

    out.say("-- an inference model, a prepaid session, receipts paid by voucher");
    let inference = inference(client, &network, &suppliers[0], &mut steps, out).await?;

    let last = suppliers.len() - 1;
    let mut job = Value::Null;
    for epoch in start..end {
        out.say(format!(
            "-- epoch {epoch}: waiting for it on the chain clock"
        ));
        client.wait_for_epoch(epoch).await?;
        let skip = (epoch + 1 == end).then_some(last);
        attest_epoch(&network, &suppliers, epoch, skip, &mut steps, out).await?;
        if epoch == start {
            job = job_receipts(&suppliers[0], &lease, &mut steps, out).await?;
        }
    }

    out.say(format!(
        "-- waiting for epoch {} so every hired epoch is final",
        end + 1
    ));
    client.wait_for_epoch(end + 1).await?;
    let settled = settle(
        client, &renter, &network, &lease, &suppliers, &mut steps, out,
    )
    .await?;

    let claim_at = end + 1 + u64::from(network.staking.grace_epochs);
    out.say(format!(
        "-- waiting for epoch {claim_at} so the rewards are final"
    ));
    client.wait_for_epoch(claim_at).await?;
    let rewards = claim(client, &network, &suppliers, &mut steps, out).await?;

    let devices = device_summaries(&renter, &lease, &suppliers, &settled, &rewards).await?;
    let renter_balance = client.payment_balance(&renter.pubkey()).await?;
    let log = client.receipt_log(&suppliers[0].device).await?;
    let summary = json!({
        "renter": renter.pubkey().to_string(),
        "renter_usdc_minted": renter_usdc,
        "renter_usdc_balance": renter_balance,
        "lease": lease.to_string(),
        "hire_epochs": { "start": start, "end": end },
        "devices": devices,
        "inference": inference,
        "job_receipts": job,
        "receipt_log": { "device": suppliers[0].device.to_string(), "count": log.count },
        "steps": steps,
        "where_to_look": where_to_look(client, options, &network, &lease),
    });
    say_where_to_look(out, &summary["where_to_look"]);
    Ok(summary)
}

/// Reads the network and checks the tour can run on it.
async fn network(client: &GpunetClient, options: &DemoOptions) -> Result<Network> {
    let config = client.network_config().await?;
    let staking = client.staking_config().await?;
    for mint in [config.payment_mint, config.stake_mint] {
        let authority = client.mint_info(&mint).await?.1;
        if authority != Some(client.pubkey()) {
            return Err(CliError(format!(
                "the tour mints tokens, so --keypair must be the mint authority of {mint} (run \
                 it against `gpunet localnet` with the same keypair)"
            )));
        }
    }
    let known: Vec<&Keypair> = options
        .verifiers
        .iter()
        .filter(|v| config.verifiers.contains(&v.pubkey()))
        .collect();
    if known.len() < usize::from(config.verifier_quorum) {
        return Err(CliError(format!(
            "the network requires {} verifier signature(s) per attestation but the tour has \
             {} of its verifier keys (pass the --state file `gpunet localnet` wrote)",
            config.verifier_quorum,
            known.len()
        )));
    }
    let quorum: Vec<Keypair> = known
        .into_iter()
        .take(usize::from(config.verifier_quorum))
        .map(Keypair::insecure_clone)
        .collect();
    Ok(Network {
        payment_mint: config.payment_mint,
        stake_mint: config.stake_mint,
        payment_decimals: client.mint_info(&config.payment_mint).await?.0,
        stake_decimals: client.mint_info(&config.stake_mint).await?.0,
        config,
        staking,
        verifiers: Arc::new(quorum),
    })
}

/// A new funded key acting through `client`'s connection.
async fn party(client: &GpunetClient) -> Result<GpunetClient> {
    let party = client.with_signer(Keypair::new());
    client.airdrop(&party.pubkey(), PARTY_LAMPORTS).await?;
    Ok(party)
}

fn step(steps: &mut Vec<Value>, out: &Output, what: String, signature: &Signature) {
    out.say(format!("   {what}\n     tx {signature}"));
    steps.push(json!({ "step": what, "signature": signature.to_string() }));
}

/// Device `i`: an 8-GPU H100 machine first, then smaller plain-GPU ones, cheaper each;
/// its price per GPU-hour in USDC cents.
fn demo_specs(i: u64) -> (DeviceSpecs, u64) {
    let gpu_count = [8, 4, 2][(i % 3) as usize];
    let specs = DeviceSpecs {
        gpu_model: if i == 0 { H100 } else { 0 },
        gpu_count,
        vram_mib: 81_920,
        cpu_cores: 64,
        ram_mib: 512 * 1024,
        bandwidth_down_mbps: 10_000,
        bandwidth_up_mbps: 10_000,
        country: *b"DE",
        region: 1,
        supplier_group: 1,
        security_tier: 2,
        green: true,
    };
    let cents = 200 - 25 * (i % 4); // 2.00, 1.75, 1.50, 1.25 USDC per GPU-hour
    (specs, cents)
}

async fn register_supplier(
    client: &GpunetClient,
    network: &Network,
    i: u64,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Supplier> {
    let owner = party(client).await?;
    let agent = party(client).await?;
    let (specs, cents) = demo_specs(i);
    let price = network.usdc_units(cents)?;
    let registered = owner
        .register_device(RegisterDeviceArgs {
            device_id: i + 1,
            agent: agent.pubkey(),
            specs,
            price_per_gpu_hour: price,
        })
        .await?;
    let device = registered.address;
    step(
        steps,
        out,
        format!(
            "device {device}: {} GPU(s) (model {}), {} USDC per GPU-hour, owner {}, agent {}",
            specs.gpu_count,
            specs.gpu_model,
            network.usdc(price),
            owner.pubkey(),
            agent.pubkey()
        ),
        &registered.signature,
    );
    let stake = network
        .staking
        .min_stake(&specs)
        .map_err(|e| CliError(format!("minimum stake: {e}")))?;
    client
        .mint_to(&network.stake_mint, &owner.pubkey(), stake)
        .await?;
    let signature = owner.stake(&device, stake).await?;
    step(
        steps,
        out,
        format!(
            "  staked {} network tokens (its minimum)",
            format_units(stake, network.stake_decimals)
        ),
        &signature,
    );
    Ok(Supplier {
        owner,
        agent: Arc::new(agent),
        device,
        specs,
        price,
        stake,
    })
}

/// The demo lease's job: a short shell command for the worker agent.
pub const DEMO_JOB: &str = "cmd:echo gpunet demo";

async fn hire_cluster(
    renter: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    epochs: u64,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Pubkey> {
    let max_price = suppliers.iter().map(|s| s.price).max().unwrap_or(1);
    let created = renter
        .create_lease(1, "demo cluster", DEMO_JOB, max_price)
        .await?;
    step(
        steps,
        out,
        format!(
            "lease {} opened by renter {}, up to {} USDC per GPU-hour, job `{DEMO_JOB}`",
            created.address,
            renter.pubkey(),
            network.usdc(max_price)
        ),
        &created.signature,
    );
    let devices: Vec<Pubkey> = suppliers.iter().map(|s| s.device).collect();
    let results = renter
        .add_hires(&created.address, &devices, epochs, out.progress("hiring"))
        .await?;
    for (device, result) in results {
        let signature = result?;
        let hire = renter.hire(&created.address, &device).await?;
        let deposit = hire.terms.price + hire.terms.renter_fee;
        step(
            steps,
            out,
            format!(
                "hired {device} for {epochs} epoch(s): {} USDC deposited ({} per epoch incl. \
                 renter fee)",
                network.usdc(deposit * epochs),
                network.usdc(deposit)
            ),
            &signature,
        );
    }
    Ok(created.address)
}

/// Every supplier's agent attests `epoch` (co-signed by the verifier quorum) and registers
/// its reward weight, all at once; `skip` is a device whose agent is offline.
async fn attest_epoch(
    network: &Network,
    suppliers: &[Supplier],
    epoch: u64,
    skip: Option<usize>,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<()> {
    let mut tasks = JoinSet::new();
    for (i, supplier) in suppliers.iter().enumerate() {
        if Some(i) == skip {
            out.say(format!(
                "   device {} misses epoch {epoch} (its agent is offline)",
                supplier.device
            ));
            continue;
        }
        let (agent, device) = (Arc::clone(&supplier.agent), supplier.device);
        let verifiers = Arc::clone(&network.verifiers);
        tasks.spawn(async move {
            let args = agent.full_uptime(epoch, [epoch as u8; 32]).await?;
            let refs: Vec<&Keypair> = verifiers.iter().collect();
            let signature = agent
                .attest_uptime_with_verifiers(&device, args, &refs, true)
                .await?;
            Ok::<_, CliError>((i, device, signature))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        done.push(joined.map_err(|e| CliError(format!("an attestation task failed: {e}")))??);
    }
    done.sort_by_key(|(i, _, _)| *i);
    for (_, device, signature) in done {
        step(
            steps,
            out,
            format!(
                "device {device} attested epoch {epoch} with {} verifier signature(s) and \
                 registered its reward weight",
                network.verifiers.len()
            ),
            &signature,
        );
    }
    Ok(())
}

/// Lease-job receipts of the first device's running hire.
async fn job_receipts(
    supplier: &Supplier,
    lease: &Pubkey,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Value> {
    let agent = &supplier.agent;
    let hire = escrow::hire_address(lease, &supplier.device);
    let batch = agent
        .next_receipt_batch(&supplier.device, records(&JOB_RECORDS, 1))
        .await?;
    let model = Pubkey::default();
    let signature = agent
        .submit_job_receipts(&supplier.device, &hire, batch, &model)
        .await?;
    step(
        steps,
        out,
        format!(
            "device {} logged {} lease-job receipts ({} GPU-ms) for hire {hire}",
            supplier.device,
            JOB_RECORDS.len(),
            JOB_RECORDS.iter().sum::<u32>()
        ),
        &signature,
    );
    Ok(json!({ "hire": hire.to_string(), "records": JOB_RECORDS.len() }))
}

async fn inference(
    client: &GpunetClient,
    network: &Network,
    supplier: &Supplier,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Value> {
    let model_owner = party(client).await?;
    let registered = model_owner
        .register_model(RegisterModelArgs {
            model_id: 1,
            royalty_bps: 1_000,
            price_per_unit: MODEL_PRICE_PER_UNIT,
            metadata_uri: "ipfs://gpunet-demo/llama-3-8b".into(),
            metadata_hash: [7; 32],
        })
        .await?;
    let model = registered.address;
    step(
        steps,
        out,
        format!(
            "model {model} registered: {MODEL_PRICE_PER_UNIT} USDC base units per GPU-ms, 10% \
             royalty"
        ),
        &registered.signature,
    );
    let consumer = party(client).await?;
    let consumer_usdc = network.usdc_units(CONSUMER_USDC * 100)?;
    client
        .mint_to(&network.payment_mint, &consumer.pubkey(), consumer_usdc)
        .await?;
    let authorizer = Keypair::new();
    let deposit = consumer_usdc / 2;
    let opened = consumer
        .open_session(&model, 1, &authorizer.pubkey(), deposit)
        .await?;
    let session = opened.address;
    step(
        steps,
        out,
        format!(
            "session {session} opened by consumer {}: {} USDC prepaid",
            consumer.pubkey(),
            network.usdc(deposit)
        ),
        &opened.signature,
    );
    let agent = &supplier.agent;
    let batch = agent
        .next_receipt_batch(&supplier.device, records(&INFERENCE_RECORDS, 101))
        .await?;
    let signature = agent
        .submit_inference_receipts_authorized(&supplier.device, &session, batch, &authorizer)
        .await?;
    let paid = client.session_paid(&session, &supplier.device).await?;
    let log = client.receipt_log(&supplier.device).await?;
    step(
        steps,
        out,
        format!(
            "device {} served {} inferences ({} GPU-ms): {} USDC paid by voucher (worker {}, \
             royalty {}, fee {})",
            supplier.device,
            INFERENCE_RECORDS.len(),
            INFERENCE_RECORDS.iter().sum::<u32>(),
            network.usdc(paid),
            network.usdc(log.totals.worker),
            network.usdc(log.totals.royalty),
            network.usdc(log.totals.fee)
        ),
        &signature,
    );
    Ok(json!({
        "model": model.to_string(),
        "model_owner": model_owner.pubkey().to_string(),
        "session": session.to_string(),
        "consumer": consumer.pubkey().to_string(),
        "records": INFERENCE_RECORDS.len(),
        "paid": paid,
        "worker": log.totals.worker,
        "royalty": log.totals.royalty,
        "fee": log.totals.fee,
    }))
}

/// Settles every hire (sent by the admin: settlement is permissionless), then releases
/// them so the devices are free again.
async fn settle(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<Hire>> {
    let devices: Vec<Pubkey> = suppliers.iter().map(|s| s.device).collect();
    let results = client
        .settle_lease(lease, &devices, out.progress("settling"))
        .await?;
    let mut hires = Vec::new();
    for (device, result) in results {
        let signature = result?;
        let hire = client.hire(lease, &device).await?;
        step(
            steps,
            out,
            format!(
                "settled {device}: {} epoch(s) attested, {} missed; owner paid {} USDC, fees {} \
                 USDC, renter refunded {} USDC",
                hire.epochs_paid,
                hire.epochs_missed,
                network.usdc(hire.paid_to_owner),
                network.usdc(hire.fees),
                network.usdc(hire.refunded)
            ),
            &signature,
        );
        if hire.epochs_missed > 0 {
            let stake = client.stake_account(&device).await?;
            out.say(format!(
                "   a slash of {} network tokens is proposed against {device} (half to the \
                 renter), final after the challenge window",
                format_units(stake.pending_slash_amount, network.stake_decimals)
            ));
        }
        let signature = renter.release_hire(lease, &device).await?;
        step(
            steps,
            out,
            format!("released {device}: free to hire again"),
            &signature,
        );
        hires.push(client.hire(lease, &device).await?);
    }
    Ok(hires)
}

async fn claim(
    client: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<u64>> {
    let mut claimed = Vec::new();
    for supplier in suppliers {
        let stake = client.stake_account(&supplier.device).await?;
        if stake.pending_rewards.is_empty() {
            claimed.push(0);
            continue;
        }
        let signature = client.claim_rewards(&supplier.device, &[]).await?;
        let total = client
            .stake_account(&supplier.device)
            .await?
            .rewards_claimed;
        step(
            steps,
            out,
            format!(
                "block rewards of {} claimed for its owner: {} network tokens",
                supplier.device,
                format_units(total, network.stake_decimals)
            ),
            &signature,
        );
        claimed.push(total);
    }
    Ok(claimed)
}

async fn device_summaries(
    client: &GpunetClient,
    lease: &Pubkey,
    suppliers: &[Supplier],
    hires: &[Hire],
    rewards: &[u64],
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for ((supplier, hire), claimed) in suppliers.iter().zip(hires).zip(rewards) {
        let owner = supplier.owner.pubkey();
        out.push(json!({
            "address": supplier.device.to_string(),
            "owner": owner.to_string(),
            "agent": supplier.agent.pubkey().to_string(),
            "gpu_model": supplier.specs.gpu_model,
            "gpu_count": supplier.specs.gpu_count,
            "price_per_gpu_hour": supplier.price,
            "stake": supplier.stake,
            "hire": escrow::hire_address(lease, &supplier.device).to_string(),
            "epochs_paid": hire.epochs_paid,
            "epochs_missed": hire.epochs_missed,
            "paid_to_owner": hire.paid_to_owner,
            "fees": hire.fees,
            "refunded": hire.refunded,
            "owner_usdc_balance": client.payment_balance(&owner).await?,
            "rewards_claimed": claimed,
            "stake_account": staking::stake_address(&supplier.device).to_string(),
        }));
    }
    Ok(out)
}

fn where_to_look(
    client: &GpunetClient,
    options: &DemoOptions,
    network: &Network,
    lease: &Pubkey,
) -> Value {
    json!({
        "rpc_url": client.url(),
        "grpc_url": options.grpc_url,
        "explorer": match &options.explorer_url {
            Some(url) => format!("{url}  (e.g. /v1/network, /v1/leases/{lease}, /v1/receipts)"),
            None => "no explorer API given (--explorer-url); inspect accounts with `gpunet lease \
                     show`, `gpunet device show` or any Solana RPC tool"
                .to_string(),
        },
        "network_config": gpunet_sdk::registry::config_address().to_string(),
        "payment_mint": network.payment_mint.to_string(),
        "stake_mint": network.stake_mint.to_string(),
        "treasury": network.config.treasury.to_string(),
        "lease": lease.to_string(),
        "programs": {
            "registry": gpunet_sdk::registry::PROGRAM_ID.to_string(),
            "escrow": escrow::PROGRAM_ID.to_string(),
            "staking": staking::PROGRAM_ID.to_string(),
            "proof": proof::PROGRAM_ID.to_string(),
        },
    })
}

fn say_where_to_look(out: &Output, look: &Value) {
    out.say("-- where to look");
    let rows = [
        ("JSON-RPC", "rpc_url", ""),
        ("gRPC", "grpc_url", ""),
        ("explorer", "explorer", ""),
        ("lease", "lease", "  (gpunet lease show <lease>)"),
        ("network", "network_config", "  (gpunet network show)"),
    ];
    for (label, key, hint) in rows {
        let value = look[key].as_str().unwrap_or("-");
        out.say(format!("   {:<10} {value}{hint}", format!("{label}:")));
    }
}
