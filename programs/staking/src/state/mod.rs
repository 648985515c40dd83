pub mod config;
pub mod seeds;
pub mod stake;

pub use config::*;
pub use stake::*;
