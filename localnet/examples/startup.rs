//! How long localnet takes to be ready: from `Localnet::start` until JSON-RPC and the
//! Yellowstone gRPC service both answer `getSlot`, over several fresh starts.
//!
//!     cargo run -p gpunet-localnet --example startup [-- <runs>]

use std::time::{Duration, Instant};

use gpunet_localnet::{Localnet, LocalnetConfig};
use solana_client::nonblocking::rpc_client::RpcClient;
use yellowstone_grpc_client::GeyserGrpcClient;

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("runs: a number"))
        .unwrap_or(10);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let config = LocalnetConfig::new(gpunet_sdk::Pubkey::new_unique()).on_free_ports();
        let began = Instant::now();
        let localnet = Localnet::start(&config).expect("localnet starts");
        let rpc = RpcClient::new(localnet.rpc_url.clone());
        while rpc.get_slot().await.is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut grpc = GeyserGrpcClient::build_from_shared(localnet.grpc_url.clone())
            .expect("endpoint")
            .connect()
            .await
            .expect("gRPC connects");
        grpc.get_slot(None).await.expect("gRPC answers");
        times.push(began.elapsed());
        drop(localnet);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "localnet ready (RPC and gRPC answer getSlot), {runs} starts: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(times[0]),
        ms(times[runs / 2]),
        ms(times[runs - 1])
    );
}
