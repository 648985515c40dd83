//! The daemon: every task that keeps the device alive on chain, each looping until
//! shutdown and surviving failures (a failed chain request is counted, logged and retried
//! with a growing pause, up to 30 s, so an RPC outage only delays work, which waits in the
//! outbox). The tasks share the [`Agent`] handle.

use std::sync::Arc;

use tokio::sync::watch;

use crate::agent::Agent;

/// Runs every task until `shutdown` turns true.
pub async fn run(agent: Arc<Agent>, shutdown: watch::Receiver<bool>) {
    let tasks = vec![
        tokio::spawn(crate::attest::run(agent.clone(), shutdown.clone())),
        tokio::spawn(crate::submit::run(agent.clone(), shutdown.clone())),
        tokio::spawn(crate::jobs::run(agent.clone(), shutdown.clone())),
        tokio::spawn(crate::schedule::run(agent, shutdown)),
    ];
    for task in tasks {
        if let Err(e) = task.await {
            eprintln!("gpunet-agent: a task ended abnormally: {e}");
        }
    }
}
