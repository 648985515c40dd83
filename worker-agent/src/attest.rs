//! Uptime: the agent counts the time it is up in each epoch (by the chain's clock), runs
//! the epoch's proof-of-work benchmark, and once the epoch is over attests it with the
//! measured uptime, the benchmark digest and the reward-weight registration, in one
//! transaction.
//!
//! An epoch the agent was not up in is not attested (that is the point of attesting), and
//! an epoch is attestable only during itself and the next one: after that it is missed.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use gpunet_sdk::client::ClientError;
use gpunet_sdk::registry::{AttestUptimeArgs, EpochAttestation};
use solana_keypair::Keypair;
use tokio::sync::watch;

use crate::agent::{Agent, pause};
use crate::chain::{is_transient, program_error};
use crate::outbox::{AttestState, Uptime};

/// Staking errors that refuse only the weight registration of an attestation (the
/// attestation is then sent without it).
const WEIGHT_REFUSALS: [&str; 5] = [
    "BelowMinimumStake",
    "WeightAlreadyRegistered",
    "TooManyPending",
    "RegistrationClosed",
    "EpochNotAttested",
];

pub async fn run(agent: Arc<Agent>, mut shutdown: watch::Receiver<bool>) {
    let poll = agent.config.poll;
    let mut last = Instant::now();
    let mut failures = 0;
    loop {
        // Uptime: the time since the last round, counted in the epoch it ends in; a
        // round that took very long (the machine was suspended, or stuck) counts as at
        // most three polls.
        let elapsed = last.elapsed().min(poll * 3);
        last = Instant::now();
        let epoch = agent.chain.epoch();
        agent.metrics.current_epoch.store(epoch, Relaxed);
        if let Err(e) = agent.outbox.add_alive(epoch, elapsed.as_millis() as u64) {
            agent.failed("recording uptime", &e);
        }
        match round(&agent, epoch).await {
            Ok(()) => failures = 0,
            Err(e) => {
                failures += 1;
                agent.failed("attestation", &e);
            }
        }
        if !pause(&mut shutdown, agent.backoff(failures)).await {
            break;
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
}

async fn round(agent: &Agent, epoch: u64) -> Result<(), RoundError> {
    agent.chain.refresh().await?;
    prove(agent, epoch).await?;
    for uptime in agent.outbox.open_epochs(epoch)? {
        if epoch > uptime.epoch + 1 {
            agent.log(format!(
                "epoch {} was not attested in time: missed",
                uptime.epoch
            ));
            agent.outbox.set_attested(
                uptime.epoch,
                AttestState::Missed,
                None,
                Some("not attested before the epoch after it ended"),
            )?;
            continue;
        }
        let uptime = match uptime.pow_digest {
            Some(_) => uptime,
            None => {
                prove(agent, uptime.epoch).await?;
                agent.outbox.uptime(uptime.epoch)?.unwrap_or(uptime)
            }
        };
        attest(agent, &uptime).await?;
    }
    count_missed(agent, epoch).await?;
    Ok(())
}

/// Runs `epoch`'s benchmark once and stores its digest.
async fn prove(agent: &Agent, epoch: u64) -> Result<(), RoundError> {
    if agent
        .outbox
        .uptime(epoch)?
        .is_some_and(|u| u.pow_digest.is_some())
    {
        return Ok(());
    }
    let (device, size, rounds) = (
        agent.chain.device,
        agent.config.benchmark_size,
        agent.config.benchmark_rounds,
    );
    let proof =
        tokio::task::spawn_blocking(move || crate::benchmark::run(&device, epoch, size, rounds))
            .await
            .expect("the benchmark does not panic");
    agent
        .outbox
        .set_proof(epoch, proof.digest, proof.elapsed.as_millis() as u64)?;
    Ok(())
}

/// The uptime minutes to attest for `alive_ms` of an epoch of `epoch_seconds`: the share
/// of the epoch the agent was up, in whole minutes of the epoch (rounded up, at least 1).
pub fn uptime_minutes(alive_ms: u64, epoch_seconds: u32) -> u16 {
    let epoch_ms = u64::from(epoch_seconds.max(1)) * 1000;
    let max_minutes = u64::from(epoch_seconds).div_ceil(60).max(1);
    let minutes = (max_minutes * alive_ms.min(epoch_ms)).div_ceil(epoch_ms);
    u16::try_from(minutes.clamp(1, max_minutes)).unwrap_or(u16::MAX)
}

async fn attest(agent: &Agent, uptime: &Uptime) -> Result<(), RoundError> {
    let args = AttestUptimeArgs {
        epoch: uptime.epoch,
        uptime_minutes: uptime_minutes(uptime.alive_ms, agent.chain.epoch_seconds()),
        pow_digest: uptime.pow_digest.unwrap_or_default(),
    };
    let verifiers: Vec<&Keypair> = agent.verifiers.iter().collect();
    let client = &agent.chain.client;
    let device = &agent.chain.device;
    let mut weight = wants_weight(agent, uptime.epoch).await?;
    loop {
        let sent = client
            .attest_uptime_with_verifiers(device, args.clone(), &verifiers, weight)
            .await;
        let (state, signature, detail) = match sent {
            Ok(signature) => (AttestState::Attested, Some(signature.to_string()), None),
            Err(e) => match program_error(&e) {
                Some("AlreadyAttested") => (
                    AttestState::Attested,
                    None,
                    Some("already on chain (sent before a restart)".to_string()),
                ),
                Some("EpochNotAttestable" | "DeviceRetired") => {
                    (AttestState::Missed, None, Some(e.to_string()))
                }
                Some(name) if weight && WEIGHT_REFUSALS.contains(&name) => {
                    agent.log(format!(
                        "epoch {}: reward weight refused ({name}); attesting without it",
                        uptime.epoch
                    ));
                    weight = false;
                    continue;
                }
                _ => {
                    agent.metrics.attest_failures.fetch_add(1, Relaxed);
                    if !is_transient(&e) {
                        agent.log(format!("epoch {}: attestation refused: {e}", uptime.epoch));
                    }
                    return Err(e.into());
                }
            },
        };
        if state == AttestState::Attested {
            agent.log(format!(
                "epoch {} attested: {} min, weight {}{}",
                uptime.epoch,
                args.uptime_minutes,
                if weight {
                    "registered"
                } else {
                    "not registered"
                },
                signature
                    .as_deref()
                    .map(|s| format!(" (tx {s})"))
                    .unwrap_or_default()
            ));
        }
        agent
            .outbox
            .set_attested(uptime.epoch, state, signature.as_deref(), detail.as_deref())?;
        return Ok(());
    }
}

/// Whether the epoch's reward weight can be registered with its attestation: the device
/// holds its minimum stake and has not registered the epoch.
async fn wants_weight(agent: &Agent, epoch: u64) -> Result<bool, ClientError> {
    let client = &agent.chain.client;
    let stake = match client.stake_account(&agent.chain.device).await {
        Ok(stake) => stake,
        Err(ClientError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    let config = client.staking_config().await?;
    let device = agent.chain.device().await?;
    let minimum = config.min_stake(&device.specs).unwrap_or(u64::MAX);
    Ok(stake.active >= minimum && !stake.pending_rewards.iter().any(|p| p.epoch == epoch))
}

/// How many epochs since the agent first ran the chain shows unattested (not counting
/// the current one).
async fn count_missed(agent: &Agent, epoch: u64) -> Result<(), RoundError> {
    let Some(first) = agent.outbox.first_epoch()? else {
        return Ok(());
    };
    let device = agent.chain.device().await?;
    let missed = (first..epoch)
        .filter(|e| device.uptime.status_of(*e) == EpochAttestation::Missed)
        .count();
    agent
        .metrics
        .epochs_missed_on_chain
        .store(missed as u64, Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_is_the_measured_share_of_the_epoch_in_minutes() {
        // An hour-long epoch: 30 minutes up is 30 minutes.
        assert_eq!(uptime_minutes(30 * 60_000, 3600), 30);
        assert_eq!(uptime_minutes(3600 * 1000, 3600), 60);
        // Longer than the epoch (clock skew) is the whole epoch.
        assert_eq!(uptime_minutes(7200 * 1000, 3600), 60);
        // A moment up is one minute; a short epoch has one minute in all.
        assert_eq!(uptime_minutes(1, 3600), 1);
        assert_eq!(uptime_minutes(4_000, 4), 1);
        assert_eq!(uptime_minutes(61_000, 3600), 2);
    }
}
