//! The agent's configuration: a TOML file, overridden by environment variables
//! (`GPUNET_AGENT_*`), overridden by command-line flags. [`Settings`] is what each layer
//! may give; [`Config`] is the resolved, checked whole the agent runs with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gpunet_sdk::Pubkey;
use serde::{Deserialize, Serialize};

use crate::hardware::HardwareOverrides;

/// The default data directory: `$HOME/.local/share/gpunet-agent`.
pub fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    Path::new(&home).join(".local/share/gpunet-agent")
}

/// How the agent learns of hires of its device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Watch {
    /// Poll the RPC endpoint (`getProgramAccounts` of the device's hires).
    #[default]
    Rpc,
    /// Subscribe to the device's hire accounts on a Yellowstone gRPC endpoint (and read
    /// them over RPC when one changes).
    Yellowstone,
}

/// A model this agent serves inferences for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model's address (printed by `gpunet model register`).
    pub address: String,
    /// The inference command, run with `sh -c`: it reads the request on stdin and writes
    /// the answer to stdout (a real model runtime plugs in here).
    pub command: String,
    /// The most compute units (GPU-milliseconds) one request may be charged; a voucher
    /// must cover at least this many at the model's price. Default 1,000.
    #[serde(default)]
    pub max_units: Option<u32>,
}

/// One layer of settings (file, environment or flags): every field optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// JSON-RPC endpoint of the chain.
    pub rpc_url: Option<String>,
    /// Yellowstone gRPC endpoint (for `watch = "yellowstone"`).
    pub grpc_url: Option<String>,
    /// The gRPC provider's access token.
    pub grpc_token: Option<String>,
    pub watch: Option<Watch>,
    /// The agent's keypair file (the hot key; never the owner's wallet).
    pub keypair: Option<PathBuf>,
    /// The device address (printed by `gpunet device register`).
    pub device: Option<String>,
    /// Where the health, metrics and inference endpoint listens.
    pub listen: Option<String>,
    /// How often the chain is polled (milliseconds).
    pub poll_ms: Option<u64>,
    /// The proof-of-work benchmark: matrix size and rounds.
    pub benchmark_size: Option<u32>,
    pub benchmark_rounds: Option<u32>,
    /// Receipts are batched for at most this long before they are submitted (ms).
    pub batch_wait_ms: Option<u64>,
    /// At most this many receipts go in one batch (1..=32; a transaction may hold fewer).
    pub batch_max: Option<usize>,
    /// Hires are settled and rewards claimed every this many epochs.
    pub settle_every_epochs: Option<u64>,
    pub claim_every_epochs: Option<u64>,
    /// Below this SOL balance (lamports) the agent warns and reports itself degraded.
    pub low_balance_lamports: Option<u64>,
    /// Verifier keypair files that co-sign attestations (development networks, where the
    /// operator holds the verifier keys; see docs/worker-agent.md).
    pub verifier_keypairs: Option<Vec<PathBuf>>,
    /// The container runtime for `image:` jobs (`podman` or `docker`; default: whichever
    /// is installed).
    pub container_runtime: Option<String>,
    /// Hardware: what detection cannot know (country, bandwidth, groups), or a simulated
    /// profile.
    pub hardware: Option<HardwareOverrides>,
    pub models: Option<Vec<ModelConfig>>,
}

impl Settings {
    /// Reads a settings file (TOML).
    pub fn read(path: &Path) -> Result<Settings, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| format!("the config file {} is invalid: {e}", path.display()))
    }

    /// Writes these settings as a TOML file.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = toml::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// `self`, with every field `over` sets replacing it.
    pub fn overridden_by(self, over: Settings) -> Settings {
        macro_rules! merge {
            ($($field:ident),+) => {
                Settings { $($field: over.$field.or(self.$field)),+ }
            };
        }
        merge!(
            rpc_url,
            grpc_url,
            grpc_token,
            watch,
            keypair,
            device,
            listen,
            poll_ms,
            benchmark_size,
            benchmark_rounds,
            batch_wait_ms,
            batch_max,
            settle_every_epochs,
            claim_every_epochs,
            low_balance_lamports,
            verifier_keypairs,
            container_runtime,
            hardware,
            models
        )
    }
}

/// A model the agent serves, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedModel {
    pub address: Pubkey,
    pub command: String,
    pub max_units: u32,
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub rpc_url: String,
    pub grpc_url: Option<String>,
    pub grpc_token: Option<String>,
    pub watch: Watch,
    pub keypair: PathBuf,
    pub device: Pubkey,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub poll: Duration,
    pub benchmark_size: u32,
    pub benchmark_rounds: u32,
    pub batch_wait: Duration,
    pub batch_max: usize,
    pub settle_every_epochs: u64,
    pub claim_every_epochs: u64,
    pub low_balance_lamports: u64,
    pub verifier_keypairs: Vec<PathBuf>,
    pub container_runtime: Option<String>,
    pub hardware: HardwareOverrides,
    pub models: Vec<ServedModel>,
}

pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8899";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9100";
/// 0.05 SOL: about 10,000 transactions' base fees.
pub const DEFAULT_LOW_BALANCE: u64 = 50_000_000;
pub const DEFAULT_MAX_UNITS: u32 = 1_000;
/// The most receipts per batch (the proof program's limit; a transaction may hold fewer).
pub const MAX_BATCH: usize = 32;

impl Config {
    /// Resolves `settings` (all layers merged) for the agent whose files live in
    /// `data_dir`. Every missing or malformed value is named in the error.
    pub fn resolve(settings: Settings, data_dir: PathBuf) -> Result<Config, String> {
        let device = settings.device.as_deref().ok_or(
            "no device address: set `device` in the config file, GPUNET_AGENT_DEVICE or \
             --device (the owner's `gpunet device register` prints it)",
        )?;
        let device = parse_address("device", device)?;
        let listen_text = settings.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text
            .parse()
            .map_err(|e| format!("listen address {listen_text:?}: {e}"))?;
        let watch = settings.watch.unwrap_or_default();
        if watch == Watch::Yellowstone && settings.grpc_url.is_none() {
            return Err("watch = yellowstone needs grpc_url (GPUNET_AGENT_GRPC_URL)".into());
        }
        let benchmark_size = settings.benchmark_size.unwrap_or(128);
        if !(8..=4096).contains(&benchmark_size) {
            return Err(format!("benchmark_size {benchmark_size}: must be 8..=4096"));
        }
        let benchmark_rounds = settings.benchmark_rounds.unwrap_or(4);
        if !(1..=1000).contains(&benchmark_rounds) {
            return Err(format!(
                "benchmark_rounds {benchmark_rounds}: must be 1..=1000"
            ));
        }
        let positive = |name: &str, value: u64| {
            if value == 0 {
                Err(format!("{name} must be at least 1"))
            } else {
                Ok(value)
            }
        };
        let mut models = Vec::new();
        for model in settings.models.unwrap_or_default() {
            let address = parse_address("model", &model.address)?;
            if model.command.trim().is_empty() {
                return Err(format!("model {address}: empty inference command"));
            }
            let max_units = model.max_units.unwrap_or(DEFAULT_MAX_UNITS);
            if max_units == 0 {
                return Err(format!("model {address}: max_units must be at least 1"));
            }
            if models.iter().any(|m: &ServedModel| m.address == address) {
                return Err(format!("model {address} is configured twice"));
            }
            models.push(ServedModel {
                address,
                command: model.command,
                max_units,
            });
        }
        let batch_max = settings.batch_max.unwrap_or(MAX_BATCH);
        if !(1..=MAX_BATCH).contains(&batch_max) {
            return Err(format!("batch_max {batch_max}: must be 1..={}", MAX_BATCH));
        }
        Ok(Config {
            rpc_url: settings
                .rpc_url
                .unwrap_or_else(|| DEFAULT_RPC_URL.to_string()),
            grpc_url: settings.grpc_url,
            grpc_token: settings.grpc_token,
            watch,
            keypair: settings
                .keypair
                .unwrap_or_else(|| data_dir.join("agent-keypair.json")),
            device,
            listen,
            poll: Duration::from_millis(positive("poll_ms", settings.poll_ms.unwrap_or(500))?),
            benchmark_size,
            benchmark_rounds,
            batch_wait: Duration::from_millis(settings.batch_wait_ms.unwrap_or(2_000)),
            batch_max,
            settle_every_epochs: positive(
                "settle_every_epochs",
                settings.settle_every_epochs.unwrap_or(1),
            )?,
            claim_every_epochs: positive(
                "claim_every_epochs",
                settings.claim_every_epochs.unwrap_or(4),
            )?,
            low_balance_lamports: settings.low_balance_lamports.unwrap_or(DEFAULT_LOW_BALANCE),
            verifier_keypairs: settings.verifier_keypairs.unwrap_or_default(),
            container_runtime: settings.container_runtime,
            hardware: settings.hardware.unwrap_or_default(),
            models,
            data_dir,
        })
    }

    /// The outbox database.
    pub fn outbox_path(&self) -> PathBuf {
        self.data_dir.join("outbox.sqlite")
    }
}

/// A base58 address, or an error naming what it was for.
pub fn parse_address(what: &str, text: &str) -> Result<Pubkey, String> {
    text.trim()
        .parse()
        .map_err(|e| format!("{what} address {text:?} is not a base58 public key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use MAX_BATCH;

    fn base() -> Settings {
        Settings {
            device: Some(Pubkey::new_unique().to_string()),
            ..Settings::default()
        }
    }

    #[test]
    fn later_layers_override_earlier_ones_field_by_field() {
        let file = Settings {
            rpc_url: Some("http://file".into()),
            poll_ms: Some(100),
            ..base()
        };
        let env = Settings {
            rpc_url: Some("http://env".into()),
            ..Settings::default()
        };
        let flags = Settings {
            poll_ms: Some(7),
            ..Settings::default()
        };
        let merged = file.overridden_by(env).overridden_by(flags);
        assert_eq!(merged.rpc_url.as_deref(), Some("http://env"));
        assert_eq!(merged.poll_ms, Some(7));
        assert!(merged.device.is_some());
    }

    #[test]
    fn a_config_file_round_trips_and_unknown_keys_are_refused() {
        let dir = tempdir();
        let path = dir.join("agent.toml");
        let settings = Settings {
            models: Some(vec![ModelConfig {
                address: Pubkey::new_unique().to_string(),
                command: "cat".into(),
                max_units: Some(50),
            }]),
            watch: Some(Watch::Yellowstone),
            ..base()
        };
        settings.write(&path).unwrap();
        assert_eq!(Settings::read(&path).unwrap(), settings);
        std::fs::write(&path, "rpc_ulr = \"typo\"\n").unwrap();
        let error = Settings::read(&path).unwrap_err();
        assert!(error.contains("rpc_ulr"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn resolving_names_what_is_missing_or_wrong() {
        let no_device = Config::resolve(Settings::default(), "/tmp".into()).unwrap_err();
        assert!(no_device.contains("no device address"), "{no_device}");
        let bad = Settings {
            device: Some("not-a-key".into()),
            ..Settings::default()
        };
        assert!(
            Config::resolve(bad, "/tmp".into())
                .unwrap_err()
                .contains("not-a-key")
        );
        let grpc = Settings {
            watch: Some(Watch::Yellowstone),
            ..base()
        };
        assert!(
            Config::resolve(grpc, "/tmp".into())
                .unwrap_err()
                .contains("grpc_url")
        );
        let zero = Settings {
            poll_ms: Some(0),
            ..base()
        };
        assert!(
            Config::resolve(zero, "/tmp".into())
                .unwrap_err()
                .contains("poll_ms")
        );
        for batch_max in [0, MAX_BATCH + 1] {
            let batch = Settings {
                batch_max: Some(batch_max),
                ..base()
            };
            let error = Config::resolve(batch, "/tmp".into()).unwrap_err();
            assert!(error.contains("batch_max"), "{error}");
        }
        let config = Config::resolve(base(), "/data".into()).unwrap();
        assert_eq!(config.batch_max, MAX_BATCH);
        assert_eq!(config.keypair, Path::new("/data/agent-keypair.json"));
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.watch, Watch::Rpc);
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "gpunet-agent-config-{}-{}",
            std::process::id(),
            Pubkey::new_unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
