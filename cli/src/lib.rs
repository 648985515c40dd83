//! The `gpunet` command line, as a library so the scripted tour ([`demo`]) and the
//! network set-up ([`setup`]) can be driven from tests and other tools too.

pub use gpunet_sdk::amount;
pub mod args;
mod commands;
mod context;
pub mod demo;
mod error;
pub mod fleet;
mod help;
pub mod keys;
pub mod localnet;
pub mod output;
pub mod setup;
pub mod state;
pub mod views;

pub use commands::run;
pub use context::{Context, Outcome, signed};
pub use error::{CliError, Result};
