//! Supplier actions: devices (owner), uptime attestations (agent), stakes and rewards.

use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Signature;

use super::due::{DUE_PATIENCE, Due, Step, epoch_start};
use super::{ClientError, Done, GpunetClient, Result};
use crate::registry::{
    self, AttestUptimeArgs, DeviceStatus, RegisterDeviceArgs, UpdateDeviceArgs, attestation_message,
};
use crate::staking;
use crate::{Instruction, Pubkey};

/// An account created by a transaction, with the transaction's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
    pub address: Pubkey,
    pub signature: Signature,
}

/// Each verifier's signature of the attestation `args` of `device`: what the registry
/// counts towards the network's verifier quorum.
pub fn sign_attestation(
    verifiers: &[&Keypair],
    device: &Pubkey,
    args: &AttestUptimeArgs,
) -> Vec<(Pubkey, [u8; 64])> {
    let message = attestation_message(device, args.epoch, args.uptime_minutes, &args.pow_digest);
    verifiers
        .iter()
        .map(|v| (v.pubkey(), v.sign_message(&message).into()))
        .collect()
}

impl GpunetClient {
    /// `register_device`, the client's wallet as the owner (it pays the account's rent).
    pub async fn register_device(&self, args: RegisterDeviceArgs) -> Result<Registered> {
        let address = registry::device_address(&self.pubkey(), args.device_id);
        let ix = registry::register_device(self.pubkey(), args);
        let signature = self.send(&[ix], &[]).await?;
        Ok(Registered { address, signature })
    }

    /// `update_device` (owner): new specs, price or agent key, each optional.
    pub async fn update_device(
        &self,
        device: &Pubkey,
        args: UpdateDeviceArgs,
    ) -> Result<Signature> {
        self.device(device).await?;
        let ix = registry::update_device(self.pubkey(), *device, args);
        self.send(&[ix], &[]).await
    }

    /// `set_device_status` (owner): pause, resume or retire.
    pub async fn set_device_status(
        &self,
        device: &Pubkey,
        status: DeviceStatus,
    ) -> Result<Signature> {
        self.device(device).await?;
        let ix = registry::set_device_status(self.pubkey(), *device, status);
        self.send(&[ix], &[]).await
    }

    /// The instructions of an attestation: the verifiers' ed25519 instruction (when there
    /// are signatures), `attest_uptime`, and `register_weight` for the same epoch when
    /// asked (the agent's usual transaction).
    fn attest_instructions(
        &self,
        device: &Pubkey,
        args: AttestUptimeArgs,
        verifier_signatures: &[(Pubkey, [u8; 64])],
        register_weight: bool,
    ) -> Vec<Instruction> {
        let mut ixs = Vec::with_capacity(3);
        if !verifier_signatures.is_empty() {
            let message =
                attestation_message(device, args.epoch, args.uptime_minutes, &args.pow_digest);
            ixs.push(registry::verifier_signatures(verifier_signatures, &message));
        }
        let epoch = args.epoch;
        ixs.push(registry::attest_uptime(self.pubkey(), *device, args));
        if register_weight {
            ixs.push(staking::register_weight(self.pubkey(), *device, epoch));
        }
        ixs
    }

    /// `attest_uptime`, the client's wallet as the device's agent, carrying the verifier
    /// signatures the caller collected (see [`sign_attestation`]); with `register_weight`
    /// the epoch's reward weight is registered in the same transaction.
    pub async fn attest_uptime(
        &self,
        device: &Pubkey,
        args: AttestUptimeArgs,
        verifier_signatures: &[(Pubkey, [u8; 64])],
        register_weight: bool,
    ) -> Result<Signature> {
        self.device(device).await?;
        let epoch = args.epoch;
        let ixs = self.attest_instructions(device, args, verifier_signatures, register_weight);
        let config = self.network_config().await?;
        // An epoch is attestable during itself and the next one: sent as the epoch begins,
        // the transaction may still execute at the previous epoch's clock. Once the node's
        // clock is past the next epoch, the refusal is final.
        let due = Due {
            what: format!("attesting epoch {epoch} of device {device}"),
            at: epoch_start(&config, epoch)?,
            not_yet: &["EpochNotAttestable"],
            done_elsewhere: &[],
            once: true,
            wait_at_most: Some(DUE_PATIENCE),
            extra_signers: &[],
        };
        let ixs = &ixs;
        let done = self
            .send_when_due(due, move |refusal| async move {
                if refusal.is_some() && self.current_epoch().await? > epoch.saturating_add(1) {
                    return Ok(Step::GiveUp);
                }
                Ok(Step::Send(ixs.clone()))
            })
            .await?;
        Ok(done
            .signature()
            .expect("a single attestation is always sent"))
    }

    /// [`attest_uptime`](Self::attest_uptime) co-signed by the given verifier keys.
    pub async fn attest_uptime_with_verifiers(
        &self,
        device: &Pubkey,
        args: AttestUptimeArgs,
        verifiers: &[&Keypair],
        register_weight: bool,
    ) -> Result<Signature> {
        let signatures = sign_attestation(verifiers, device, &args);
        self.attest_uptime(device, args, &signatures, register_weight)
            .await
    }

    /// A full-epoch attestation of `epoch` for this network's epoch length.
    pub async fn full_uptime(&self, epoch: u64, pow_digest: [u8; 32]) -> Result<AttestUptimeArgs> {
        let seconds = self.network_config().await?.epoch_seconds;
        let minutes = u16::try_from(u64::from(seconds).div_ceil(60)).unwrap_or(u16::MAX);
        Ok(AttestUptimeArgs {
            epoch,
            uptime_minutes: minutes.max(1),
            pow_digest,
        })
    }

    /// `stake` of `amount` stake-token base units from the owner's associated account.
    pub async fn stake(&self, device: &Pubkey, amount: u64) -> Result<Signature> {
        self.device(device).await?;
        let mint = self.stake_mint().await?;
        let (create, owner_token) =
            self.ensure_token_account_ix(&self.pubkey(), &mint.mint, &mint.token_program);
        let ix = staking::stake(self.pubkey(), *device, owner_token, mint, amount);
        self.send(&[create, ix], &[]).await
    }

    /// `request_unstake` (owner): moves `amount` from active to cooling.
    pub async fn request_unstake(&self, device: &Pubkey, amount: u64) -> Result<Signature> {
        self.stake_account(device).await?;
        let ix = staking::request_unstake(self.pubkey(), *device, amount);
        self.send(&[ix], &[]).await
    }

    /// `withdraw` (owner): pays the cooled stake to the owner's associated account, once
    /// the cooldown is over by the clock that executes it (waiting for it, see
    /// [`due`](super::due)).
    pub async fn withdraw(&self, device: &Pubkey) -> Result<Signature> {
        let stake = self.stake_account(device).await?;
        let mint = self.stake_mint().await?;
        let (create, owner_token) =
            self.ensure_token_account_ix(&self.pubkey(), &mint.mint, &mint.token_program);
        let ix = staking::withdraw(self.pubkey(), *device, owner_token, mint);
        let at = if stake.cooling > 0 {
            stake.unlock_at
        } else {
            i64::MIN
        };
        self.send_once_due(
            format!("withdrawing the cooled stake of device {device}"),
            at,
            &["CooldownNotOver"],
            vec![create, ix],
        )
        .await
    }

    /// `register_weight` of `epoch` (agent), when it was not sent with the attestation.
    pub async fn register_weight(&self, device: &Pubkey, epoch: u64) -> Result<Signature> {
        self.stake_account(device).await?;
        let ix = staking::register_weight(self.pubkey(), *device, epoch);
        self.send(&[ix], &[]).await
    }

    /// `claim_rewards` of `epochs` for `device` (anyone may send it; the owner is paid),
    /// waiting until the chain's clock makes the last of them final (see
    /// [`due`](super::due)). With no epochs given, claims every registered epoch that is
    /// final by the chain's clock now. [`Done::Already`] when none of `epochs` is left to
    /// claim (the device's agent claimed them, say).
    pub async fn claim_rewards(&self, device: &Pubkey, epochs: &[u64]) -> Result<Done> {
        let stake = self.stake_account(device).await?;
        let grace = u64::from(self.staking_config().await?.grace_epochs);
        // Epoch e's rewards are final once epoch e + 2 + grace has begun.
        let final_from = |e: u64| e.saturating_add(2).saturating_add(grace);
        let epochs: Vec<u64> = if epochs.is_empty() {
            let current = self.current_epoch().await?;
            let registered: Vec<u64> = stake.pending_rewards.iter().map(|p| p.epoch).collect();
            let final_now: Vec<u64> = registered
                .iter()
                .copied()
                .filter(|e| final_from(*e) <= current)
                .collect();
            if final_now.is_empty() {
                return Err(ClientError::Invalid(match registered.iter().min() {
                    None => format!("device {device} has no registered epoch to claim"),
                    Some(first) => format!(
                        "no registered epoch of device {device} is final yet: epoch {first} is \
                         final from epoch {} on (now {current})",
                        final_from(*first)
                    ),
                }));
            }
            final_now
        } else {
            epochs.to_vec()
        };
        let last = epochs.iter().copied().max().unwrap_or_default();
        let config = self.network_config().await?;
        let mint = self.stake_mint().await?;
        let (create, owner_token) =
            self.ensure_token_account_ix(&stake.owner, &mint.mint, &mint.token_program);
        let due = Due {
            what: format!("claiming the rewards of epochs {epochs:?} of device {device}"),
            at: epoch_start(&config, final_from(last))?,
            not_yet: &["NothingToClaim"],
            done_elsewhere: &[],
            once: false,
            wait_at_most: None,
            extra_signers: &[],
        };
        let (epochs, create) = (&epochs, &create);
        self.send_when_due(due, move |_| async move {
            let pending = self.stake_account(device).await?.pending_rewards;
            let left: Vec<u64> = epochs
                .iter()
                .copied()
                .filter(|e| pending.iter().any(|p| p.epoch == *e))
                .collect();
            if left.is_empty() {
                return Ok(Step::Done);
            }
            let ix = staking::claim_rewards(*device, owner_token, mint, &left);
            Ok(Step::Send(vec![create.clone(), ix]))
        })
        .await
    }

    /// `finalize_slash` of the stake's slash `slash_id` (anyone), once its challenge window
    /// is over by the clock that executes it; the treasury's and the beneficiary's
    /// stake-token accounts are created when missing. [`Done::Already`] when it is no longer
    /// pending (finalized or cancelled by someone else).
    pub async fn finalize_slash(&self, device: &Pubkey, slash_id: u64) -> Result<Done> {
        let slash = self.slash(device, slash_id).await?;
        let config = self.network_config().await?;
        let window = i64::from(self.staking_config().await?.challenge_window_seconds);
        let mint = self.stake_mint().await?;
        // With no beneficiary the program pays it nothing: the treasury's account serves.
        let beneficiary = slash.beneficiary.unwrap_or(config.treasury);
        let mut ixs = Vec::new();
        let mut payees = Vec::new();
        for wallet in [config.treasury, beneficiary] {
            let (create, account) =
                self.ensure_token_account_ix(&wallet, &mint.mint, &mint.token_program);
            ixs.push(create);
            payees.push(account);
        }
        ixs.push(staking::finalize_slash(
            *device, slash_id, payees[0], payees[1], mint,
        ));
        let due = Due {
            what: format!("finalizing slash {slash_id} of device {device}"),
            at: slash.proposed_at.saturating_add(window),
            not_yet: &["ChallengeWindowOpen"],
            done_elsewhere: &["SlashNotPending"],
            once: true,
            wait_at_most: Some(DUE_PATIENCE),
            extra_signers: &[],
        };
        let ixs = &ixs;
        self.send_when_due(due, move |_| async move {
            let slash = self.slash(device, slash_id).await?;
            Ok(if slash.status == staking::SlashStatus::Pending {
                Step::Send(ixs.clone())
            } else {
                Step::Done
            })
        })
        .await
    }
}
