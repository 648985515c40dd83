//! On a schedule: settle the device's hires (every `settle_every_epochs`), claim its
//! block rewards once final (every `claim_every_epochs`), and watch the agent key's SOL
//! balance, which pays every fee.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use gpunet_sdk::client::{ClientError, Done};
use gpunet_sdk::escrow::Hire;
use tokio::sync::watch;

use crate::agent::{Agent, pause};

/// How often the balance is read.
const BALANCE_EVERY: Duration = Duration::from_secs(10);

pub async fn run(agent: Arc<Agent>, mut shutdown: watch::Receiver<bool>) {
    let (mut settled_at, mut claimed_at) = (None, None);
    let mut balance_at: Option<Instant> = None;
    let mut failures = 0;
    loop {
        let epoch = agent.chain.epoch();
        let mut result = Ok(());
        if balance_at.is_none_or(|at| at.elapsed() >= BALANCE_EVERY) {
            result = balance(&agent).await;
            balance_at = Some(Instant::now());
        }
        if result.is_ok()
            && settled_at != Some(epoch)
            && epoch.is_multiple_of(agent.config.settle_every_epochs)
        {
            result = settle(&agent).await;
            if result.is_ok() {
                settled_at = Some(epoch);
            }
        }
        if result.is_ok()
            && claimed_at != Some(epoch)
            && epoch.is_multiple_of(agent.config.claim_every_epochs)
        {
            result = claim(&agent, epoch).await;
            if result.is_ok() {
                claimed_at = Some(epoch);
            }
        }
        match result {
            Ok(()) => failures = 0,
            Err(e) => {
                failures += 1;
                agent.failed("settling and claiming", &e);
            }
        }
        if !pause(&mut shutdown, agent.backoff(failures)).await {
            break;
        }
    }
}

async fn balance(agent: &Agent) -> Result<(), ClientError> {
    let lamports = agent.chain.client.sol_balance(&agent.agent_key()).await?;
    agent.metrics.sol_balance_lamports.store(lamports, Relaxed);
    let low = lamports < agent.config.low_balance_lamports;
    let was_low = agent.metrics.low_balance.swap(u64::from(low), Relaxed) == 1;
    if low && !was_low {
        agent.log(format!(
            "WARNING: the agent key {} holds {} SOL, below the warning level of {} SOL: fund \
             it or attestations and receipts will stop",
            agent.agent_key(),
            sol(lamports),
            sol(agent.config.low_balance_lamports)
        ));
    }
    agent
        .status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .balance_lamports = lamports;
    Ok(())
}

pub fn sol(lamports: u64) -> String {
    format!(
        "{}.{:09}",
        lamports / 1_000_000_000,
        lamports % 1_000_000_000
    )
}

/// Settles every hire of the device with finished epochs to settle: those final by the
/// agent's estimate of the chain's time, waiting for the clock that executes the
/// settlement (the sdk's due path). A hire someone else settled first is left alone.
async fn settle(agent: &Agent) -> Result<(), ClientError> {
    let client = &agent.chain.client;
    let device_key = &agent.chain.device;
    let hires = client.hires_of_device(device_key).await?;
    if hires.iter().all(|(_, h)| h.is_settled()) {
        return Ok(());
    }
    let current = agent.chain.epoch();
    for (_, hire) in hires.iter().filter(|(_, h)| !h.is_settled()) {
        let through = hire.end_epoch.min(Hire::final_before(current));
        if through <= hire.settled_through {
            continue;
        }
        match client
            .settle_hire_through(&hire.lease, device_key, through)
            .await?
        {
            Done::Sent(signature) => {
                agent.metrics.settlements.fetch_add(1, Relaxed);
                agent.log(format!(
                    "hire of lease {} settled through epoch {through} (tx {signature})",
                    hire.lease
                ));
            }
            Done::Already => agent.log(format!(
                "hire of lease {} was settled through epoch {through} by someone else",
                hire.lease
            )),
        }
    }
    Ok(())
}

/// Claims the device's registered rewards of every epoch that is final by the agent's
/// estimate of the chain's time (the sdk waits for the executing clock).
async fn claim(agent: &Agent, epoch: u64) -> Result<(), ClientError> {
    let client = &agent.chain.client;
    let stake = match client.stake_account(&agent.chain.device).await {
        Ok(stake) => stake,
        Err(ClientError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let grace = u64::from(client.staking_config().await?.grace_epochs);
    let epochs: Vec<u64> = stake
        .pending_rewards
        .iter()
        .map(|p| p.epoch)
        .filter(|e| epoch > e + 1 + grace)
        .collect();
    if epochs.is_empty() {
        return Ok(());
    }
    match client.claim_rewards(&agent.chain.device, &epochs).await? {
        Done::Sent(signature) => {
            agent.metrics.claims.fetch_add(1, Relaxed);
            agent.log(format!(
                "rewards of epochs {epochs:?} claimed for the owner (tx {signature})"
            ));
        }
        Done::Already => agent.log(format!(
            "rewards of epochs {epochs:?} were claimed by someone else"
        )),
    }
    Ok(())
}
