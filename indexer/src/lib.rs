//! The gpunet indexer: subscribes to a Yellowstone gRPC endpoint with the real
//! `yellowstone-grpc-client`, and writes what the gpunet programs own to PostgreSQL
//! through diesel, resumable from its stored cursor. Without a `DATABASE_URL` it runs a
//! private PostgreSQL cluster of its own ([`postgres`]).

pub mod api;
pub mod backfill;
pub mod history;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod postgres;
pub mod project;
pub mod receipts;
pub mod schema;
pub mod store;
pub mod totals;
pub mod tx;
