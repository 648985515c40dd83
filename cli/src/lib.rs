//! The `gpunet` command line, as a library so the scripted tour ([`demo`]) and the
//! network set-up ([`setup`]) can be driven from tests and other tools too.

use std::fmt;
use std::path::PathBuf;

use gpunet_sdk::client::{ClientError, GpunetClient};
use serde_json::Value;
use solana_keypair::Keypair;

pub use gpunet_sdk::amount;
pub mod args;
mod commands;
pub mod demo;
pub mod fleet;
pub mod keys;
pub mod localnet;
pub mod output;
pub mod setup;
pub mod state;
pub mod views;

pub use commands::run;
use output::Output;

/// A failure to report to the user: one line (or a few) saying what went wrong and, when
/// possible, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> Self {
        CliError(error.to_string())
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError(message.to_string())
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// What a command produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It succeeded: print this object.
    Done(Value),
    /// It printed its own output (the long-running `localnet`, the narrated `demo`).
    Printed,
    /// It failed in part (items of a batch): print this object, which lists what was done
    /// (every item's signature or error) and says what failed in a top-level `"error"`,
    /// and exit non-zero.
    Failed(Value),
}

/// What every command needs: where the chain is, who signs, how to print.
pub struct Context {
    pub url: String,
    pub keypair_path: PathBuf,
    pub out: Output,
}

impl Context {
    /// The signing wallet, read from `--keypair` only when a command needs it.
    pub fn keypair(&self) -> Result<Keypair> {
        keys::read_keypair(&self.keypair_path)
    }

    /// A client signing with `--keypair`.
    pub fn client(&self) -> Result<GpunetClient> {
        Ok(GpunetClient::new(self.url.clone(), self.keypair()?))
    }

    /// A client for reading only: it never signs, so it needs no keypair file.
    pub fn reader(&self) -> GpunetClient {
        GpunetClient::new(self.url.clone(), Keypair::new())
    }

    /// A reader when `read_only`, else a signing client.
    pub fn client_or_reader(&self, read_only: bool) -> Result<GpunetClient> {
        if read_only {
            Ok(self.reader())
        } else {
            self.client()
        }
    }
}

/// A JSON result with a transaction signature and extra fields.
pub fn signed(signature: impl ToString, fields: Value) -> Value {
    let mut value = serde_json::json!({ "signature": signature.to_string() });
    if let (Some(out), Value::Object(extra)) = (value.as_object_mut(), fields) {
        out.extend(extra);
    }
    value
}
