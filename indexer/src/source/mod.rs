//! Where the indexer's data comes from: the Yellowstone gRPC subscription it follows
//! ([`stream`]) and the JSON-RPC reads that fill in what the stream no longer replays
//! ([`backfill`]).

pub mod backfill;
pub mod stream;
