//! The client itself: an RPC connection and the wallet that signs; sending, confirming
//! and pipelining transactions, and decoding what failed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::{
    RpcSendTransactionConfig, RpcTransactionConfig, UiTransactionEncoding,
};
use solana_client::rpc_response::OptionSerializer;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::{Transaction, TransactionError};

use super::Signature;
use super::error::{self, ClientError, Result};
use crate::escrow::Payment;
use crate::staking::StakeMint;
use crate::{Instruction, Pubkey};

/// How long the client keeps asking for a sent transaction's outcome when the chain gives
/// none: its RPC endpoint failing, or its block height not passing the transaction's last
/// valid one. A transaction's blockhash normally expires well before (about 150 blocks).
const CONFIRM_PATIENCE: Duration = Duration::from_secs(180);
/// How many times the logs of a transaction that failed on execution are asked for (the
/// node may index it a moment after its status).
const LOG_ATTEMPTS: u32 = 5;
/// How many transactions of a batch are in flight at once.
const PIPELINE: usize = 32;

/// The most bytes a transaction may have on the wire (a packet's payload).
pub const MAX_TRANSACTION_BYTES: usize = 1_232;

/// The wire size of a transaction of `instructions` paid by `payer`, signatures included:
/// what must stay within [`MAX_TRANSACTION_BYTES`].
pub fn transaction_size(instructions: &[Instruction], payer: &Pubkey) -> usize {
    let tx = Transaction::new_with_payer(instructions, Some(payer));
    let signatures = usize::from(tx.message.header.num_required_signatures);
    // The signature count is a compact-u16: one byte below 128.
    let count_bytes = if signatures < 0x80 { 1 } else { 2 };
    count_bytes + 64 * signatures + tx.message_data().len()
}

/// Where a multi-transaction operation stands, after each transaction confirms or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Transactions finished (confirmed or failed).
    pub done: usize,
    /// Of which failed.
    pub failed: usize,
    pub total: usize,
}

/// The gpunet client: an RPC connection and the wallet that signs.
pub struct GpunetClient {
    pub(super) rpc: Arc<RpcClient>,
    pub(super) url: String,
    pub(super) signer: Arc<Keypair>,
    /// The network's mints and their token programs (fixed once the network exists).
    pub(super) mints: Arc<OnceLock<(Payment, StakeMint)>>,
    pub(super) poll_interval: Duration,
    /// Whether transactions are simulated by the node before it forwards them.
    pub(super) preflight: bool,
}

/// A transaction signed at a blockhash, and the last block height at which it can land.
struct Signed {
    tx: Transaction,
    signature: Signature,
    last_valid_block_height: u64,
}

impl GpunetClient {
    /// A client of the chain at `url` (JSON-RPC, e.g. `http://127.0.0.1:8899`) signing
    /// with `signer`, reading and confirming at `confirmed` commitment.
    pub fn new(url: impl Into<String>, signer: Keypair) -> Self {
        let rpc = RpcClient::new_with_commitment(url.into(), CommitmentConfig::confirmed());
        Self::from_rpc_client(rpc, signer)
    }

    /// A client over an `RpcClient` configured by the caller (timeouts, transport); it
    /// reads and confirms at that client's commitment.
    pub fn from_rpc_client(rpc: RpcClient, signer: Keypair) -> Self {
        GpunetClient {
            url: rpc.url(),
            rpc: Arc::new(rpc),
            signer: Arc::new(signer),
            mints: Arc::new(OnceLock::new()),
            poll_interval: Duration::from_millis(100),
            preflight: true,
        }
    }

    /// The same connection acting as `signer` (e.g. a device's agent key).
    pub fn with_signer(&self, signer: Keypair) -> Self {
        GpunetClient {
            rpc: Arc::clone(&self.rpc),
            url: self.url.clone(),
            signer: Arc::new(signer),
            mints: Arc::clone(&self.mints),
            poll_interval: self.poll_interval,
            preflight: self.preflight,
        }
    }

    /// The same client sending without the node's preflight simulation: a batch is not
    /// held up by simulations, but a transaction the chain refuses is paid for, and its
    /// error is read from the executed transaction's logs.
    pub fn without_preflight(mut self) -> Self {
        self.preflight = false;
        self
    }

    pub fn pubkey(&self) -> Pubkey {
        self.signer.pubkey()
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying RPC client, for what this client does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// Turns an RPC failure of a read into a [`ClientError`].
    pub(super) fn rpc_error(&self, error: solana_client::client_error::ClientError) -> ClientError {
        error::from_rpc(error, &self.url, None, &[])
    }

    /// Sends `instructions` in one transaction signed by the client's wallet (fee payer)
    /// and `extra_signers` (e.g. a new account's key), at a fresh blockhash, and waits
    /// until it is confirmed. Returns its signature; a failure is decoded
    /// ([`ClientError`]). When the outcome cannot be known (the node stopped answering,
    /// or the transaction was not seen before its blockhash expired) the error is
    /// [`ClientError::Unconfirmed`], with the signature: the transaction may still land,
    /// so it is never signed and sent again here.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        extra_signers: &[&Keypair],
    ) -> Result<Signature> {
        let signed = self.sign(instructions, extra_signers).await?;
        self.submit(&signed, instructions).await?;
        self.confirm(
            &signed.signature,
            signed.last_valid_block_height,
            instructions,
        )
        .await?;
        Ok(signed.signature)
    }

    /// Sends many independent transactions (each a list of instructions signed by the
    /// client's wallet), up to 32 in flight, calling `progress` as each one finishes.
    /// Returns one result per transaction, in order; a failure does not stop the others.
    pub async fn send_many(
        &self,
        transactions: &[Vec<Instruction>],
        mut progress: impl FnMut(Progress),
    ) -> Vec<Result<Signature>> {
        let total = transactions.len();
        let mut results = Vec::with_capacity(total);
        let mut failed = 0;
        for chunk in transactions.chunks(PIPELINE) {
            for result in self.send_chunk(chunk).await {
                failed += usize::from(result.is_err());
                results.push(result);
                progress(Progress {
                    done: results.len(),
                    failed,
                    total,
                });
            }
        }
        results
    }

    /// Submits every transaction of `chunk`, then confirms the ones accepted together.
    async fn send_chunk(&self, chunk: &[Vec<Instruction>]) -> Vec<Result<Signature>> {
        let mut submitted = Vec::with_capacity(chunk.len());
        for instructions in chunk {
            let sent = match self.sign(instructions, &[]).await {
                Ok(signed) => self.submit(&signed, instructions).await.map(|()| signed),
                Err(e) => Err(e),
            };
            submitted.push(sent);
        }
        let mut results = Vec::with_capacity(chunk.len());
        for (sent, instructions) in submitted.into_iter().zip(chunk) {
            results.push(match sent {
                Ok(signed) => self
                    .confirm(
                        &signed.signature,
                        signed.last_valid_block_height,
                        instructions,
                    )
                    .await
                    .map(|()| signed.signature),
                Err(e) => Err(e),
            });
        }
        results
    }

    /// Signs `instructions` at the latest blockhash; the signature is known from here on.
    async fn sign(
        &self,
        instructions: &[Instruction],
        extra_signers: &[&Keypair],
    ) -> Result<Signed> {
        let (blockhash, last_valid_block_height) = self
            .rpc
            .get_latest_blockhash_with_commitment(self.rpc.commitment())
            .await
            .map_err(|e| self.rpc_error(e))?;
        let payer = self.signer.pubkey();
        let mut signers: Vec<&Keypair> = vec![&self.signer];
        signers.extend(extra_signers.iter().copied());
        let mut tx = Transaction::new_with_payer(instructions, Some(&payer));
        tx.try_sign(&signers, blockhash)
            .map_err(|e| ClientError::Signing(e.to_string()))?;
        let signature = tx.signatures[0];
        Ok(Signed {
            tx,
            signature,
            last_valid_block_height,
        })
    }

    /// Sends a signed transaction, with a preflight simulation unless turned off, so a
    /// refused transaction comes back with its logs (decoded into the program's error).
    /// A failure that may have happened after the node received it (a timeout, a broken
    /// connection, an unreadable answer) is not a refusal: the outcome is left to
    /// [`confirm`](Self::confirm), which knows the signature.
    async fn submit(&self, signed: &Signed, instructions: &[Instruction]) -> Result<()> {
        let config = RpcSendTransactionConfig {
            skip_preflight: !self.preflight,
            preflight_commitment: Some(self.rpc.commitment().commitment),
            ..RpcSendTransactionConfig::default()
        };
        match self
            .rpc
            .send_transaction_with_config(&signed.tx, config)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if error::may_have_reached_the_node(&e) => Ok(()),
            Err(e) => Err(self.transaction_error(e, instructions)),
        }
    }

    fn transaction_error(
        &self,
        error: solana_client::client_error::ClientError,
        instructions: &[Instruction],
    ) -> ClientError {
        let programs = program_ids(instructions);
        error::from_rpc(error, &self.url, Some(&self.signer.pubkey()), &programs)
    }

    /// Polls the signature's status until it is confirmed or failed. RPC failures are
    /// retried; the outcome is unknown ([`ClientError::Unconfirmed`]) once the chain's
    /// block height has passed `last_valid_block_height` without the transaction, or
    /// when the node gives no answer for [`CONFIRM_PATIENCE`].
    async fn confirm(
        &self,
        signature: &Signature,
        last_valid_block_height: u64,
        instructions: &[Instruction],
    ) -> Result<()> {
        let started = std::time::Instant::now();
        let mut last_failure: Option<String> = None;
        loop {
            // The height first: a status read after it saw the blockhash expired is final.
            let expired = match self.rpc.get_block_height().await {
                Ok(height) => height > last_valid_block_height,
                Err(e) => {
                    last_failure = Some(e.to_string());
                    false
                }
            };
            let status = if expired {
                self.rpc
                    .get_signature_statuses_with_history(&[*signature])
                    .await
            } else {
                self.rpc.get_signature_statuses(&[*signature]).await
            };
            match status.map(|s| s.value.into_iter().next().flatten()) {
                Ok(Some(status)) => {
                    if let Some(err) = &status.err {
                        return Err(self.execution_failure(signature, err, instructions).await);
                    }
                    if status.satisfies_commitment(self.rpc.commitment()) {
                        return Ok(());
                    }
                }
                Ok(None) if expired => {
                    return Err(ClientError::Unconfirmed {
                        signature: *signature,
                        reason: format!(
                            "it was not seen at {} commitment before its blockhash expired \
                             (last valid block height {last_valid_block_height})",
                            self.rpc.commitment().commitment
                        ),
                    });
                }
                Ok(None) => {}
                Err(e) => last_failure = Some(e.to_string()),
            }
            if started.elapsed() >= CONFIRM_PATIENCE {
                let waited = CONFIRM_PATIENCE.as_secs();
                return Err(ClientError::Unconfirmed {
                    signature: *signature,
                    reason: match last_failure {
                        Some(failure) => format!(
                            "no outcome after {waited} s; the last RPC failure from {}: \
                             {failure}",
                            self.url
                        ),
                        None => format!("no outcome after {waited} s"),
                    },
                });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// The error of a transaction that failed on execution, decoded from its logs (the
    /// status alone names only the top-level instruction, not the program that failed in
    /// it); from the error code alone when the node has no logs for it.
    async fn execution_failure(
        &self,
        signature: &Signature,
        error: &TransactionError,
        instructions: &[Instruction],
    ) -> ClientError {
        let logs = self.transaction_logs(signature).await.unwrap_or_default();
        let payer = self.signer.pubkey();
        error::decode_failure(error, &logs, Some(&payer), &program_ids(instructions))
    }

    /// The log messages of a processed transaction, `None` when the node has none.
    async fn transaction_logs(&self, signature: &Signature) -> Option<Vec<String>> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        for attempt in 0..LOG_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(self.poll_interval).await;
            }
            if let Ok(tx) = self
                .rpc
                .get_transaction_with_config(signature, config)
                .await
            {
                return match tx.transaction.meta?.log_messages {
                    OptionSerializer::Some(logs) => Some(logs),
                    _ => None,
                };
            }
        }
        None
    }

    /// Requests an airdrop of `lamports` to `to` (local and test chains only) and waits
    /// until it is confirmed.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Signature> {
        let (blockhash, last_valid_block_height) = self
            .rpc
            .get_latest_blockhash_with_commitment(self.rpc.commitment())
            .await
            .map_err(|e| self.rpc_error(e))?;
        let signature = self
            .rpc
            .request_airdrop_with_blockhash(to, lamports, &blockhash)
            .await
            .map_err(|e| self.rpc_error(e))?;
        self.confirm(&signature, last_valid_block_height, &[])
            .await?;
        Ok(signature)
    }

    /// The network's payment mint and stake mint, each with the token program that owns
    /// it; read once (the mints are fixed after initialisation).
    pub async fn mints(&self) -> Result<(Payment, StakeMint)> {
        if let Some(mints) = self.mints.get() {
            return Ok(*mints);
        }
        let config = self.network_config().await?;
        let payment_program = self.token_program_of(&config.payment_mint).await?;
        let stake_program = self.token_program_of(&config.stake_mint).await?;
        let mints = (
            Payment {
                mint: config.payment_mint,
                token_program: payment_program,
            },
            StakeMint {
                mint: config.stake_mint,
                token_program: stake_program,
            },
        );
        let _ = self.mints.set(mints);
        Ok(mints)
    }

    /// The payment mint (USDC) and its token program.
    pub async fn payment(&self) -> Result<Payment> {
        Ok(self.mints().await?.0)
    }

    /// The stake mint (network token) and its token program.
    pub async fn stake_mint(&self) -> Result<StakeMint> {
        Ok(self.mints().await?.1)
    }
}

/// The program of each instruction, in order: what the error decoder names a failure by
/// when no log says which program failed.
fn program_ids(instructions: &[Instruction]) -> Vec<Pubkey> {
    instructions.iter().map(|ix| ix.program_id).collect()
}
