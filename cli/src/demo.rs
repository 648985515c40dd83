//! The tour: suppliers register and stake devices, a renter leases them as a cluster,
//! agents attest epochs with the verifier quorum (the last device misses the last epoch),
//! epochs become final on the chain clock and are settled (owners paid, the renter
//! refunded, a slash proposed), a device submits job and inference receipts, and the
//! owners claim their block rewards. Every step goes through the sdk client, as any
//! application would.
//!
//! Who plays the agents: the tour itself, scripted (exact, for tests), or with
//! [`DemoOptions::agents`] one real `gpunet-agent` process per device ([`crate::fleet`]),
//! which attests, runs the lease's job, serves the inferences over HTTP for vouchers,
//! settles and claims by itself while the tour watches the chain and stops the last agent
//! for the hire's last epoch.

use std::sync::Arc;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, Signature};
use gpunet_sdk::escrow::{self, Hire};
use gpunet_sdk::proof::{self, RegisterModelArgs};
use gpunet_sdk::registry::{DeviceSpecs, NetworkConfig, RegisterDeviceArgs};
use gpunet_sdk::staking::{self, StakingConfig};
use gpunet_sdk::voucher::{self, Voucher};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tokio::task::JoinSet;

use crate::amount::{Amount, format_units};
use crate::args::DemoArgs;
use crate::fleet::{self, AgentSpec, Fleet, FleetOptions};
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
    /// Real `gpunet-agent` processes play the agents (`None`: the tour scripts them).
    pub agents: Option<FleetOptions>,
    /// The verifier keys' files (the agents co-sign with them on a development network).
    pub verifier_keypairs: Vec<std::path::PathBuf>,
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
            agents: None,
            verifier_keypairs: state
                .verifiers
                .iter()
                .filter_map(|v| v.keypair.clone())
                .collect(),
        })
    }
}

/// `gpunet demo`.
pub async fn command(ctx: &Context, args: &DemoArgs) -> Result<Value> {
    let state = State::read(&args.state)?;
    let mut options = DemoOptions::from_state(&state, args.devices, args.epochs)?;
    options.explorer_url = args.explorer_url.clone();
    if args.agents {
        options.agents = Some(fleet_options(&args.state, args.agent_bin.as_deref(), None)?);
    }
    run(&ctx.client()?, &options, &ctx.out).await
}

/// Agents next to the state file (`<state dir>/agents/`), from `binary` or the default
/// `gpunet-agent`, listening from `base_port` on (any free port when `None`).
pub fn fleet_options(
    state: &std::path::Path,
    binary: Option<&std::path::Path>,
    base_port: Option<u16>,
) -> Result<FleetOptions> {
    Ok(FleetOptions {
        binary: fleet::agent_binary(binary)?,
        dir: state
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("agents"),
        base_port,
    })
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
    agent_key: Keypair,
    /// The simulated hardware profile its agent runs with (agents mode).
    profile: Option<gpunet_agent_config::hardware::HardwareOverrides>,
    device: Pubkey,
    specs: DeviceSpecs,
    price: u64,
    stake: u64,
}

/// Runs the tour with `client` (the mint authority of both mints) and returns its summary;
/// narrates through `out`. Agents started for the tour are stopped at its end.
pub async fn run(client: &GpunetClient, options: &DemoOptions, out: &Output) -> Result<Value> {
    Ok(tour(client, options, out).await?.0)
}

/// [`run`], returning the agents too (they keep attesting for as long as they live).
pub async fn tour(
    client: &GpunetClient,
    options: &DemoOptions,
    out: &Output,
) -> Result<(Value, Option<Fleet>)> {
    let network = network(client, options).await?;
    let agents = options.agents.is_some();
    out.say(format!(
        "== gpunet tour: {} device(s), {} epoch(s) of {} s, verifier quorum {}, agents {}",
        options.devices,
        options.epochs,
        network.config.epoch_seconds,
        network.config.verifier_quorum,
        if agents {
            "run as gpunet-agent processes"
        } else {
            "scripted"
        }
    ));
    let mut steps = Vec::new();

    out.say("-- suppliers register and stake their devices");
    let mut suppliers = Vec::new();
    for i in 0..options.devices {
        let supplier = register_supplier(client, &network, i, agents, &mut steps, out).await?;
        suppliers.push(supplier);
    }

    // With real agents, the model exists before they start (the first device serves it).
    let mut fleet = None;
    let mut market = None;
    if let Some(fleet_options) = &options.agents {
        out.say("-- an inference model and a prepaid session");
        let opened = open_market(client, &network, &mut steps, out).await?;
        out.say(format!(
            "-- {} agents start, one gpunet-agent process per device",
            suppliers.len()
        ));
        fleet = Some(start_agents(client, options, fleet_options, &suppliers, &opened, out).await?);
        market = Some(opened);
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
    let inference = match (&fleet, &market) {
        (Some(fleet), Some(market)) => {
            serve_inferences(client, &network, fleet, &suppliers[0], market, out).await?
        }
        _ => inference(client, &network, &suppliers[0], &mut steps, out).await?,
    };

    let last = suppliers.len() - 1;
    let mut job = Value::Null;
    for epoch in start..end {
        out.say(format!(
            "-- epoch {epoch}: waiting for it on the chain clock"
        ));
        client.wait_for_epoch(epoch).await?;
        let skip = (epoch + 1 == end).then_some(last);
        match fleet.as_mut() {
            Some(fleet) => {
                report_attested(client, &suppliers, epoch - 1, out).await?;
                if let Some(skip) = skip {
                    stop_agent(client, fleet, &suppliers[skip], epoch, out).await?;
                }
            }
            None => {
                // The job's receipts first: the hire takes them only while it runs, and
                // an attestation can still go in during the next epoch.
                if epoch == start {
                    job = job_receipts(&suppliers[0], &lease, &mut steps, out).await?;
                }
                attest_epoch(&network, &suppliers, epoch, skip, &mut steps, out).await?;
            }
        }
    }

    out.say(format!(
        "-- waiting for epoch {} so every hired epoch is final",
        end + 1
    ));
    client.wait_for_epoch(end + 1).await?;
    let settled = match fleet.as_mut() {
        Some(fleet) => {
            report_attested(client, &suppliers, end - 1, out).await?;
            out.say(format!(
                "   the agent of {} starts again (its hire's last epoch is missed)",
                suppliers[last].device
            ));
            fleet.start(last).await?;
            job = agents_job_receipts(client, &lease, &suppliers, out).await?;
            settled_by_agents(
                client, &renter, &network, &lease, &suppliers, &mut steps, out,
            )
            .await?
        }
        None => {
            settle(
                client, &renter, &network, &lease, &suppliers, &mut steps, out,
            )
            .await?
        }
    };

    let claim_at = end + 1 + u64::from(network.staking.grace_epochs);
    out.say(format!(
        "-- waiting for epoch {claim_at} so the rewards are final"
    ));
    client.wait_for_epoch(claim_at).await?;
    let rewards = match &fleet {
        Some(_) => claimed_by_agents(client, &network, &suppliers, end, out).await?,
        None => claim(client, &network, &suppliers, &mut steps, out).await?,
    };

    let devices = device_summaries(&renter, &lease, &suppliers, &settled, &rewards).await?;
    let renter_balance = client.payment_balance(&renter.pubkey()).await?;
    let log = client.receipt_log(&suppliers[0].device).await?;
    let mut summary = json!({
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
    if let Some(fleet) = &fleet {
        summary["agents"] = (0..fleet.len())
            .map(|i| {
                json!({
                    "device": fleet.device(i).to_string(),
                    "url": fleet.url(i),
                    "log": fleet.log(i).display().to_string(),
                })
            })
            .collect();
    }
    say_where_to_look(out, &summary["where_to_look"]);
    if let Some(fleet) = &fleet {
        for i in 0..fleet.len() {
            out.say(format!(
                "   agent {i}:  {}  (/health, /metrics; log {})",
                fleet.url(i),
                fleet.log(i).display()
            ));
        }
    }
    Ok((summary, fleet))
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

/// The simulated machine of device `i` when real agents run: an 8-GPU H100 machine, then
/// a 4-GPU A100 one, then a 2-GPU RTX 4090 one, in the tour's region.
fn agent_profile(i: u64) -> gpunet_agent_config::hardware::HardwareOverrides {
    gpunet_agent_config::hardware::HardwareOverrides {
        profile: Some(["h100x8", "a100x4", "rtx4090x2"][(i % 3) as usize].to_string()),
        down_mbps: Some(10_000),
        up_mbps: Some(10_000),
        country: Some("DE".into()),
        region: Some(1),
        supplier_group: Some(1),
        security_tier: Some(2),
        green: Some(true),
        ..Default::default()
    }
}

async fn register_supplier(
    client: &GpunetClient,
    network: &Network,
    i: u64,
    agents: bool,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Supplier> {
    let owner = party(client).await?;
    let agent_key = Keypair::new();
    let agent = client.with_signer(agent_key.insecure_clone());
    client.airdrop(&agent.pubkey(), PARTY_LAMPORTS).await?;
    let (mut specs, cents) = demo_specs(i);
    let profile = agents.then(|| agent_profile(i));
    if let Some(profile) = &profile {
        specs = gpunet_agent_config::hardware::detect(profile)
            .map_err(CliError)?
            .specs;
    }
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
        agent_key,
        profile,
        device,
        specs,
        price,
        stake,
    })
}

/// The demo lease's job: a short shell command for the worker agent (it reports the
/// compute it used as job receipts).
pub const DEMO_JOB: &str = "cmd:echo gpunet demo job on $GPUNET_GPUS GPUs; sleep 2; echo done";
/// The demo model's inference command: any program reading the request on stdin and
/// writing the answer on stdout plugs in here.
pub const MODEL_COMMAND: &str = "tr a-z A-Z";

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
    // One transaction for the whole cluster: every hire then runs the same epochs, which
    // the tour's schedule (and the missed last epoch) relies on. Pipelined hires could
    // straddle an epoch boundary.
    let devices: Vec<Pubkey> = suppliers.iter().map(|s| s.device).collect();
    let signature = renter
        .add_hires_at_once(&created.address, &devices, epochs)
        .await?;
    for device in devices {
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

/// A model (owned by a new party) and a consumer's prepaid session for it, whose vouchers
/// `authorizer` signs.
struct Market {
    model: Pubkey,
    model_owner: Pubkey,
    consumer: GpunetClient,
    authorizer: Keypair,
    session: Pubkey,
}

async fn open_market(
    client: &GpunetClient,
    network: &Network,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Market> {
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
    Ok(Market {
        model,
        model_owner: model_owner.pubkey(),
        consumer,
        authorizer,
        session,
    })
}

/// The scripted inference receipts: the first device's agent key submits a batch with
/// the authoriser's voucher.
async fn inference(
    client: &GpunetClient,
    network: &Network,
    supplier: &Supplier,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Value> {
    let market = open_market(client, network, steps, out).await?;
    let agent = &supplier.agent;
    let batch = agent
        .next_receipt_batch(&supplier.device, records(&INFERENCE_RECORDS, 101))
        .await?;
    let signature = agent
        .submit_inference_receipts_authorized(
            &supplier.device,
            &market.session,
            batch,
            &market.authorizer,
        )
        .await?;
    let summary =
        inference_summary(client, network, supplier, &market, INFERENCE_RECORDS.len()).await?;
    step(
        steps,
        out,
        format!(
            "device {} served {} inferences ({} GPU-ms): {}",
            supplier.device,
            INFERENCE_RECORDS.len(),
            INFERENCE_RECORDS.iter().sum::<u32>(),
            summary["text"].as_str().unwrap_or_default()
        ),
        &signature,
    );
    Ok(summary)
}

/// What the session paid the first device, as the summary reports it.
async fn inference_summary(
    client: &GpunetClient,
    network: &Network,
    supplier: &Supplier,
    market: &Market,
    records: usize,
) -> Result<Value> {
    let paid = client
        .session_paid(&market.session, &supplier.device)
        .await?;
    let log = client.receipt_log(&supplier.device).await?;
    Ok(json!({
        "model": market.model.to_string(),
        "model_owner": market.model_owner.to_string(),
        "session": market.session.to_string(),
        "consumer": market.consumer.pubkey().to_string(),
        "records": records,
        "paid": paid,
        "worker": log.totals.worker,
        "royalty": log.totals.royalty,
        "fee": log.totals.fee,
        "text": format!(
            "{} USDC paid by voucher (worker {}, royalty {}, fee {})",
            network.usdc(paid),
            network.usdc(log.totals.worker),
            network.usdc(log.totals.royalty),
            network.usdc(log.totals.fee)
        ),
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
    // Through each hire's end: the sdk waits for the clock that executes the settlement.
    let results = client
        .settle_lease(lease, &devices, None, out.progress("settling"))
        .await?;
    let mut hires = Vec::new();
    for (device, result) in results {
        let done = result?;
        let hire = client.hire(lease, &device).await?;
        hires.push(
            report_and_release(
                client,
                renter,
                network,
                lease,
                &hire,
                done.signature().as_ref(),
                steps,
                out,
            )
            .await?,
        );
    }
    Ok(hires)
}

/// Reports a settled hire (with the settling transaction, when the tour sent it), the
/// slash proposed for its missed epochs, then releases it (renter); returns the hire.
#[allow(clippy::too_many_arguments)]
async fn report_and_release(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    hire: &Hire,
    settled_by: Option<&Signature>,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Hire> {
    let device = hire.device;
    let what = format!(
        "settled {device}{}: {} epoch(s) attested, {} missed; owner paid {} USDC, fees {} USDC, \
         renter refunded {} USDC",
        if settled_by.is_some() {
            ""
        } else {
            " by its agent"
        },
        hire.epochs_paid,
        hire.epochs_missed,
        network.usdc(hire.paid_to_owner),
        network.usdc(hire.fees),
        network.usdc(hire.refunded)
    );
    match settled_by {
        Some(signature) => step(steps, out, what, signature),
        None => note(steps, out, what),
    }
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
    Ok(client.hire(lease, &device).await?)
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
        // The registered epochs by name: the sdk waits until the last one is final by
        // the clock that executes the claim.
        let epochs: Vec<u64> = stake.pending_rewards.iter().map(|p| p.epoch).collect();
        let done = client.claim_rewards(&supplier.device, &epochs).await?;
        let total = client
            .stake_account(&supplier.device)
            .await?
            .rewards_claimed;
        let what = format!(
            "block rewards of {} claimed for its owner: {} network tokens",
            supplier.device,
            format_units(total, network.stake_decimals)
        );
        match done.signature() {
            Some(signature) => step(steps, out, what, &signature),
            None => note(steps, out, format!("{what} (by someone else)")),
        }
        claimed.push(total);
    }
    Ok(claimed)
}

/// A step an agent took by itself (its transaction is in the agent's log).
fn note(steps: &mut Vec<Value>, out: &Output, what: String) {
    out.say(format!("   {what}"));
    steps.push(json!({ "step": what, "by": "agent" }));
}

/// Writes each agent's key and config, starts the agents and waits until each answers.
async fn start_agents(
    client: &GpunetClient,
    options: &DemoOptions,
    fleet_options: &FleetOptions,
    suppliers: &[Supplier],
    market: &Market,
    out: &Output,
) -> Result<Fleet> {
    let mut fleet = Fleet::new(fleet_options.clone());
    let chain = fleet::Chain {
        rpc_url: client.url(),
        grpc_url: options.grpc_url.as_deref(),
        verifier_keypairs: &options.verifier_keypairs,
    };
    for (i, supplier) in suppliers.iter().enumerate() {
        let models = if i == 0 {
            vec![(market.model, MODEL_COMMAND.to_string())]
        } else {
            Vec::new()
        };
        fleet.add(
            AgentSpec {
                device: supplier.device,
                key: supplier.agent_key.insecure_clone(),
                hardware: supplier.profile.clone().unwrap_or_default(),
                models,
            },
            &chain,
        )?;
    }
    for (i, supplier) in suppliers.iter().enumerate() {
        fleet.start(i).await?;
        out.say(format!(
            "   agent {} of device {} ({}) at {}",
            supplier.agent.pubkey(),
            supplier.device,
            supplier
                .profile
                .as_ref()
                .and_then(|p| p.profile.clone())
                .unwrap_or_default(),
            fleet.url(i)
        ));
    }
    Ok(fleet)
}

/// The consumer sends requests to the first device's agent, each with the next voucher;
/// the agent answers, and records and is paid for them on chain.
async fn serve_inferences(
    client: &GpunetClient,
    network: &Network,
    fleet: &Fleet,
    supplier: &Supplier,
    market: &Market,
    out: &Output,
) -> Result<Value> {
    let http = reqwest::Client::new();
    let max_cost = u64::from(fleet::MODEL_MAX_UNITS) * MODEL_PRICE_PER_UNIT;
    let mut charged = 0u64;
    let prompts = [
        "hello gpunet",
        "what is proof of compute",
        "rent me a cluster",
    ];
    for prompt in prompts {
        let cumulative = charged + max_cost;
        let signed = Voucher::sign(
            &market.authorizer,
            &market.session,
            &supplier.device,
            cumulative,
        );
        let response = http
            .post(format!("{}/v1/inference", fleet.url(0)))
            .header(voucher::SESSION_HEADER, market.session.to_string())
            .header(voucher::VOUCHER_HEADER, signed.header())
            .body(prompt)
            .send()
            .await
            .map_err(|e| CliError(format!("inference request: {e}")))?;
        let status = response.status();
        let header = |name: &str| -> u64 {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(0)
        };
        let (units, amount) = (
            header(voucher::UNITS_HEADER),
            header(voucher::AMOUNT_HEADER),
        );
        let total = header(voucher::CHARGED_HEADER);
        let answer = response
            .text()
            .await
            .map_err(|e| CliError(format!("inference answer: {e}")))?;
        if !status.is_success() {
            return Err(CliError(format!(
                "the agent refused an inference: {status} {answer}"
            )));
        }
        charged = total;
        out.say(format!(
            "   {prompt:?} -> {answer:?}: {units} GPU-ms, {} USDC, voucher up to {} USDC",
            network.usdc(amount),
            network.usdc(cumulative)
        ));
    }
    wait_until("the inference receipts on chain", || async {
        let paid = client
            .session_paid(&market.session, &supplier.device)
            .await?;
        Ok((paid == charged).then_some(()))
    })
    .await?;
    let summary = inference_summary(client, network, supplier, market, prompts.len()).await?;
    out.say(format!(
        "   device {} recorded the {} inferences on chain: {}",
        supplier.device,
        prompts.len(),
        summary["text"].as_str().unwrap_or_default()
    ));
    Ok(summary)
}

/// Polls `check` every 250 ms for up to a minute.
async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if std::time::Instant::now() > deadline {
            return Err(CliError(format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Says which devices' agents attested `epoch` (they attest an epoch in the next one).
async fn report_attested(
    client: &GpunetClient,
    suppliers: &[Supplier],
    epoch: u64,
    out: &Output,
) -> Result<()> {
    let mut attested = Vec::new();
    for supplier in suppliers {
        // An agent attests the epoch early in the next one: wait until it did, or until
        // the epoch can no longer be attested (the one after it is over).
        let done = wait_until("an attestation or its deadline", || async {
            let device = client.device(&supplier.device).await?;
            if device.uptime.is_attested(epoch) {
                return Ok(Some(true));
            }
            let too_late = client.current_epoch().await? > epoch + 1;
            Ok(too_late.then_some(false))
        })
        .await?;
        attested.push(format!(
            "{} {}",
            supplier.device,
            if done { "attested" } else { "did not attest" }
        ));
    }
    out.say(format!("   epoch {epoch}: {}", attested.join(", ")));
    Ok(())
}

/// Stops a device's agent in `epoch` (once it attested the epoch before), for the rest of
/// the hire: its last epoch is missed.
async fn stop_agent(
    client: &GpunetClient,
    fleet: &mut Fleet,
    supplier: &Supplier,
    epoch: u64,
    out: &Output,
) -> Result<()> {
    wait_until("the previous epoch's attestation", || async {
        let device = client.device(&supplier.device).await?;
        Ok(device.uptime.is_attested(epoch - 1).then_some(()))
    })
    .await?;
    let index = (0..fleet.len())
        .find(|i| fleet.device(*i) == supplier.device)
        .expect("every supplier has an agent");
    fleet.stop(index);
    out.say(format!(
        "   the agent of {} stops (the machine goes offline) for epoch {epoch}",
        supplier.device
    ));
    Ok(())
}

/// The job receipts the agents recorded for their hires.
async fn agents_job_receipts(
    client: &GpunetClient,
    lease: &Pubkey,
    suppliers: &[Supplier],
    out: &Output,
) -> Result<Value> {
    let mut logs = Vec::new();
    for supplier in suppliers {
        let log = client.receipt_log(&supplier.device).await.ok();
        let (count, units) = log.map_or((0, 0), |l| (l.count, l.compute_units));
        out.say(format!(
            "   device {}: {count} receipt(s) on chain, {units} GPU-ms (the job `{DEMO_JOB}`{})",
            supplier.device,
            if std::ptr::eq(supplier, &suppliers[0]) {
                " and the inferences"
            } else {
                ""
            }
        ));
        logs.push(json!({
            "device": supplier.device.to_string(),
            "hire": escrow::hire_address(lease, &supplier.device).to_string(),
            "receipts": count,
            "compute_units": units,
        }));
    }
    Ok(json!({ "by": "agents", "devices": logs }))
}

/// Waits until the agents settled every hire (they settle each epoch), reports them, and
/// releases them (renter).
async fn settled_by_agents(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<Hire>> {
    let mut hires = Vec::new();
    for supplier in suppliers {
        let device = supplier.device;
        let hire = wait_until("the agents' settlements", || async {
            let hire = client.hire(lease, &device).await?;
            Ok(hire.is_settled().then_some(hire))
        })
        .await?;
        hires.push(
            report_and_release(client, renter, network, lease, &hire, None, steps, out).await?,
        );
    }
    Ok(hires)
}

/// Waits until the agents claimed every final hired epoch's rewards for their owners.
async fn claimed_by_agents(
    client: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    end: u64,
    out: &Output,
) -> Result<Vec<u64>> {
    let grace = u64::from(network.staking.grace_epochs);
    let mut claimed = Vec::new();
    for supplier in suppliers {
        let device = supplier.device;
        let stake = wait_until("the agents' claims", || async {
            let stake = client.stake_account(&device).await?;
            let current = client.current_epoch().await?;
            let waiting = stake
                .pending_rewards
                .iter()
                .any(|p| p.epoch < end && current > p.epoch + 1 + grace);
            Ok((!waiting).then_some(stake))
        })
        .await?;
        out.say(format!(
            "   block rewards of {device} claimed by its agent for the owner: {} network tokens",
            format_units(stake.rewards_claimed, network.stake_decimals)
        ));
        claimed.push(stake.rewards_claimed);
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
