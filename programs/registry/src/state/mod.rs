pub mod attestation;
pub mod device;
pub mod network_config;
pub mod seeds;
pub mod upgradeable_loader;

pub use device::*;
pub use network_config::*;
