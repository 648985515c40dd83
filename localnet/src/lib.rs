//! The local gpunet chain: surfpool-core (LiteSVM running the real SBF programs, Solana
//! JSON-RPC and WebSocket pubsub) started in-process with every gpunet program deployed
//! through the upgradeable loader at its fixed id, plus a Yellowstone gRPC service ([`grpc`])
//! fed by surfpool's in-process Geyser events. It is a development chain, not a validator:
//! one process, no consensus, state in memory.

pub mod grpc;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use gpunet_sdk::Pubkey;
use solana_account::Account;
use surfpool_core::surfnet::GeyserEvent;
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
use surfpool_types::{
    BlockProductionMode, RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig,
};

/// The programs started with the chain: deploy name and fixed id.
pub fn programs() -> [(&'static str, Pubkey); 4] {
    [
        ("registry", gpunet_sdk::registry::PROGRAM_ID),
        ("escrow", gpunet_sdk::escrow::PROGRAM_ID),
        ("staking", gpunet_sdk::staking::PROGRAM_ID),
        ("proof", gpunet_sdk::proof::PROGRAM_ID),
    ]
}

#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    pub bind: String,
    pub rpc_port: u16,
    pub ws_port: u16,
    /// Yellowstone gRPC (Geyser) port.
    pub grpc_port: u16,
    /// How many recent slots of Geyser updates are kept for `from_slot` replay.
    pub replay_slots: u64,
    /// Where `toolchain/build-sbf` put the programs (`<name>.so`).
    pub programs_dir: PathBuf,
    /// Upgrade authority of the deployed programs: the only key that can initialise the
    /// network (the registry checks it).
    pub upgrade_authority: Pubkey,
    pub slot_time_ms: u64,
}

impl LocalnetConfig {
    /// The defaults: 127.0.0.1, JSON-RPC 8899, WebSocket 8900, gRPC 10000, 400 ms slots,
    /// 2,000 replay slots, the programs from this checkout's `target/deploy`.
    pub fn new(upgrade_authority: Pubkey) -> Self {
        LocalnetConfig {
            bind: "127.0.0.1".into(),
            rpc_port: 8899,
            ws_port: 8900,
            grpc_port: 10000,
            replay_slots: 2_000,
            programs_dir: default_programs_dir(),
            upgrade_authority,
            slot_time_ms: 400,
        }
    }

    /// The same on ports the system picks, for tests and for several chains on one machine.
    pub fn on_free_ports(self) -> Self {
        LocalnetConfig {
            rpc_port: free_port(),
            ws_port: free_port(),
            grpc_port: free_port(),
            ..self
        }
    }
}

/// A TCP port free on 127.0.0.1 right now (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the system has a free port")
}

#[derive(Debug)]
pub enum Error {
    MissingProgram {
        path: PathBuf,
        error: std::io::Error,
    },
    Svm(String),
    NotReady(String),
    Grpc {
        address: String,
        error: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::MissingProgram { path, error } => write!(
                f,
                "cannot read {} ({error}); build the programs first: toolchain/build-sbf",
                path.display()
            ),
            Error::Svm(e) => write!(f, "surfpool: {e}"),
            Error::NotReady(e) => write!(f, "the chain did not start: {e}"),
            Error::Grpc { address, error } => {
                write!(f, "cannot serve gRPC on {address}: {error}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// A running chain; stopped when dropped.
pub struct Localnet {
    pub rpc_url: String,
    pub ws_url: String,
    /// The Yellowstone gRPC endpoint (`http://host:port`).
    pub grpc_url: String,
    commands: Sender<SimnetCommand>,
    runloop: Option<JoinHandle<()>>,
    grpc: Option<grpc::GrpcServer>,
    feeder: Option<JoinHandle<()>>,
    stop_feeder: Arc<AtomicBool>,
}

impl Localnet {
    /// Starts the chain and returns once its RPC and WebSocket servers are serving.
    pub fn start(config: &LocalnetConfig) -> Result<Self, Error> {
        let elfs = programs()
            .iter()
            .map(|(name, id)| {
                let path = config.programs_dir.join(format!("{name}.so"));
                std::fs::read(&path)
                    .map(|elf| (*id, elf))
                    .map_err(|error| Error::MissingProgram { path, error })
            })
            .collect::<Result<Vec<_>, _>>()?;

        // surfpool's instruction profiling (on by default) clones the whole SVM state for
        // every instruction: nothing here reads the profiles, and with it on this machine
        // executes ~22 transactions/s instead of 200+.
        let (mut svm, simnet_events, geyser_events) = SurfnetSvm::new(SurfnetSvmConfig {
            slot_time: config.slot_time_ms,
            instruction_profiling_enabled: false,
            ..SurfnetSvmConfig::default()
        })
        .map_err(|e| Error::Svm(e.to_string()))?;
        for (id, elf) in &elfs {
            deploy(&mut svm, id, elf, &config.upgrade_authority)?;
        }
        // surfpool blocks when its bounded Geyser channel is full: drain it from the start.
        let hub = grpc::Hub::new(config.replay_slots);
        let stop_feeder = Arc::new(AtomicBool::new(false));
        let feeder = grpc::spawn_feeder(geyser_events, hub.clone(), stop_feeder.clone())
            .map_err(|e| Error::Svm(e.to_string()))?;

        let surfpool = SurfpoolConfig {
            simnets: vec![SimnetConfig {
                offline_mode: true,
                remote_rpc_url: None,
                slot_time: config.slot_time_ms,
                block_production_mode: BlockProductionMode::Clock,
                instruction_profiling_enabled: false,
                ..SimnetConfig::default()
            }],
            rpc: RpcConfig {
                bind_host: config.bind.clone(),
                bind_port: config.rpc_port,
                ws_port: config.ws_port,
                ..RpcConfig::default()
            },
            ..SurfpoolConfig::default()
        };
        let (commands, commands_rx) = crossbeam_channel::unbounded();
        let runloop_commands = commands.clone();
        let runloop = std::thread::Builder::new()
            .name("surfpool".into())
            .spawn(move || {
                let run = surfpool_core::start_local_surfnet(
                    svm,
                    surfpool,
                    runloop_commands,
                    commands_rx,
                    geyser_events_for_surfpool(),
                );
                if let Err(e) = hiro_system_kit::nestable_block_on(run) {
                    eprintln!("gpunet-localnet: surfpool stopped: {e}");
                }
            })
            .map_err(|e| Error::Svm(e.to_string()))?;
        let mut localnet = Localnet {
            rpc_url: format!("http://{}:{}", config.bind, config.rpc_port),
            ws_url: format!("ws://{}:{}", config.bind, config.ws_port),
            grpc_url: format!("http://{}:{}", config.bind, config.grpc_port),
            commands,
            runloop: Some(runloop),
            grpc: None,
            feeder: Some(feeder),
            stop_feeder,
        };
        wait_until_started(&simnet_events)?;
        let address = format!("{}:{}", config.bind, config.grpc_port);
        let grpc_error = |error| Error::Grpc {
            address: address.clone(),
            error,
        };
        let socket = std::net::ToSocketAddrs::to_socket_addrs(&address)
            .map_err(grpc_error)?
            .next()
            .ok_or_else(|| grpc_error(std::io::ErrorKind::AddrNotAvailable.into()))?;
        localnet.grpc = Some(grpc::GrpcServer::start(socket, hub).map_err(grpc_error)?);
        Ok(localnet)
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.grpc.take();
        let _ = self.commands.send(SimnetCommand::Terminate(None));
        if let Some(runloop) = self.runloop.take() {
            let _ = runloop.join();
        }
        self.stop_feeder.store(true, Ordering::Relaxed);
        if let Some(feeder) = self.feeder.take() {
            let _ = feeder.join();
        }
    }
}

/// surfpool forwards Geyser events to plugins read from this channel; we have none and
/// read the events from the svm's own channel instead.
fn geyser_events_for_surfpool() -> Receiver<GeyserEvent> {
    crossbeam_channel::never()
}

fn wait_until_started(events: &Receiver<SimnetEvent>) -> Result<(), Error> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(SimnetEvent::CoreStarted(_)) => return Ok(()),
            Ok(SimnetEvent::Aborted(e)) => return Err(Error::NotReady(e)),
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => return Err(Error::NotReady("timed out".into())),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::NotReady("surfpool exited".into()));
            }
        }
    }
}

/// Puts `elf` at `id` as an upgradeable program with `authority` as upgrade authority
/// (program-data account first, so the program account loads it).
fn deploy(svm: &mut SurfnetSvm, id: &Pubkey, elf: &[u8], authority: &Pubkey) -> Result<(), Error> {
    let loader = gpunet_sdk::upgradeable_loader::LOADER_ID;
    let program_data = gpunet_sdk::program_data_address(id);
    let mut data = gpunet_sdk::upgradeable_loader::program_data_header(Some(*authority));
    data.extend_from_slice(elf);
    let rent_exempt = |len: usize| (len as u64 + 128) * 6_960;
    svm.set_account(
        &program_data,
        Account {
            lamports: rent_exempt(data.len()),
            data,
            owner: loader,
            executable: false,
            rent_epoch: 0,
        },
    )
    .map_err(|e| Error::Svm(e.to_string()))?;
    let program = gpunet_sdk::upgradeable_loader::program_account(&program_data);
    svm.set_account(
        id,
        Account {
            lamports: rent_exempt(program.len()),
            data: program,
            owner: loader,
            executable: true,
            rent_epoch: 0,
        },
    )
    .map_err(|e| Error::Svm(e.to_string()))
}

/// `target/deploy` of the repository this crate is in.
pub fn default_programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy")
}
