//! Every update the chain produced in the recent window, in order, and the live feed of
//! new ones. A subscriber takes its replay and its live receiver under one lock, so it sees
//! each update once: nothing between the two is lost or repeated.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use super::update::{SlotStatus, Update};

/// How many updates a live subscriber may fall behind before it is disconnected (it then
/// reconnects with `from_slot` and loses nothing still in the window).
pub const LIVE_CAPACITY: usize = 1 << 16;

/// How many recent blockhashes `IsBlockhashValid` accepts (Solana's 150-block validity).
const VALID_BLOCKHASHES: usize = 150;

pub struct Hub {
    state: Mutex<State>,
    live: broadcast::Sender<Arc<Update>>,
}

/// The chain as the Geyser stream has told it.
#[derive(Clone, Debug, Default)]
pub struct Tip {
    /// Highest slot per status: processed, confirmed, finalized.
    pub slots: [u64; 3],
    pub blockhash: String,
    pub block_height: u64,
    /// (blockhash, slot) of the recent blocks, newest last.
    pub recent_blockhashes: VecDeque<(String, u64)>,
}

impl Tip {
    pub fn slot(&self, status: SlotStatus) -> u64 {
        self.slots[status as usize]
    }
}

struct State {
    log: VecDeque<Arc<Update>>,
    /// Every update of a slot at or after this one is still in `log`.
    first_available: u64,
    replay_slots: u64,
    tip: Tip,
}

/// A subscriber's start: the updates it missed (oldest first) and the live feed after them.
pub struct Start {
    pub replay: Vec<Arc<Update>>,
    pub live: broadcast::Receiver<Arc<Update>>,
}

impl Hub {
    /// A hub keeping the updates of the last `replay_slots` slots.
    pub fn new(replay_slots: u64) -> Arc<Self> {
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        Arc::new(Hub {
            state: Mutex::new(State {
                log: VecDeque::new(),
                first_available: 0,
                replay_slots,
                tip: Tip::default(),
            }),
            live,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the log consistent (every step is a push or
        // a pop), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an update and sends it to live subscribers. surfpool reports Confirmed and
    /// Finalized slots only; the Processed status of a slot is sent before the first update
    /// that belongs to it.
    pub fn publish(&self, update: Update) {
        let mut state = self.state();
        let slot = update.slot();
        let processed = state.tip.slot(SlotStatus::Processed);
        if slot > processed
            && !matches!(
                update,
                Update::Slot {
                    status: SlotStatus::Finalized,
                    ..
                }
            )
        {
            self.push(
                &mut state,
                Update::Slot {
                    slot,
                    parent: slot.checked_sub(1),
                    status: SlotStatus::Processed,
                },
            );
        }
        self.push(&mut state, update);
    }

    fn push(&self, state: &mut State, update: Update) {
        match &update {
            Update::Slot { slot, status, .. } => {
                let highest = &mut state.tip.slots[*status as usize];
                *highest = (*highest).max(*slot);
                if *status == SlotStatus::Processed {
                    state.prune(*slot);
                }
            }
            Update::BlockMeta(meta) => {
                let tip = &mut state.tip;
                tip.blockhash = meta.blockhash.clone();
                tip.block_height = meta.block_height.map_or(0, |h| h.block_height);
                tip.recent_blockhashes
                    .push_back((meta.blockhash.clone(), meta.slot));
                if tip.recent_blockhashes.len() > VALID_BLOCKHASHES {
                    tip.recent_blockhashes.pop_front();
                }
            }
            _ => {}
        }
        let update = Arc::new(update);
        state.log.push_back(update.clone());
        // No receivers is not an error: updates stay in the log for later subscribers.
        let _ = self.live.send(update);
    }

    /// The updates of slots from `from_slot` on that are still kept, and the live feed
    /// after them; `Err(first available slot)` when the window no longer reaches back that
    /// far. Without `from_slot`, only the live feed.
    pub fn start(&self, from_slot: Option<u64>) -> Result<Start, u64> {
        let state = self.state();
        let replay = match from_slot {
            None => Vec::new(),
            Some(from) if from < state.first_available => return Err(state.first_available),
            Some(from) => state
                .log
                .iter()
                .filter(|u| u.slot() >= from)
                .cloned()
                .collect(),
        };
        Ok(Start {
            replay,
            live: self.live.subscribe(),
        })
    }

    pub fn tip(&self) -> Tip {
        self.state().tip.clone()
    }

    pub fn first_available(&self) -> u64 {
        self.state().first_available
    }
}

impl State {
    /// Drops the updates of slots older than the window ending at `newest`.
    fn prune(&mut self, newest: u64) {
        let cutoff = newest.saturating_sub(self.replay_slots);
        if cutoff <= self.first_available {
            return;
        }
        self.first_available = cutoff;
        // The log is in arrival order, which is slot order except for late statuses of
        // older slots; those leave when they reach the front.
        while self.log.front().is_some_and(|u| u.slot() < cutoff) {
            self.log.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(slot: u64, status: SlotStatus) -> Update {
        Update::Slot {
            slot,
            parent: slot.checked_sub(1),
            status,
        }
    }

    fn statuses(updates: &[Arc<Update>]) -> Vec<(u64, SlotStatus)> {
        updates
            .iter()
            .filter_map(|u| match **u {
                Update::Slot { slot, status, .. } => Some((slot, status)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn processed_is_synthesised_once_before_a_slots_first_update() {
        let hub = Hub::new(100);
        hub.publish(slot(5, SlotStatus::Confirmed));
        hub.publish(slot(6, SlotStatus::Confirmed));
        hub.publish(slot(1, SlotStatus::Finalized));
        let all = hub.start(Some(0)).unwrap().replay;
        assert_eq!(
            statuses(&all),
            vec![
                (5, SlotStatus::Processed),
                (5, SlotStatus::Confirmed),
                (6, SlotStatus::Processed),
                (6, SlotStatus::Confirmed),
                (1, SlotStatus::Finalized),
            ]
        );
        assert_eq!(hub.tip().slots, [6, 6, 1]);
    }

    #[test]
    fn replay_starts_at_from_slot_and_live_follows_without_overlap() {
        let hub = Hub::new(100);
        for s in 1..=10 {
            hub.publish(slot(s, SlotStatus::Confirmed));
        }
        let mut start = hub.start(Some(8)).unwrap();
        assert_eq!(
            statuses(&start.replay).first(),
            Some(&(8, SlotStatus::Processed))
        );
        assert_eq!(start.replay.len(), 6);
        hub.publish(slot(11, SlotStatus::Confirmed));
        let next = start.live.try_recv().unwrap();
        assert_eq!(next.slot(), 11);
    }

    #[test]
    fn slots_older_than_the_window_are_refused() {
        let hub = Hub::new(4);
        for s in 1..=10 {
            hub.publish(slot(s, SlotStatus::Confirmed));
        }
        assert_eq!(hub.first_available(), 6);
        assert_eq!(hub.start(Some(5)).err(), Some(6));
        let replay = hub.start(Some(6)).unwrap().replay;
        assert_eq!(statuses(&replay).first(), Some(&(6, SlotStatus::Processed)));
    }
}
