//! The gpunet indexer: subscribes to a Yellowstone gRPC endpoint with the real
//! `yellowstone-grpc-client`, and writes what the gpunet programs own to PostgreSQL
//! through diesel, resumable from its stored cursor. Without a `DATABASE_URL` it runs a
//! private PostgreSQL cluster of its own ([`postgres`]).
//!
//! What it reads comes from [`source`] (the gRPC stream, the RPC backfill), is decoded by
//! [`decode`] (transactions; accounts and events through the sdk's `GpunetAccount` and
//! `GpunetEvent`), written by [`store`] (one module per table group) and served by
//! [`api`] (one module per resource).

pub mod api;
pub mod decode;
pub mod metrics;
pub mod openapi;
pub mod postgres;
pub mod schema;
pub mod source;
pub mod store;
