pub mod device_lock;
pub mod hire;
pub mod lease;
pub mod seeds;

pub use device_lock::*;
pub use hire::*;
pub use lease::*;
