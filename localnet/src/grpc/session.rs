//! One `Subscribe` stream: reads the client's requests (filters, pings, `from_slot`) and
//! writes what its filters select, held back until each slot reaches the requested
//! commitment, as Yellowstone does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tonic::{Status, Streaming};
use yellowstone_grpc_proto::prelude::{
    SubscribeRequest, SubscribeUpdate, SubscribeUpdatePing, SubscribeUpdatePong,
    subscribe_update::UpdateOneof,
};

use super::filter::{Filter, is_ping_only};
use super::hub::{Hub, LIVE_CAPACITY, Tip};
use super::update::{SlotStatus, Update};

/// How often an idle stream gets a server ping (keeps proxies and load balancers from
/// closing it, as Yellowstone's plugin does).
const KEEPALIVE: Duration = Duration::from_secs(10);

pub type Outbox = mpsc::Sender<Result<SubscribeUpdate, Status>>;

/// A subscription's filters and the messages waiting for their slot's commitment.
struct Subscription {
    filter: Filter,
    /// Highest slot seen per status (processed, confirmed, finalized).
    reached: [u64; 3],
    pending: VecDeque<(u64, SubscribeUpdate)>,
}

impl Subscription {
    fn new(filter: Filter, tip: &Tip) -> Self {
        Subscription {
            filter,
            reached: tip.slots,
            pending: VecDeque::new(),
        }
    }

    /// The messages to send now for `update`, in order.
    fn on_update(&mut self, update: &Update) -> Vec<SubscribeUpdate> {
        let messages = self.filter.messages(update);
        let commitment = self.filter.commitment;
        if let Update::Slot { slot, status, .. } = update {
            let reached = &mut self.reached[*status as usize];
            *reached = (*reached).max(*slot);
            if *status != commitment {
                return messages;
            }
            // The slot reached the commitment: what waited for it goes out first, then
            // the slot message that says so.
            let mut out = Vec::new();
            while self.pending.front().is_some_and(|(s, _)| s <= slot) {
                out.extend(self.pending.pop_front().map(|(_, m)| m));
            }
            // Anything of a later slot that arrived earlier stays queued in order.
            out.extend(messages);
            return out;
        }
        let slot = update.slot();
        if commitment == SlotStatus::Processed || slot <= self.reached[commitment as usize] {
            messages
        } else {
            self.pending.extend(messages.into_iter().map(|m| (slot, m)));
            Vec::new()
        }
    }
}

fn control(update: UpdateOneof) -> SubscribeUpdate {
    SubscribeUpdate {
        filters: Vec::new(),
        update_oneof: Some(update),
        created_at: Some(std::time::SystemTime::now().into()),
    }
}

async fn next_live(
    live: &mut Option<broadcast::Receiver<Arc<Update>>>,
) -> Result<Arc<Update>, broadcast::error::RecvError> {
    match live {
        Some(live) => live.recv().await,
        None => std::future::pending().await,
    }
}

/// Serves one stream until the client goes away or the stream fails.
pub async fn run(hub: Arc<Hub>, mut requests: Streaming<SubscribeRequest>, out: Outbox) {
    let mut subscription: Option<Subscription> = None;
    let mut replay: VecDeque<Arc<Update>> = VecDeque::new();
    let mut live = None;
    let mut keepalive =
        tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    loop {
        // A replay is sent before anything live; the live receiver buffers meanwhile.
        if let (Some(sub), Some(update)) = (subscription.as_mut(), replay.front()) {
            let messages = sub.on_update(update);
            replay.pop_front();
            if send_all(&out, messages).await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            request = requests.message() => {
                let Ok(Some(request)) = request else { return };
                if let Some(ping) = request.ping {
                    let pong = control(UpdateOneof::Pong(SubscribeUpdatePong { id: ping.id }));
                    if out.send(Ok(pong)).await.is_err() {
                        return;
                    }
                }
                if is_ping_only(&request) {
                    continue;
                }
                let filter = match Filter::new(&request) {
                    Ok(filter) => filter,
                    Err(status) => {
                        let _ = out.send(Err(status)).await;
                        return;
                    }
                };
                // As in Yellowstone, `from_slot` counts on the request that starts the
                // stream; later requests only change filters.
                if live.is_none() {
                    match hub.start(request.from_slot) {
                        Ok(start) => {
                            replay = start.replay.into();
                            live = Some(start.live);
                        }
                        Err(first_available) => {
                            let status = Status::out_of_range(format!(
                                "from_slot {} is not available: the oldest replayable slot is {first_available}",
                                request.from_slot.unwrap_or_default()
                            ));
                            let _ = out.send(Err(status)).await;
                            return;
                        }
                    }
                }
                subscription = Some(Subscription::new(filter, &hub.tip()));
            }
            update = next_live(&mut live), if subscription.is_some() => {
                let messages = match update {
                    Ok(update) => subscription.as_mut().map(|s| s.on_update(&update)).unwrap_or_default(),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        let status = Status::resource_exhausted(format!(
                            "the subscriber fell {missed} updates behind (more than {LIVE_CAPACITY}); \
                             reconnect with from_slot to resume"
                        ));
                        let _ = out.send(Err(status)).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if send_all(&out, messages).await.is_err() {
                    return;
                }
            }
            _ = keepalive.tick() => {
                if out.send(Ok(control(UpdateOneof::Ping(SubscribeUpdatePing {})))).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn send_all(out: &Outbox, messages: Vec<SubscribeUpdate>) -> Result<(), ()> {
    for message in messages {
        out.send(Ok(message)).await.map_err(|_| ())?;
    }
    Ok(())
}
