//! `gpunet-indexer`: follows a Yellowstone gRPC endpoint into PostgreSQL until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gpunet_indexer::api::{ApiOptions, RateLimit};
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_indexer::source::stream::{self, IngestConfig};
use gpunet_indexer::store::Store;

/// Follows the gpunet programs' accounts on a Yellowstone gRPC endpoint into PostgreSQL,
/// resuming from its stored cursor after a restart.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Yellowstone gRPC endpoint (localnet's by default, or a provider's)
    #[arg(
        long,
        env = "GPUNET_GRPC_URL",
        default_value = "http://127.0.0.1:10000"
    )]
    grpc: String,
    /// Access token the provider requires (sent as x-token)
    #[arg(long, env = "GPUNET_GRPC_TOKEN")]
    x_token: Option<String>,
    /// PostgreSQL to write to; without it, a private cluster in --data-dir
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory of the private PostgreSQL cluster (created on first use)
    #[arg(long, default_value = ".gpunet/postgres")]
    data_dir: PathBuf,
    /// Port of the private PostgreSQL cluster
    #[arg(long, default_value_t = 5433)]
    pg_port: u16,
    /// Address the explorer API listens on
    #[arg(long, env = "GPUNET_API", default_value = "127.0.0.1:8080")]
    api: String,
    /// API requests per second allowed per client IP address (0: no limit)
    #[arg(long, env = "GPUNET_API_RATE_LIMIT", default_value_t = 100.0)]
    rate_limit: f64,
    /// Requests a client may make at once before the rate applies [default: 2 x rate]
    #[arg(long)]
    rate_burst: Option<f64>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Follow the gRPC stream until Ctrl-C (the default)
    Run,
    /// Rebuild the database from JSON-RPC, for an empty database or a gap longer than the
    /// gRPC replay window, then exit: state from getProgramAccounts, receipts and events
    /// from getSignaturesForAddress + getTransaction
    Backfill {
        /// JSON-RPC URL of the chain
        #[arg(long, env = "GPUNET_URL", default_value = "http://127.0.0.1:8899")]
        rpc: String,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("gpunet-indexer: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut private = None;
    let database_url = match args.database_url {
        Some(url) => url,
        None => match PrivatePostgres::start(&args.data_dir, args.pg_port) {
            Ok(pg) => {
                let url = pg.url();
                eprintln!(
                    "gpunet-indexer: private PostgreSQL at {url} ({})",
                    args.data_dir.display()
                );
                private = Some(pg);
                url
            }
            Err(e) => {
                eprintln!("gpunet-indexer: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    if let Some(Command::Backfill { rpc }) = args.command {
        let done = runtime.block_on(async {
            let mut store = Store::connect(&database_url).map_err(|e| e.to_string())?;
            let state = gpunet_indexer::source::backfill::accounts(&rpc, &mut store)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "backfilled {} accounts: {} written, {} closed accounts removed",
                state.accounts, state.written, state.deleted
            );
            let mut shown = 0;
            let history =
                gpunet_indexer::source::backfill::history(&rpc, &mut store, |done, total| {
                    // Progress on stderr every 500 transactions and at the end.
                    if done == total || done >= shown + 500 {
                        shown = done;
                        eprintln!("gpunet-indexer: history {done}/{total} transactions");
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(history)
        });
        return match done {
            Ok(history) => {
                println!(
                    "backfilled {} transactions: {} receipts, {} events",
                    history.transactions, history.receipts, history.events
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("gpunet-indexer: backfill: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if !(args.rate_limit >= 0.0 && args.rate_limit.is_finite())
        || args
            .rate_burst
            .is_some_and(|b| !(b >= 1.0 && b.is_finite()))
    {
        eprintln!("gpunet-indexer: --rate-limit must be >= 0 and --rate-burst >= 1");
        return ExitCode::from(2);
    }
    let metrics = std::sync::Arc::new(gpunet_indexer::metrics::Metrics::default());
    let options = ApiOptions {
        rate_limit: (args.rate_limit > 0.0).then(|| RateLimit {
            per_second: args.rate_limit,
            burst: args.rate_burst.unwrap_or(2.0 * args.rate_limit).max(1.0),
        }),
        metrics: metrics.clone(),
    };
    let config = IngestConfig {
        endpoint: args.grpc,
        x_token: args.x_token,
        database_url,
        metrics,
    };
    let served = runtime.block_on(async {
        let pool = gpunet_indexer::api::pool(&config.database_url, 8)?;
        let listener = tokio::net::TcpListener::bind(&args.api)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.api))?;
        eprintln!(
            "gpunet-indexer: explorer API at http://{}/v1 (OpenAPI: /v1/openapi.json, metrics: /metrics)",
            args.api
        );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let ingest = tokio::spawn(stream::run(config, stopped.clone()));
        let mut api_stopped = stopped;
        let app = gpunet_indexer::api::app(pool, options);
        let api = tokio::spawn(gpunet_indexer::api::serve(listener, app, async move {
            let _ = api_stopped.changed().await;
        }));
        shutdown_signal().await;
        let _ = stop.send(true);
        let _ = ingest.await;
        let _ = api.await;
        Ok::<(), String>(())
    });
    drop(private);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpunet-indexer: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C (SIGINT) or SIGTERM: either stops the indexer cleanly (its private PostgreSQL
/// is shut down, not left running).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
