//! The Yellowstone gRPC (Geyser) service of localnet, so the indexer and agents use the
//! real `yellowstone-grpc-client` against it exactly as against a production provider.
//! surfpool's in-process Geyser events are converted once ([`convert`]), kept for a bounded
//! window of recent slots and fanned out ([`hub`]) to subscriptions that filter them and
//! hold them to their commitment ([`filter`], [`session`]).

mod convert;
mod filter;
mod hub;
mod session;
mod update;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use surfpool_core::surfnet::GeyserEvent;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Request, Response, Status, Streaming};
use yellowstone_grpc_proto::geyser::geyser_server::{Geyser, GeyserServer};
use yellowstone_grpc_proto::prelude::*;

pub use hub::Hub;
use update::SlotStatus;

/// Moves surfpool's Geyser events into the hub until the chain stops.
pub fn spawn_feeder(
    events: Receiver<GeyserEvent>,
    hub: Arc<Hub>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("geyser-feed".into())
        .spawn(move || {
            loop {
                match events.recv_timeout(Duration::from_millis(100)) {
                    Ok(event) => {
                        if let Some(update) = convert::update(event) {
                            hub.publish(update);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) if !stop.load(Ordering::Relaxed) => {}
                    Err(_) => return,
                }
            }
        })
}

/// The running gRPC server; stopped when dropped.
pub struct GrpcServer {
    pub address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl GrpcServer {
    /// Binds `address` now (so a port in use fails here, and the port is ready when this
    /// returns) and serves on a runtime of its own thread, so the server can be dropped
    /// from anywhere, inside another runtime included.
    pub fn start(address: SocketAddr, hub: Arc<Hub>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("grpc")
            .enable_all()
            .build()?;
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("grpc-server".into())
            .spawn(move || runtime.block_on(serve(listener, hub, stopped)))?;
        Ok(GrpcServer {
            address,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

async fn serve(listener: std::net::TcpListener, hub: Arc<Hub>, stopped: oneshot::Receiver<()>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => return eprintln!("gpunet-localnet: gRPC listener: {e}"),
    };
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<GeyserServer<Service>>().await;
    let geyser = GeyserServer::new(Service { hub })
        .max_decoding_message_size(4 << 20)
        .max_encoding_message_size(64 << 20);
    // Stopping is graceful for unary calls, but a subscription never ends by itself: after
    // a short grace the server stops anyway and open streams are cut (their clients see the
    // connection close and reconnect elsewhere).
    let (stopping, mut stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = stopped.await;
        let _ = stopping.send(true);
    });
    let mut graceful = stop.clone();
    let server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(geyser)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
            let _ = graceful.wait_for(|stop| *stop).await;
        });
    tokio::select! {
        served = server => {
            if let Err(e) = served {
                eprintln!("gpunet-localnet: gRPC server stopped: {e}");
            }
        }
        _ = async {
            let _ = stop.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
}

/// How long a stopping server waits for open calls before cutting them.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

impl Drop for GrpcServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Service {
    hub: Arc<Hub>,
}

/// How many messages a subscription may have in flight before its reader waits.
const STREAM_BUFFER: usize = 4096;

fn status_at(commitment: Option<i32>) -> SlotStatus {
    commitment
        .and_then(|c| CommitmentLevel::try_from(c).ok())
        .map_or(SlotStatus::Finalized, SlotStatus::from_commitment)
}

#[tonic::async_trait]
impl Geyser for Service {
    type SubscribeStream = ReceiverStream<Result<SubscribeUpdate, Status>>;

    async fn subscribe(
        &self,
        request: Request<Streaming<SubscribeRequest>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let (out, stream) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(session::run(self.hub.clone(), request.into_inner(), out));
        Ok(Response::new(ReceiverStream::new(stream)))
    }

    type SubscribeDeshredStream = ReceiverStream<Result<SubscribeUpdateDeshred, Status>>;

    async fn subscribe_deshred(
        &self,
        _: Request<Streaming<SubscribeDeshredRequest>>,
    ) -> Result<Response<Self::SubscribeDeshredStream>, Status> {
        Err(Status::unimplemented("localnet has no shreds"))
    }

    type SubscribeGossipStream = ReceiverStream<Result<SubscribeUpdateGossip, Status>>;

    async fn subscribe_gossip(
        &self,
        _: Request<SubscribeGossipRequest>,
    ) -> Result<Response<Self::SubscribeGossipStream>, Status> {
        Err(Status::unimplemented("localnet has no gossip"))
    }

    async fn subscribe_replay_info(
        &self,
        _: Request<SubscribeReplayInfoRequest>,
    ) -> Result<Response<SubscribeReplayInfoResponse>, Status> {
        Ok(Response::new(SubscribeReplayInfoResponse {
            first_available: Some(self.hub.first_available()),
        }))
    }

    async fn ping(&self, request: Request<PingRequest>) -> Result<Response<PongResponse>, Status> {
        Ok(Response::new(PongResponse {
            count: request.into_inner().count,
        }))
    }

    async fn get_latest_blockhash(
        &self,
        _: Request<GetLatestBlockhashRequest>,
    ) -> Result<Response<GetLatestBlockhashResponse>, Status> {
        let tip = self.hub.tip();
        Ok(Response::new(GetLatestBlockhashResponse {
            slot: tip.slot(SlotStatus::Processed),
            blockhash: tip.blockhash,
            last_valid_block_height: tip.block_height + 150,
        }))
    }

    async fn get_block_height(
        &self,
        _: Request<GetBlockHeightRequest>,
    ) -> Result<Response<GetBlockHeightResponse>, Status> {
        Ok(Response::new(GetBlockHeightResponse {
            block_height: self.hub.tip().block_height,
        }))
    }

    async fn get_slot(
        &self,
        request: Request<GetSlotRequest>,
    ) -> Result<Response<GetSlotResponse>, Status> {
        let status = status_at(request.into_inner().commitment);
        Ok(Response::new(GetSlotResponse {
            slot: self.hub.tip().slot(status),
        }))
    }

    async fn is_blockhash_valid(
        &self,
        request: Request<IsBlockhashValidRequest>,
    ) -> Result<Response<IsBlockhashValidResponse>, Status> {
        let blockhash = request.into_inner().blockhash;
        let tip = self.hub.tip();
        Ok(Response::new(IsBlockhashValidResponse {
            slot: tip.slot(SlotStatus::Processed),
            valid: tip.recent_blockhashes.iter().any(|(b, _)| *b == blockhash),
        }))
    }

    async fn get_version(
        &self,
        _: Request<GetVersionRequest>,
    ) -> Result<Response<GetVersionResponse>, Status> {
        Ok(Response::new(GetVersionResponse {
            version: format!(
                r#"{{"version":{{"package":"gpunet-localnet","version":"{}","proto":"yellowstone-grpc-proto 14"}}}}"#,
                env!("CARGO_PKG_VERSION")
            ),
        }))
    }
}
