//! The gpunet worker agent: the daemon on every GPU machine (docs/worker-agent.md).
//!
//! It holds the device's agent key (the hot key: it can attest and submit receipts, not
//! move the owner's money), attests uptime every epoch with a proof-of-work digest and the
//! reward-weight registration, runs the jobs of the device's hires, serves inferences for
//! vouchers, and records every job report and inference as a receipt on chain through a
//! durable outbox.

pub use gpunet_agent_config::{config, hardware};

pub mod agent;
pub mod attest;
pub mod benchmark;
pub mod chain;
pub mod daemon;
pub mod http;
pub mod inference;
pub mod init;
pub mod jobs;
pub mod metrics;
pub mod outbox;
pub mod schedule;
pub mod submit;
