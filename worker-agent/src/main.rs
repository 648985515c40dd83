//! `gpunet-agent`: init (key, hardware, the owner's commands), run (the daemon), status.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gpunet_agent::agent::Agent;
use gpunet_agent::config::{Config, Settings, Watch, default_data_dir};
use gpunet_agent::hardware::{self, HardwareOverrides};
use gpunet_agent::init::{self, InitArgs};
use gpunet_agent::outbox::Outbox;
use gpunet_sdk::Pubkey;
use gpunet_sdk::amount::Amount;

#[derive(Debug, Parser)]
#[command(
    name = "gpunet-agent",
    version,
    about = "The gpunet worker agent: attests uptime, runs hired jobs, serves inferences and \
             records receipts on chain for one device",
    long_about = "The gpunet worker agent: attests uptime, runs hired jobs, serves inferences \
                  and records receipts on chain for one device.\n\n\
                  Start with `gpunet-agent init` on the machine: it creates the agent key, \
                  detects the hardware, writes the config file and prints what the device's \
                  owner runs to register and stake the device. Then `gpunet-agent run`.\n\n\
                  Settings come from the config file, then GPUNET_AGENT_* environment \
                  variables, then flags (each overriding the one before). See \
                  docs/worker-agent.md."
)]
struct Cli {
    /// Config file (TOML) [default: <data dir>/agent.toml]
    #[arg(long, env = "GPUNET_AGENT_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Where the agent keeps its key, config, outbox and job logs [default:
    /// ~/.local/share/gpunet-agent]
    #[arg(long, env = "GPUNET_AGENT_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct SettingsArgs {
    /// JSON-RPC endpoint of the chain [default: http://127.0.0.1:8899]
    #[arg(long, env = "GPUNET_AGENT_RPC_URL", global = true)]
    rpc_url: Option<String>,
    /// How hires are watched: RPC polling, or a Yellowstone gRPC subscription [default: rpc]
    #[arg(long, env = "GPUNET_AGENT_WATCH", global = true)]
    watch: Option<Watch>,
    /// Yellowstone gRPC endpoint (with --watch yellowstone)
    #[arg(long, env = "GPUNET_AGENT_GRPC_URL", global = true)]
    grpc_url: Option<String>,
    /// The gRPC provider's access token
    #[arg(
        long,
        env = "GPUNET_AGENT_GRPC_TOKEN",
        global = true,
        hide_env_values = true
    )]
    grpc_token: Option<String>,
    /// The agent keypair file [default: <data dir>/agent-keypair.json]
    #[arg(long, env = "GPUNET_AGENT_KEYPAIR", global = true)]
    keypair: Option<PathBuf>,
    /// The device address (printed by the owner's `gpunet device register`)
    #[arg(long, env = "GPUNET_AGENT_DEVICE", global = true)]
    device: Option<String>,
    /// Address of the health, metrics and inference endpoint [default: 127.0.0.1:9100]
    #[arg(long, env = "GPUNET_AGENT_LISTEN", global = true)]
    listen: Option<String>,
    /// Chain polling interval, milliseconds [default: 500]
    #[arg(long, env = "GPUNET_AGENT_POLL_MS", global = true)]
    poll_ms: Option<u64>,
    /// Inference receipts wait at most this long to fill a batch, milliseconds (counted in
    /// whole seconds of chain time, rounded up) [default: 2000]
    #[arg(long, env = "GPUNET_AGENT_BATCH_WAIT_MS", global = true)]
    batch_wait_ms: Option<u64>,
    /// At most this many receipts per batch, 1..=32 [default: 32]
    #[arg(long, env = "GPUNET_AGENT_BATCH_MAX", global = true)]
    batch_max: Option<usize>,
    /// Settle the device's hires every this many epochs [default: 1]
    #[arg(long, env = "GPUNET_AGENT_SETTLE_EVERY_EPOCHS", global = true)]
    settle_every_epochs: Option<u64>,
    /// Claim the device's final block rewards every this many epochs [default: 4]
    #[arg(long, env = "GPUNET_AGENT_CLAIM_EVERY_EPOCHS", global = true)]
    claim_every_epochs: Option<u64>,
    /// Proof-of-work benchmark: matrix size [default: 128]
    #[arg(long, env = "GPUNET_AGENT_BENCHMARK_SIZE", global = true)]
    benchmark_size: Option<u32>,
    /// Warn (and report degraded health) below this SOL balance, lamports [default:
    /// 50000000]
    #[arg(long, env = "GPUNET_AGENT_LOW_BALANCE_LAMPORTS", global = true)]
    low_balance_lamports: Option<u64>,
    /// Verifier keypair file co-signing attestations (development networks; repeatable)
    #[arg(
        long = "verifier-keypair",
        env = "GPUNET_AGENT_VERIFIER_KEYPAIRS",
        global = true,
        value_delimiter = ','
    )]
    verifier_keypairs: Vec<PathBuf>,
    /// Simulated hardware profile: h100x8, a100x4, rtx4090x2 or cpu [default: detect]
    #[arg(long, env = "GPUNET_AGENT_PROFILE", global = true)]
    profile: Option<String>,
    /// Country of the machine, ISO 3166-1 alpha-2 [default: US]
    #[arg(long, env = "GPUNET_AGENT_COUNTRY", global = true)]
    country: Option<String>,
    /// Download bandwidth, Mbit/s [default: 1000]
    #[arg(long, env = "GPUNET_AGENT_DOWN_MBPS", global = true)]
    down_mbps: Option<u32>,
    /// Upload bandwidth, Mbit/s [default: 1000]
    #[arg(long, env = "GPUNET_AGENT_UP_MBPS", global = true)]
    up_mbps: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the agent key, detect the hardware, write the config file, and print the
    /// owner's commands (and an unsigned transaction) that register and stake the device
    Init {
        /// The device owner's wallet address: with it the device address, the exact
        /// minimum stake and a transaction for the wallet are printed
        #[arg(long)]
        owner: Option<Pubkey>,
        /// Device number, chosen by the owner (one owner can run many devices)
        #[arg(long, default_value_t = 0)]
        device_id: u64,
        /// Price per GPU-hour in USDC (2.5 = 2.5 USDC; base units with a `u` suffix)
        #[arg(long, default_value = "2")]
        price: Amount,
        /// Measure download bandwidth by fetching this URL (at most 64 MiB, 20 s)
        #[arg(long, value_name = "URL")]
        measure_bandwidth: Option<String>,
    },
    /// Run the agent until SIGTERM or Ctrl-C
    Run,
    /// Print the outbox: epochs attested and missed, receipts pending and recorded
    Status,
}

impl SettingsArgs {
    fn settings(self) -> Settings {
        let hardware = HardwareOverrides {
            profile: self.profile,
            country: self.country,
            down_mbps: self.down_mbps,
            up_mbps: self.up_mbps,
            ..HardwareOverrides::default()
        };
        Settings {
            rpc_url: self.rpc_url,
            grpc_url: self.grpc_url,
            grpc_token: self.grpc_token,
            watch: self.watch,
            keypair: self.keypair,
            device: self.device,
            listen: self.listen,
            poll_ms: self.poll_ms,
            batch_wait_ms: self.batch_wait_ms,
            batch_max: self.batch_max,
            benchmark_size: self.benchmark_size,
            settle_every_epochs: self.settle_every_epochs,
            claim_every_epochs: self.claim_every_epochs,
            low_balance_lamports: self.low_balance_lamports,
            verifier_keypairs: (!self.verifier_keypairs.is_empty())
                .then_some(self.verifier_keypairs),
            hardware: (hardware != HardwareOverrides::default()).then_some(hardware),
            ..Settings::default()
        }
    }
}

/// The file's settings with the hardware facts merged field by field under the flags'.
fn merge(file: Settings, flags: Settings) -> Settings {
    let hardware = match (file.hardware.clone(), flags.hardware.clone()) {
        (Some(f), Some(o)) => Some(HardwareOverrides {
            profile: o.profile.or(f.profile),
            country: o.country.or(f.country),
            down_mbps: o.down_mbps.or(f.down_mbps),
            up_mbps: o.up_mbps.or(f.up_mbps),
            ..f
        }),
        (f, o) => o.or(f),
    };
    Settings {
        hardware,
        ..file.overridden_by(flags)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpunet-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| data_dir.join("agent.toml"));
    let file = if config_path.exists() {
        Settings::read(&config_path)?
    } else if cli.config.is_some() {
        return Err(format!("no config file at {}", config_path.display()));
    } else {
        Settings::default()
    };
    let settings = merge(file, cli.settings.settings());
    match cli.command {
        Command::Init {
            owner,
            device_id,
            price,
            measure_bandwidth,
        } => {
            let args = InitArgs {
                owner,
                device_id,
                price,
                measure_bandwidth,
            };
            let done = init::run(settings, &data_dir, &config_path, &args).await?;
            print!("{}", done.text);
            Ok(())
        }
        Command::Status => {
            let config = Config::resolve(settings, data_dir)?;
            let outbox = Outbox::open(&config.outbox_path()).map_err(|e| e.to_string())?;
            let counts = outbox.counts().map_err(|e| e.to_string())?;
            let open = outbox.open_batch().map_err(|e| e.to_string())?;
            println!("device {}", config.device);
            println!(
                "epochs: {} attested, {} missed",
                counts.epochs_attested, counts.epochs_missed
            );
            println!(
                "receipts: {} pending, {} recorded on chain ({} batches), {} dropped",
                counts.receipts_pending,
                counts.receipts_confirmed,
                counts.batches_confirmed,
                counts.receipts_dropped
            );
            if let Some(batch) = open {
                println!(
                    "open batch: receipts {}.. ({} records, {} attempts)",
                    batch.batch.first_seq,
                    batch.batch.records.len(),
                    batch.attempts
                );
            }
            Ok(())
        }
        Command::Run => {
            let config = Config::resolve(settings, data_dir)?;
            daemon(config).await
        }
    }
}

/// Holds an exclusive lock on `<data dir>/agent.lock` for as long as the file lives: two
/// agents on one outbox would number receipts over each other.
fn lock(data_dir: &Path) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("agent.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: flock on a descriptor this function owns.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !locked {
        return Err(format!(
            "another gpunet-agent is running with the data directory {}",
            data_dir.display()
        ));
    }
    Ok(file)
}

async fn daemon(config: Config) -> Result<(), String> {
    let _lock = lock(&config.data_dir)?;
    let hardware = hardware::detect(&config.hardware)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let agent = Agent::start(config, hardware)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "gpunet-agent: device {}, agent key {}, {}; http://{address} (/health, /metrics, \
         /v1/inference)",
        agent.chain.device,
        agent.agent_key(),
        gpunet_agent::init::describe(&agent.hardware)
    );
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let server = {
        let mut shutdown = shutdown.clone();
        let app = gpunet_agent::http::app(agent.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = shutdown.wait_for(|stop| *stop).await;
                })
                .await
        })
    };
    let tasks = tokio::spawn(gpunet_agent::daemon::run(agent.clone(), shutdown));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("gpunet-agent: stopping");
    let _ = stop.send(true);
    let _ = tasks.await;
    let _ = server.await;
    Ok(())
}
