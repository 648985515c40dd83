//! The state file `gpunet localnet` and `gpunet network init` write (default
//! `.gpunet/localnet.json`): the endpoints and every address they created, so the demo,
//! scripts and people can find them; development verifier keys live next to it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{CliError, Result};

/// A verifier: its address and, for generated development keys, its keypair file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct VerifierEntry {
    pub pubkey: String,
    pub keypair: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    pub rpc_url: String,
    pub ws_url: Option<String>,
    pub grpc_url: Option<String>,
    pub admin: String,
    pub payment_mint: String,
    pub stake_mint: String,
    pub treasury: String,
    pub treasury_payment_token: String,
    pub treasury_stake_token: String,
    pub network_config: String,
    pub staking_config: String,
    pub emission_vault: String,
    pub epoch_seconds: u32,
    pub verifier_quorum: u8,
    pub verifiers: Vec<VerifierEntry>,
}

impl State {
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError(format!(
                "cannot read the state file {}: {e} (start a chain with `gpunet localnet`, or \
                 pass --state)",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            CliError(format!(
                "the state file {} is malformed: {e}",
                path.display()
            ))
        })
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let json = serde_json::to_string_pretty(self).expect("state serialises");
        std::fs::write(path, json + "\n")
            .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))
    }
}
