//! Actions the chain accepts only from some time on — settle a hire, claim rewards, attest
//! an epoch, withdraw after the cooldown, close a session after its notice, finalize a
//! slash — go through one path here, [`GpunetClient::send_when_due`].
//!
//! # Why the clock race cannot happen
//!
//! Such an action used to be sent once the chain's clock, as an RPC read showed it, had
//! reached the right epoch. But the clock a node shows and the clock of the bank that
//! executes the next transaction are two readings: on a loaded machine the transaction can
//! still execute with the previous slot's clock, find the previous epoch, and be refused
//! ("no epoch of this hire can be settled yet"). No margin fixes that; only the executing
//! clock can say when the action is valid.
//!
//! So the path asks that clock: it sends the transaction (preflight simulation included)
//! and, while the program refuses it with the action's named "not yet" error
//! (`NothingToSettle`, `NothingToClaim`, `CooldownNotOver`, `ChallengeWindowOpen`,
//! `CloseNoticePending`, `EpochNotAttestable` before the epoch), waits for the chain's next
//! slot and sends it again, signed at a fresh blockhash, until [`DUE_PATIENCE`] after the
//! due time. Retrying is safe: a refused transaction changed nothing (refused in preflight,
//! it was never forwarded; failed on execution, only its fee was taken), and every retry is
//! a new transaction. The outcome therefore depends only on the clock that executes it.
//!
//! Before each attempt the action reads the chain to see whether its goal is met already:
//! settlement and claims are permissionless, so an agent, a renter or the tour may have done
//! the work first. That is reported as [`Done::Already`], not as a failure.

use std::time::{Duration, Instant};

use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;

use super::{ClientError, GpunetClient, Result, Signature};
use crate::Instruction;
use crate::registry::NetworkConfig;

/// How long an action is retried after the chain's clock, as the node shows it, reached
/// the time it is due, while the executing clock still says "not yet". The executing clock
/// normally trails by a slot at most; this bounds a chain that stopped producing slots.
pub const DUE_PATIENCE: Duration = Duration::from_secs(60);

/// What a time-gated action came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// This client's transaction did it (the last one, when it took several).
    Sent(Signature),
    /// The chain shows the work done already, by another party or an earlier attempt.
    Already,
}

impl Done {
    /// The signature of the transaction this client sent, if it sent one.
    pub fn signature(&self) -> Option<Signature> {
        match self {
            Done::Sent(signature) => Some(*signature),
            Done::Already => None,
        }
    }
}

/// What a time-gated action does next, decided from the chain's state before each attempt
/// (given the name of the "not yet" error the last attempt was refused with, if any).
pub(crate) enum Step {
    /// Send these instructions.
    Send(Vec<Instruction>),
    /// The goal is met: nothing to send.
    Done,
    /// The last refusal is final (e.g. an epoch that is now too old to attest): return it.
    GiveUp,
}

/// A time-gated action.
pub(crate) struct Due<'a> {
    /// What it is, for messages ("settle the hire of device X through epoch 7").
    pub what: String,
    /// The chain time (unix seconds, the Clock sysvar's) from which it can be valid.
    pub at: i64,
    /// The program errors (by name) that mean "not yet": retried.
    pub not_yet: &'a [&'a str],
    /// The program errors that mean someone else did it between the step's read and the
    /// execution (a slash finalized by another party): the step reads the chain again,
    /// at the next slot, and says [`Step::Done`].
    pub done_elsewhere: &'a [&'a str],
    /// Done after one successful transaction; otherwise the step is asked again after
    /// each one until it says [`Step::Done`] (a settlement takes several for long hires).
    pub once: bool,
    /// Waits for the due time only when it is at most this far ahead by the chain's clock
    /// (a withdrawal 14 days before the cooldown ends is refused at once instead);
    /// `None`: however far (the caller asked for an epoch that far).
    pub wait_at_most: Option<Duration>,
    pub extra_signers: &'a [&'a Keypair],
}

/// The start time of `epoch` on the network's clock.
pub fn epoch_start(config: &NetworkConfig, epoch: u64) -> Result<i64> {
    config
        .epoch_start(epoch.max(config.epoch_anchor))
        .map_err(|e| ClientError::Invalid(format!("start of epoch {epoch}: {e}")))
}

/// The name of the program error `error` carries, if the chain refused with one.
pub fn program_error(error: &ClientError) -> Option<&str> {
    match error {
        ClientError::ProgramError { name, .. } => Some(name),
        _ => None,
    }
}

impl GpunetClient {
    /// Runs a time-gated action (see the module doc): waits until the chain's clock as the
    /// node shows it reaches `due.at`, then asks `step` what to send and sends it, again
    /// after each "not yet" refusal (at the next slot) and, unless `due.once`, after each
    /// success, until `step` says the goal is met.
    pub(crate) async fn send_when_due<F, Fut>(&self, due: Due<'_>, mut step: F) -> Result<Done>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<Step>>,
    {
        let now = self.clock().await?.unix_timestamp;
        if now < due.at {
            let ahead = due.at.saturating_sub(now);
            if due
                .wait_at_most
                .is_some_and(|limit| u64::try_from(ahead).unwrap_or(u64::MAX) > limit.as_secs())
            {
                return Err(ClientError::NotYet {
                    what: due.what,
                    detail: format!(
                        "it is due at chain time {} ({ahead} s from now by the chain's clock); \
                         try again then",
                        due.at
                    ),
                });
            }
            self.wait_for_time(due.at, &due.what).await?;
        }
        let deadline = Instant::now() + DUE_PATIENCE;
        let mut sent = None;
        let mut refusal: Option<ClientError> = None;
        loop {
            let refused_with = refusal.as_ref().and_then(program_error).map(str::to_string);
            let instructions = match step(refused_with).await? {
                Step::Send(instructions) => instructions,
                Step::Done => return Ok(sent.map_or(Done::Already, Done::Sent)),
                Step::GiveUp => {
                    return Err(refusal.unwrap_or_else(|| {
                        ClientError::Invalid(format!("{}: nothing to send", due.what))
                    }));
                }
            };
            match self.send(&instructions, due.extra_signers).await {
                Ok(signature) if due.once => return Ok(Done::Sent(signature)),
                Ok(signature) => {
                    sent = Some(signature);
                    refusal = None;
                }
                Err(e)
                    if program_error(&e).is_some_and(|name| {
                        due.not_yet.contains(&name) || due.done_elsewhere.contains(&name)
                    }) =>
                {
                    if Instant::now() >= deadline {
                        return Err(ClientError::NotYet {
                            what: due.what,
                            detail: format!(
                                "still refused {} s after it was due by the node's clock: {e}",
                                DUE_PATIENCE.as_secs()
                            ),
                        });
                    }
                    self.wait_for_next_slot(deadline).await?;
                    refusal = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends `instructions` (signed by the client's wallet) as soon as the clock that
    /// executes them allows: while the program refuses with one of the `not_yet` errors
    /// (by name), a new transaction is sent at the next slot, for up to [`DUE_PATIENCE`].
    /// For time locks the client has no method of its own for.
    pub async fn send_when_accepted(
        &self,
        instructions: &[Instruction],
        not_yet: &[&str],
    ) -> Result<Signature> {
        let what = format!("a transaction refused with {}", not_yet.join(" or "));
        self.send_once_due(what, i64::MIN, not_yet, instructions.to_vec())
            .await
    }

    /// A single transaction of `instructions`, due at chain time `at` (waiting for it at
    /// most [`DUE_PATIENCE`] ahead), retried while refused with `not_yet`.
    pub(crate) async fn send_once_due(
        &self,
        what: String,
        at: i64,
        not_yet: &[&str],
        instructions: Vec<Instruction>,
    ) -> Result<Signature> {
        let due = Due {
            what,
            at,
            not_yet,
            done_elsewhere: &[],
            once: true,
            wait_at_most: Some(DUE_PATIENCE),
            extra_signers: &[],
        };
        let instructions = &instructions;
        let done = self
            .send_when_due(
                due,
                move |_| async move { Ok(Step::Send(instructions.clone())) },
            )
            .await?;
        Ok(done
            .signature()
            .expect("a single transaction is sent or refused"))
    }

    /// Waits until the chain's clock, as the node shows it, reads `at` or later. It gives
    /// up [`DUE_PATIENCE`] after the time that takes at the wall clock's pace.
    pub(crate) async fn wait_for_time(&self, at: i64, what: &str) -> Result<()> {
        let now = self.clock().await?.unix_timestamp;
        let ahead = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(ahead) + DUE_PATIENCE;
        loop {
            let now = self.clock().await?.unix_timestamp;
            if now >= at {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ClientError::NotYet {
                    what: what.to_string(),
                    detail: format!(
                        "due at chain time {at}, but the chain's clock still reads {now}"
                    ),
                });
            }
            // Poll at a pace that suits both a 2 s test epoch and a one-hour one.
            let wait = Duration::from_secs(u64::try_from(at - now).unwrap_or(1));
            tokio::time::sleep(wait.min(self.poll_interval * 5)).await;
        }
    }

    /// Waits until the chain has produced a slot after the one it is at now (processed
    /// commitment: the bank that executes the next transaction), or `deadline`.
    pub(crate) async fn wait_for_next_slot(&self, deadline: Instant) -> Result<()> {
        let seen = self.processed_slot().await?;
        while self.processed_slot().await? <= seen {
            if Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(self.poll_interval).await;
        }
        Ok(())
    }

    async fn processed_slot(&self) -> Result<u64> {
        self.rpc
            .get_slot_with_commitment(CommitmentConfig::processed())
            .await
            .map_err(|e| self.rpc_error(e))
    }
}
