//! What every command works with: the chain's address, the signing key, the output, and
//! what a command produced.

use std::path::PathBuf;

use gpunet_sdk::client::GpunetClient;
use serde_json::Value;
use solana_keypair::Keypair;

use crate::error::Result;
use crate::keys;
use crate::output::Output;

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
