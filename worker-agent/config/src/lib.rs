//! What a gpunet worker agent is told and what it finds out for itself: its configuration
//! ([`config`]: the TOML file, environment and flags, resolved and checked) and its machine
//! ([`hardware`]: detected, or a simulated profile). The daemon (`gpunet-agent`) runs with
//! them; the CLI's tour writes agents' configuration files and registers their simulated
//! hardware with them, without linking the daemon.

pub mod config;
pub mod hardware;

use std::path::PathBuf;

/// The program `name` as the shell would find it on the PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
