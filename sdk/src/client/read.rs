//! Readers: fetch an account and decode it, with a `NotFound` naming what was looked for
//! when it is not on chain, and the chain's own clock (epochs are unix-time based and
//! the programs read the chain's clock, which can lag the wall clock on a busy machine).

use anchor_lang::{AccountDeserialize, Discriminator};
use solana_client::rpc_config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding,
};
use solana_client::rpc_filter::{Memcmp, RpcFilterType};
use solana_sdk_ids::sysvar::clock::ID as CLOCK_SYSVAR;

use super::{ClientError, GpunetClient, Result, tokens};
use crate::Pubkey;
use crate::escrow::{self, Hire, Lease};
use crate::proof::{self, Model, ReceiptLog, Session, SessionPayee};
use crate::registry::{self, Device, NetworkConfig};
use crate::staking::{self, EpochRewards, Slash, StakeAccount, StakingConfig};

/// An account as stored: balance, owning program and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAccount {
    pub lamports: u64,
    pub owner: Pubkey,
    pub data: Vec<u8>,
}

/// The chain's clock as the programs see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainClock {
    pub slot: u64,
    pub unix_timestamp: i64,
}

impl GpunetClient {
    /// The raw account at `address`, `None` when it does not exist.
    pub async fn account(&self, address: &Pubkey) -> Result<Option<RawAccount>> {
        Ok(self.accounts(&[*address]).await?.pop().flatten())
    }

    /// The raw accounts at `addresses` (at most 100), in order, `None` for the missing.
    pub async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<RawAccount>>> {
        let config = RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(self.rpc.commitment()),
            ..RpcAccountInfoConfig::default()
        };
        let response = self
            .rpc
            .get_multiple_ui_accounts_with_config(addresses, config)
            .await
            .map_err(|e| self.rpc_error(e))?;
        Ok(response
            .value
            .into_iter()
            .map(|account| {
                account.and_then(|a| a.to_account()).map(|a| RawAccount {
                    lamports: a.lamports,
                    owner: a.owner,
                    data: a.data,
                })
            })
            .collect())
    }

    /// Fetches and decodes the Anchor account `T` at `address`; `what` names it in errors
    /// ("device", "lease", ...).
    pub async fn anchor_account<T: AccountDeserialize>(
        &self,
        what: &'static str,
        address: &Pubkey,
    ) -> Result<T> {
        let account = self.account(address).await?.ok_or(ClientError::NotFound {
            what,
            address: *address,
        })?;
        crate::decode_account(&account.data).map_err(|e| ClientError::Malformed {
            what,
            address: *address,
            detail: e.to_string(),
        })
    }

    /// Like [`anchor_account`](Self::anchor_account), `None` when the account is missing.
    pub async fn maybe_anchor_account<T: AccountDeserialize>(
        &self,
        what: &'static str,
        address: &Pubkey,
    ) -> Result<Option<T>> {
        match self.anchor_account(what, address).await {
            Ok(account) => Ok(Some(account)),
            Err(ClientError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The network configuration (`NotFound` until the network is initialised).
    pub async fn network_config(&self) -> Result<NetworkConfig> {
        self.anchor_account("network configuration", &registry::config_address())
            .await
    }

    pub async fn staking_config(&self) -> Result<StakingConfig> {
        self.anchor_account("staking configuration", &staking::config_address())
            .await
    }

    pub async fn device(&self, device: &Pubkey) -> Result<Device> {
        self.anchor_account("device", device).await
    }

    /// The stake account of `device`.
    pub async fn stake_account(&self, device: &Pubkey) -> Result<StakeAccount> {
        self.anchor_account("stake account", &staking::stake_address(device))
            .await
    }

    pub async fn lease(&self, lease: &Pubkey) -> Result<Lease> {
        self.anchor_account("lease", lease).await
    }

    /// The hire of `device` in `lease`.
    pub async fn hire(&self, lease: &Pubkey, device: &Pubkey) -> Result<Hire> {
        self.anchor_account("hire", &escrow::hire_address(lease, device))
            .await
    }

    pub async fn model(&self, model: &Pubkey) -> Result<Model> {
        self.anchor_account("model", model).await
    }

    pub async fn session(&self, session: &Pubkey) -> Result<Session> {
        self.anchor_account("session", session).await
    }

    /// The receipt log of `device` (`NotFound` before its first receipt).
    pub async fn receipt_log(&self, device: &Pubkey) -> Result<ReceiptLog> {
        self.anchor_account("receipt log", &proof::receipt_log_address(device))
            .await
    }

    /// Slash `slash_id` of the stake of `device`.
    pub async fn slash(&self, device: &Pubkey, slash_id: u64) -> Result<Slash> {
        let stake = staking::stake_address(device);
        self.anchor_account("slash", &staking::slash_address(&stake, slash_id))
            .await
    }

    pub async fn epoch_rewards(&self, epoch: u64) -> Result<EpochRewards> {
        self.anchor_account("epoch rewards", &staking::epoch_rewards_address(epoch))
            .await
    }

    /// What `device` has been paid from `session` so far (0 before its first batch).
    pub async fn session_paid(&self, session: &Pubkey, device: &Pubkey) -> Result<u64> {
        let payee = proof::payee_address(session, device);
        let payee: Option<SessionPayee> =
            self.maybe_anchor_account("session payee", &payee).await?;
        Ok(payee.map_or(0, |p| p.paid))
    }

    /// The sequence number of `device`'s next receipt (its log's count).
    pub async fn next_receipt_seq(&self, device: &Pubkey) -> Result<u64> {
        let log: Option<ReceiptLog> = self
            .maybe_anchor_account("receipt log", &proof::receipt_log_address(device))
            .await?;
        Ok(log.map_or(0, |l| l.count))
    }

    /// The next batch of `device`'s log: one record per (compute units, result hash),
    /// continuing at its next seq, timestamped over the chain clock's last seconds.
    pub async fn next_receipt_batch(
        &self,
        device: &Pubkey,
        records: Vec<(u32, [u8; 32])>,
    ) -> Result<proof::ReceiptBatch> {
        let first_seq = self.next_receipt_seq(device).await?;
        let now = self.clock().await?.unix_timestamp;
        let base_timestamp = now - records.len() as i64;
        Ok(proof::receipt_batch(first_seq, base_timestamp, records))
    }

    /// Every hire of `lease` (address and account), found by the hire's `lease` field,
    /// ordered by device.
    pub async fn hires_of(&self, lease: &Pubkey) -> Result<Vec<(Pubkey, Hire)>> {
        let mut hires = self.hires_where(escrow::HIRE_LEASE_OFFSET, lease).await?;
        hires.sort_by_key(|(_, hire)| hire.device.to_bytes());
        Ok(hires)
    }

    /// Every hire of `device` in any lease (address and account), found by the hire's
    /// `device` field, oldest first (by start epoch): what a device's agent watches.
    pub async fn hires_of_device(&self, device: &Pubkey) -> Result<Vec<(Pubkey, Hire)>> {
        let mut hires = self.hires_where(escrow::HIRE_DEVICE_OFFSET, device).await?;
        hires.sort_by_key(|(address, hire)| (hire.start_epoch, address.to_bytes()));
        Ok(hires)
    }

    /// The hires whose 32-byte field at `offset` is `key`.
    async fn hires_where(&self, offset: usize, key: &Pubkey) -> Result<Vec<(Pubkey, Hire)>> {
        let filters = vec![
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, Hire::DISCRIMINATOR.to_vec())),
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(offset, key.to_bytes().to_vec())),
        ];
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(self.rpc.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let accounts = self
            .rpc
            .get_program_ui_accounts_with_config(&escrow::PROGRAM_ID, config)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let mut hires = Vec::with_capacity(accounts.len());
        for (address, account) in accounts {
            let data = account.data.decode().unwrap_or_default();
            let hire: Hire = crate::decode_account(&data).map_err(|e| ClientError::Malformed {
                what: "hire",
                address,
                detail: e.to_string(),
            })?;
            hires.push((address, hire));
        }
        Ok(hires)
    }

    /// Lamports held by `address` (0 when it does not exist).
    pub async fn sol_balance(&self, address: &Pubkey) -> Result<u64> {
        self.rpc
            .get_balance(address)
            .await
            .map_err(|e| self.rpc_error(e))
    }

    /// Base units held by the token account `address` (0 when it does not exist).
    pub async fn token_balance(&self, address: &Pubkey) -> Result<u64> {
        Ok(self
            .account(address)
            .await?
            .and_then(|a| tokens::token_amount(&a.data))
            .unwrap_or(0))
    }

    /// Base units of the network's payment mint held by `wallet`'s associated account.
    pub async fn payment_balance(&self, wallet: &Pubkey) -> Result<u64> {
        let payment = self.payment().await?;
        let ata = tokens::associated_token_address(wallet, &payment.mint, &payment.token_program);
        self.token_balance(&ata).await
    }

    /// Base units of the network's stake mint held by `wallet`'s associated account.
    pub async fn stake_token_balance(&self, wallet: &Pubkey) -> Result<u64> {
        let mint = self.stake_mint().await?;
        let ata = tokens::associated_token_address(wallet, &mint.mint, &mint.token_program);
        self.token_balance(&ata).await
    }

    /// The token program that owns `mint` (SPL Token or Token-2022).
    pub async fn token_program_of(&self, mint: &Pubkey) -> Result<Pubkey> {
        self.account(mint)
            .await?
            .map(|a| a.owner)
            .ok_or(ClientError::NotFound {
                what: "mint",
                address: *mint,
            })
    }

    /// The decimals and mint authority of `mint`.
    pub async fn mint_info(&self, mint: &Pubkey) -> Result<(u8, Option<Pubkey>)> {
        let account = self.account(mint).await?.ok_or(ClientError::NotFound {
            what: "mint",
            address: *mint,
        })?;
        tokens::mint_info(&account.data).ok_or(ClientError::Malformed {
            what: "mint",
            address: *mint,
            detail: "not an SPL token mint".into(),
        })
    }

    /// The chain's clock (the Clock sysvar: slot, then unix time at bytes 32..40).
    pub async fn clock(&self) -> Result<ChainClock> {
        let account = self
            .account(&CLOCK_SYSVAR)
            .await?
            .ok_or(ClientError::NotFound {
                what: "clock sysvar",
                address: CLOCK_SYSVAR,
            })?;
        let word = |at: usize| -> Option<[u8; 8]> { account.data.get(at..at + 8)?.try_into().ok() };
        match (word(0), word(32)) {
            (Some(slot), Some(time)) => Ok(ChainClock {
                slot: u64::from_le_bytes(slot),
                unix_timestamp: i64::from_le_bytes(time),
            }),
            _ => Err(ClientError::Malformed {
                what: "clock sysvar",
                address: CLOCK_SYSVAR,
                detail: format!("{} bytes", account.data.len()),
            }),
        }
    }

    /// The current epoch of the network, by the chain's clock.
    pub async fn current_epoch(&self) -> Result<u64> {
        let config = self.network_config().await?;
        let now = self.clock().await?.unix_timestamp;
        config
            .epoch_at(now)
            .map_err(|e| ClientError::Invalid(format!("epoch of time {now}: {e}")))
    }

    /// Waits until the chain's clock, as the node shows it, is in `epoch` or later; returns
    /// the current epoch. This paces a caller (a tour, a test) by the chain's time; it says
    /// nothing about the clock the next transaction executes with, so an action that is
    /// valid only from some time on does not rely on it but goes through
    /// [`due`](super::due), which waits on that clock itself.
    pub async fn wait_for_epoch(&self, epoch: u64) -> Result<u64> {
        let config = self.network_config().await?;
        let at = super::due::epoch_start(&config, epoch)?;
        self.wait_for_time(at, &format!("epoch {epoch}")).await?;
        self.current_epoch().await
    }
}
