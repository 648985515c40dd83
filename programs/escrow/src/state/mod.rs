pub mod hire;
pub mod lease;
pub mod lock;
pub mod seeds;

pub use hire::*;
pub use lease::*;
pub use lock::*;
