//! The indexer's benchmarks, measured in one run on one machine:
//!
//! * `ingest`: a workload of `register_device` transactions on localnet with no indexer
//!   running, then the indexer (in-process `stream::run`) replays it into an empty
//!   database; its rows per second against `COPY ... FROM STDIN` of the very same rows
//!   into an empty database with the same schema.
//! * `lag`: the indexer and the API following localnet while a steady load of
//!   `register_device` transactions arrives; per transaction, the time from the chain
//!   reporting it `confirmed` (`getSignatureStatuses`) to the API serving its device.
//! * `api`: the API over 1,000 devices and 1,000,000 receipts generated with SQL, under
//!   `wrk` on the same machine.
//!
//! ```text
//! cargo run --release -p gpunet-indexer --example bench -- [ingest|lag|api|all] [options]
//! ```
//! (`scripts/bench` builds the programs and runs this.) Markdown on stdout, progress on
//! stderr. Every benchmark starts its own private PostgreSQL (temp dir, free port) and,
//! where needed, its own in-process localnet.

use std::time::Instant;

use clap::{Parser, ValueEnum};

/// Calls macro `$m` with every table of the indexer's schema (diesel's table types are static,
/// so `COPY` by name dispatches over this one list).
macro_rules! for_each_table {
    ($m:ident) => {
        $m!(
            accounts,
            ingest_cursor,
            devices,
            receipts,
            receipt_chains,
            network,
            staking_config,
            stakes,
            epoch_rewards,
            slashes,
            leases,
            hires,
            models,
            sessions,
            events,
            device_epochs,
            settlements,
            receipt_totals,
            device_totals
        )
    };
}

mod api_wrk;
mod common;
mod ingest;
mod lag;

use common::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    Ingest,
    Lag,
    Api,
    All,
}

/// The indexer's benchmarks (Markdown on stdout).
#[derive(Parser, Debug)]
struct Args {
    #[arg(value_enum, default_value = "all")]
    which: Which,
    /// ingest: owners sending the workload.
    #[arg(long, default_value_t = 4)]
    ingest_owners: usize,
    /// ingest: `register_device` transactions per owner.
    #[arg(long, default_value_t = 500)]
    ingest_txs_per_owner: usize,
    /// ingest: devices registered per transaction.
    #[arg(long, default_value_t = 4)]
    ingest_devices_per_tx: usize,
    /// ingest: transactions in flight while the workload is sent.
    #[arg(long, default_value_t = 16)]
    ingest_in_flight: usize,
    /// lag: transactions per second (one device each).
    #[arg(long, default_value_t = 200)]
    lag_rate: u64,
    /// lag: seconds of load.
    #[arg(long, default_value_t = 30)]
    lag_seconds: u64,
    /// lag: owners the load is spread over.
    #[arg(long, default_value_t = 4)]
    lag_owners: usize,
    /// api: devices generated.
    #[arg(long, default_value_t = 1_000)]
    api_devices: i64,
    /// api: receipts generated (spread evenly over the devices).
    #[arg(long, default_value_t = 1_000_000)]
    api_receipts: i64,
    /// api: wrk threads.
    #[arg(long, default_value_t = 2)]
    wrk_threads: u32,
    /// api: wrk connections.
    #[arg(long, default_value_t = 32)]
    wrk_connections: u32,
    /// api: wrk duration per endpoint, in seconds.
    #[arg(long, default_value_t = 20)]
    wrk_seconds: u32,
    /// api: the API's PostgreSQL pool size (the `gpunet-indexer` binary uses 8).
    #[arg(long, default_value_t = 8)]
    api_pool: u32,
}

/// localnet slot time for every benchmark.
const SLOT_MS: u64 = 100;
/// lag: most `sendTransaction` requests open at once.
const LAG_MAX_IN_FLIGHT: usize = 64;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let result = runtime.block_on(run(args));
    eprintln!(
        "bench: finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let all = args.which == Which::All;
    println!("{}", machine().await);
    if all || args.which == Which::Ingest {
        let section = ingest::ingest_vs_copy(&args).await?;
        println!("{section}");
    }
    if all || args.which == Which::Lag {
        let section = lag::lag(&args).await?;
        println!("{section}");
    }
    if all || args.which == Which::Api {
        let section = api_wrk::api_under_wrk(&args).await?;
        println!("{section}");
    }
    Ok(())
}

fn progress(message: impl std::fmt::Display) {
    eprintln!("bench: {message}");
}

// ----------------------------------------------------------------------------------------
// The machine and the run.

async fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("?".to_string(), |kb| format!("{:.1}", kb / 1024.0 / 1024.0));
    let command_output = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"]).unwrap_or("?".into());
    let dirty = command_output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or("?".into());
    let kernel = command_output("uname", &["-sr"]).unwrap_or("?".into());
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    format!(
        "## Machine and run\n\n\
         - {date}, commit `{commit}`{}; `bench {}`\n\
         - CPU: {cpu}, {cores} cores available; RAM {mem_gib} GiB; {kernel}\n\
         - {profile} build; one process (localnet, indexer, API and load generators \
         in-process; `wrk` a separate process), every server on 127.0.0.1\n\
         - localnet slot time {SLOT_MS} ms; PostgreSQL: a private cluster per benchmark \
         (`PrivatePostgres`, default settings, fsync on)\n",
        if dirty { " (with local changes)" } else { "" },
        if arguments.is_empty() {
            "all".to_string()
        } else {
            arguments.join(" ")
        }
    )
}

// ----------------------------------------------------------------------------------------
// Shared pieces: PostgreSQL in a temp dir, localnet with the network, signing and sending.
