//! The agent's view of the chain: its client (signing as the agent key), the device it
//! serves, the network configuration, and the chain's time (epochs follow the chain's
//! clock, which can run apart from this machine's).

use std::sync::Mutex;
use std::time::Instant;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{ClientError, GpunetClient};
use gpunet_sdk::registry::{Device, NetworkConfig};

pub struct Chain {
    pub client: GpunetClient,
    pub device: Pubkey,
    /// The network configuration, read at start and refreshed with the clock.
    network: Mutex<NetworkConfig>,
    /// The chain's unix time at the last clock reading, and when it was read here.
    clock: Mutex<(i64, Instant)>,
}

/// Whether an error is the chain being unreachable or busy (try again later) rather than
/// a refusal (the transaction is wrong, retrying does not help).
pub fn is_transient(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Unreachable { .. }
            | ClientError::Rpc { .. }
            | ClientError::Unconfirmed { .. }
            | ClientError::NotYet { .. }
    )
}

/// The name of a program error (e.g. `AlreadyAttested`), if the chain refused with one.
pub use gpunet_sdk::client::program_error;

impl Chain {
    /// Connects: reads the network configuration and the clock.
    pub async fn connect(client: GpunetClient, device: Pubkey) -> Result<Chain, ClientError> {
        let network = client.network_config().await?;
        let now = client.clock().await?.unix_timestamp;
        Ok(Chain {
            client,
            device,
            network: Mutex::new(network),
            clock: Mutex::new((now, Instant::now())),
        })
    }

    /// Reads the chain's clock and the network configuration again.
    pub async fn refresh(&self) -> Result<(), ClientError> {
        let network = self.client.network_config().await?;
        let now = self.client.clock().await?.unix_timestamp;
        *self.network.lock().unwrap_or_else(|p| p.into_inner()) = network;
        *self.clock.lock().unwrap_or_else(|p| p.into_inner()) = (now, Instant::now());
        Ok(())
    }

    pub fn network(&self) -> NetworkConfig {
        self.network
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The chain's time now, estimated from the last reading (whole seconds, as the
    /// chain's clock has).
    pub fn now(&self) -> i64 {
        let (at, read) = *self.clock.lock().unwrap_or_else(|p| p.into_inner());
        at + read.elapsed().as_secs() as i64
    }

    /// The epoch at chain time `now`.
    pub fn epoch_at(&self, now: i64) -> u64 {
        self.network().epoch_at(now).unwrap_or(0)
    }

    /// The current epoch by the chain's estimated time.
    pub fn epoch(&self) -> u64 {
        self.epoch_at(self.now())
    }

    /// The epoch length in seconds.
    pub fn epoch_seconds(&self) -> u32 {
        self.network().epoch_seconds
    }

    /// When `epoch` starts (chain time).
    pub fn epoch_start(&self, epoch: u64) -> i64 {
        self.network().epoch_start(epoch).unwrap_or(i64::MAX)
    }

    /// The device account.
    pub async fn device(&self) -> Result<Device, ClientError> {
        self.client.device(&self.device).await
    }
}
