pub mod network_config;
pub mod seeds;
pub mod upgradeable_loader;

pub use network_config::*;
