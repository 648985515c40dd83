//! `gpunet-localnet`: the local gpunet chain (surfpool with the gpunet programs deployed).

use std::path::PathBuf;
use std::process::ExitCode;

use gpunet_localnet::{Localnet, LocalnetConfig};

const HELP: &str = "\
gpunet-localnet: a local Solana chain (surfpool: LiteSVM executing SBF, JSON-RPC and
WebSocket pubsub) with the gpunet programs deployed at their fixed ids. Not a validator:
one process, no consensus, state in memory. Stops on Ctrl-C.

Usage: gpunet-localnet --authority <PUBKEY> [options]

Options:
  --authority <PUBKEY>   upgrade authority of the deployed programs (initialises the network)
  --bind <HOST>          address to bind [default: 127.0.0.1]
  --rpc-port <PORT>      JSON-RPC port [default: 8899]
  --ws-port <PORT>       WebSocket pubsub port [default: 8900]
  --grpc-port <PORT>     Yellowstone gRPC (Geyser) port [default: 10000]
  --replay-slots <N>     recent slots kept for gRPC from_slot replay [default: 2000]
  --programs <DIR>       directory of <program>.so files [default: target/deploy]
  --slot-time-ms <MS>    slot duration [default: 400]
  -h, --help             this text
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpunet-localnet: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut config = LocalnetConfig::new(Default::default());
    let mut authority = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--authority" => authority = Some(value("--authority")?),
            "--bind" => config.bind = value("--bind")?,
            "--rpc-port" => config.rpc_port = port(&value("--rpc-port")?)?,
            "--ws-port" => config.ws_port = port(&value("--ws-port")?)?,
            "--grpc-port" => config.grpc_port = port(&value("--grpc-port")?)?,
            "--replay-slots" => {
                config.replay_slots = value("--replay-slots")?
                    .parse()
                    .map_err(|e| format!("--replay-slots: {e}"))?
            }
            "--programs" => config.programs_dir = PathBuf::from(value("--programs")?),
            "--slot-time-ms" => {
                config.slot_time_ms = value("--slot-time-ms")?
                    .parse()
                    .map_err(|e| format!("--slot-time-ms: {e}"))?
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    let authority = authority.ok_or("--authority <PUBKEY> is required (see --help)")?;
    config.upgrade_authority = authority
        .parse()
        .map_err(|e| format!("--authority {authority:?}: {e}"))?;
    let localnet = Localnet::start(&config).map_err(|e| e.to_string())?;
    println!("gpunet localnet ready");
    println!("  JSON-RPC   {}", localnet.rpc_url);
    println!("  WebSocket  {}", localnet.ws_url);
    println!("  gRPC       {}", localnet.grpc_url);
    for (name, id) in gpunet_localnet::programs() {
        println!("  {name:<9}  {id}");
    }
    // Serve until the process is stopped.
    loop {
        std::thread::park();
    }
}

fn port(value: &str) -> Result<u16, String> {
    value.parse().map_err(|e| format!("port {value:?}: {e}"))
}
