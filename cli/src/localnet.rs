//! `gpunet localnet`: the local chain, the network initialised on it, optionally the
//! tour, then serve until Ctrl-C.

use std::path::PathBuf;

use clap::Args;
use gpunet_localnet::{Localnet, LocalnetConfig, default_programs_dir};
use gpunet_sdk::client::GpunetClient;
use serde_json::{Value, json};
use solana_signer::Signer;

use crate::demo::{self, DemoOptions};
use crate::output::print_stdout;
use crate::setup::{self, Defaults, Endpoints, NetworkInitArgs};
use crate::{CliError, Context, Result};

#[derive(Debug, Args)]
pub struct LocalnetArgs {
    /// Address the servers bind
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// JSON-RPC port
    #[arg(long, default_value_t = 8899)]
    pub rpc_port: u16,
    /// WebSocket (pubsub) port
    #[arg(long, default_value_t = 8900)]
    pub ws_port: u16,
    /// Yellowstone gRPC port
    #[arg(long, default_value_t = 10000)]
    pub grpc_port: u16,
    /// Recent slots of gRPC updates kept for `from_slot` replay
    #[arg(long, default_value_t = 2000)]
    pub replay_slots: u64,
    /// Slot duration in milliseconds
    #[arg(long, default_value_t = 400)]
    pub slot_time_ms: u64,
    /// Directory of the built programs (<name>.so) [default: target/deploy of this checkout]
    #[arg(long)]
    pub programs: Option<PathBuf>,
    /// Start the chain only; do not initialise the network
    #[arg(long)]
    pub no_init: bool,
    /// After start-up, run the tour (`gpunet demo`) against the chain
    #[arg(long, conflicts_with = "no_init")]
    pub demo: bool,
    /// In the tour, run a real gpunet-agent per device (they keep attesting until Ctrl-C;
    /// data under <state dir>/agents/) instead of scripting the agents
    #[arg(long, requires = "demo")]
    pub agents: bool,
    /// The gpunet-agent binary [default: next to gpunet, else on the PATH]
    #[arg(long, requires = "agents")]
    pub agent_bin: Option<PathBuf>,
    /// The agents' HTTP ports start here (agent i: 127.0.0.1:<port + i>)
    #[arg(long, default_value_t = 9100)]
    pub agent_port: u16,
    /// The explorer API following this chain (shown by the tour under "where to look")
    #[arg(long, env = "GPUNET_EXPLORER_URL")]
    pub explorer_url: Option<String>,
    #[command(flatten)]
    pub network: NetworkInitArgs,
}

/// SOL airdropped to the authority: fees and rent for the set-up and the tour.
const AUTHORITY_SOL: u64 = 1_000;

pub async fn run(ctx: &Context, args: LocalnetArgs) -> Result<()> {
    let authority = ctx.keypair()?;
    let config = LocalnetConfig {
        bind: args.bind.clone(),
        rpc_port: args.rpc_port,
        ws_port: args.ws_port,
        grpc_port: args.grpc_port,
        replay_slots: args.replay_slots,
        programs_dir: args.programs.clone().unwrap_or_else(default_programs_dir),
        upgrade_authority: authority.pubkey(),
        slot_time_ms: args.slot_time_ms,
    };
    // Starting binds sockets and waits for the chain: keep it off the async workers.
    let localnet = tokio::task::spawn_blocking(move || Localnet::start(&config))
        .await
        .map_err(|e| CliError(format!("the local chain crashed while starting: {e}")))?
        .map_err(|e| CliError(format!("cannot start the local chain: {e}")))?;
    let client = GpunetClient::new(localnet.rpc_url.clone(), authority);
    let mut report = json!({
        "rpc_url": localnet.rpc_url,
        "ws_url": localnet.ws_url,
        "grpc_url": localnet.grpc_url,
        "authority": client.pubkey().to_string(),
    });
    client
        .airdrop(&client.pubkey(), AUTHORITY_SOL * 1_000_000_000)
        .await?;
    let state = if args.no_init {
        None
    } else {
        let endpoints = Endpoints {
            rpc_url: localnet.rpc_url.clone(),
            ws_url: Some(localnet.ws_url.clone()),
            grpc_url: Some(localnet.grpc_url.clone()),
        };
        // A new local chain replaces the development verifier keys of an earlier one:
        // they were only ever valid on the chain that is gone.
        let state = setup::init_network(
            &client,
            &args.network,
            Defaults::LOCAL,
            endpoints,
            true,
            &ctx.out,
        )
        .await?;
        report["state_file"] = json!(args.network.state.display().to_string());
        report["network"] = serde_json::to_value(&state).expect("state serialises");
        Some(state)
    };
    let tour = match state.filter(|_| args.demo) {
        Some(state) => Some(DemoOptions {
            explorer_url: args.explorer_url.clone(),
            agents: if args.agents {
                Some(demo::fleet_options(
                    &args.network.state,
                    args.agent_bin.as_deref(),
                    Some(args.agent_port),
                )?)
            } else {
                None
            },
            ..DemoOptions::from_state(&state, 3, 2)?
        }),
        None => None,
    };
    // People see the endpoints before the tour; scripts get one object after it.
    if !ctx.out.json {
        announce(ctx, &report);
    }
    // The tour's agents (if any) live as long as the chain, attesting every epoch.
    let mut agents = None;
    if let Some(options) = tour {
        let (summary, fleet) = demo::tour(&client, &options, &ctx.out).await?;
        report["demo"] = summary;
        agents = fleet;
        ctx.out.say(if agents.is_some() {
            "The chain and the agents keep running; press Ctrl-C to stop."
        } else {
            "The chain keeps running; press Ctrl-C to stop."
        });
    }
    if ctx.out.json {
        announce(ctx, &report);
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError(format!("cannot wait for Ctrl-C: {e}")))?;
    ctx.out.say("stopping");
    tokio::task::spawn_blocking(move || {
        drop(agents);
        drop(localnet)
    })
    .await
    .map_err(|e| CliError(format!("the local chain crashed while stopping: {e}")))
}

/// Prints the endpoints once everything is ready: the JSON object, or a summary.
fn announce(ctx: &Context, report: &Value) {
    if ctx.out.json {
        ctx.out.result(report);
        return;
    }
    let field = |key: &str| report[key].as_str().unwrap_or("-").to_string();
    let mut text = format!(
        "gpunet localnet is running\n  JSON-RPC:  {}\n  WebSocket: {}\n  gRPC:      {}\n  \
         authority: {} (upgrade authority, admin, mint authority)\n",
        field("rpc_url"),
        field("ws_url"),
        field("grpc_url"),
        field("authority")
    );
    if let Some(state) = report["state_file"].as_str() {
        text.push_str(&format!("  state:     {state}\n"));
    }
    text.push_str("Press Ctrl-C to stop.\n");
    print_stdout(&text);
}
