//! An async client of a gpunet chain over JSON-RPC (`solana-client`'s nonblocking
//! `RpcClient`): one method per user action, readers that decode every gpunet account,
//! and errors decoded to the program error's name.
//!
//! A [`GpunetClient`] acts as one wallet, its `signer`: that key signs and pays for every
//! transaction it sends, in whatever role the action needs (admin, device owner, device
//! agent, renter, consumer, model owner). To act as another key, take
//! [`GpunetClient::with_signer`], which shares the connection.
//!
//! Token accounts are the wallets' associated token accounts ([`tokens`]); the client
//! creates the payees' accounts when a payment needs them.
//!
//! Addresses: the sdk's [`Pubkey`] (Anchor's) and `solana-client`'s `Pubkey`/`Address`
//! are the same type in this workspace (solana-pubkey 3 and 4 both re-export
//! solana-address 2's `Address`), so keys pass between the instruction builders and the
//! RPC client unchanged, with no conversion code.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::RpcSendTransactionConfig;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::escrow::Payment;
use crate::staking::StakeMint;
use crate::{Instruction, Pubkey};

mod devices;
pub mod error;
mod leases;
mod network;
mod proof;
mod read;
pub mod tokens;

pub use devices::{Registered, sign_attestation};
pub use error::{ClientError, Result};
pub use network::{NetworkInit, NetworkInitialized};
pub use proof::Voucher;
pub use read::{ChainClock, RawAccount};
/// Transaction signatures, as the client returns them.
pub use solana_transaction::Signature;

/// How long a sent transaction may take to confirm before the client gives up.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(60);
/// How many transactions of a batch are in flight at once.
const PIPELINE: usize = 32;

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
    rpc: Arc<RpcClient>,
    url: String,
    signer: Arc<Keypair>,
    /// The network's mints and their token programs (fixed once the network exists).
    mints: Arc<OnceLock<(Payment, StakeMint)>>,
    poll_interval: Duration,
}

impl GpunetClient {
    /// A client of the chain at `url` (JSON-RPC, e.g. `http://127.0.0.1:8899`) signing
    /// with `signer`, reading and confirming at `confirmed` commitment.
    pub fn new(url: impl Into<String>, signer: Keypair) -> Self {
        let url = url.into();
        let rpc = RpcClient::new_with_commitment(url.clone(), CommitmentConfig::confirmed());
        GpunetClient {
            rpc: Arc::new(rpc),
            url,
            signer: Arc::new(signer),
            mints: Arc::new(OnceLock::new()),
            poll_interval: Duration::from_millis(100),
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
        }
    }

    /// The wallet that signs and pays.
    pub fn signer(&self) -> &Keypair {
        &self.signer
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
    fn rpc_error(&self, error: solana_client::client_error::ClientError) -> ClientError {
        error::from_rpc(error, &self.url, None, &[])
    }

    /// Sends `instructions` in one transaction signed by the client's wallet (fee payer)
    /// and `extra_signers` (e.g. a new account's key), at a fresh blockhash, and waits
    /// until it is confirmed. Returns its signature; a failure is decoded
    /// ([`ClientError`]).
    pub async fn send(
        &self,
        instructions: &[Instruction],
        extra_signers: &[&Keypair],
    ) -> Result<Signature> {
        let tx = self.transaction(instructions, extra_signers).await?;
        let signature = self.submit(&tx, instructions).await?;
        self.confirm(&signature, instructions).await?;
        Ok(signature)
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

    /// Submits every transaction of `chunk` (preflight-checked), then confirms the ones
    /// accepted together.
    async fn send_chunk(&self, chunk: &[Vec<Instruction>]) -> Vec<Result<Signature>> {
        let mut submitted = Vec::with_capacity(chunk.len());
        for instructions in chunk {
            let sent = match self.transaction(instructions, &[]).await {
                Ok(tx) => self.submit(&tx, instructions).await,
                Err(e) => Err(e),
            };
            submitted.push(sent);
        }
        let mut results = Vec::with_capacity(chunk.len());
        for (sent, instructions) in submitted.into_iter().zip(chunk) {
            results.push(match sent {
                Ok(signature) => self
                    .confirm(&signature, instructions)
                    .await
                    .map(|()| signature),
                Err(e) => Err(e),
            });
        }
        results
    }

    async fn transaction(
        &self,
        instructions: &[Instruction],
        extra_signers: &[&Keypair],
    ) -> Result<Transaction> {
        let blockhash = self
            .rpc
            .get_latest_blockhash()
            .await
            .map_err(|e| self.rpc_error(e))?;
        let payer = self.signer.pubkey();
        let mut signers: Vec<&Keypair> = vec![&self.signer];
        signers.extend(extra_signers.iter().copied());
        let mut tx = Transaction::new_with_payer(instructions, Some(&payer));
        tx.try_sign(&signers, blockhash)
            .map_err(|e| ClientError::Signing(e.to_string()))?;
        Ok(tx)
    }

    /// Sends with a preflight simulation, so a refused transaction comes back with its
    /// logs (decoded into the program's error).
    async fn submit(&self, tx: &Transaction, instructions: &[Instruction]) -> Result<Signature> {
        let config = RpcSendTransactionConfig {
            preflight_commitment: Some(self.rpc.commitment().commitment),
            ..RpcSendTransactionConfig::default()
        };
        self.rpc
            .send_transaction_with_config(tx, config)
            .await
            .map_err(|e| self.transaction_error(e, instructions))
    }

    fn transaction_error(
        &self,
        error: solana_client::client_error::ClientError,
        instructions: &[Instruction],
    ) -> ClientError {
        let programs: Vec<Pubkey> = instructions.iter().map(|ix| ix.program_id).collect();
        error::from_rpc(error, &self.url, Some(&self.signer.pubkey()), &programs)
    }

    /// Polls the signature's status until it is confirmed, failed, or the timeout passes.
    async fn confirm(&self, signature: &Signature, instructions: &[Instruction]) -> Result<()> {
        let started = std::time::Instant::now();
        while started.elapsed() < CONFIRM_TIMEOUT {
            let statuses = self
                .rpc
                .get_signature_statuses(&[*signature])
                .await
                .map_err(|e| self.rpc_error(e))?;
            if let Some(Some(status)) = statuses.value.first() {
                if let Some(err) = &status.err {
                    let programs: Vec<Pubkey> =
                        instructions.iter().map(|ix| ix.program_id).collect();
                    let payer = self.signer.pubkey();
                    return Err(error::decode_failure(err, &[], Some(&payer), &programs));
                }
                if status.satisfies_commitment(self.rpc.commitment()) {
                    return Ok(());
                }
            }
            tokio::time::sleep(self.poll_interval).await;
        }
        Err(ClientError::Unconfirmed {
            signature: signature.to_string(),
            seconds: CONFIRM_TIMEOUT.as_secs(),
        })
    }

    /// Requests an airdrop of `lamports` to `to` (local and test chains only) and waits
    /// until it is confirmed.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Signature> {
        let signature = self
            .rpc
            .request_airdrop(to, lamports)
            .await
            .map_err(|e| self.rpc_error(e))?;
        self.confirm(&signature, &[]).await?;
        Ok(signature)
    }

    /// Transfers `lamports` from the client's wallet to `to`.
    pub async fn transfer_sol(&self, to: &Pubkey, lamports: u64) -> Result<Signature> {
        let ix = solana_system_interface::instruction::transfer(&self.pubkey(), to, lamports);
        self.send(&[ix], &[]).await
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
