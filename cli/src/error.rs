//! What can go wrong, as the user reads it.

use std::fmt;

use gpunet_sdk::client::{ClientError, Result as ClientResult};

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

/// A read of an account that may be missing: `None` when it does not exist; any other
/// failure (RPC, an account that does not decode) is an error, not an absence.
pub(crate) fn absent_if_not_found<T>(read: ClientResult<T>) -> Result<Option<T>> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(ClientError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
