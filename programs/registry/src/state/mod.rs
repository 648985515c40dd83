pub mod network_config;
pub mod seeds;

pub use network_config::*;
