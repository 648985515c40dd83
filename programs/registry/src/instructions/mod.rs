// Each module exports its accounts struct and a `handler`; the handlers are always
// called by path (`instructions::x::handler`), the glob is for Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod admin_accept;
pub mod config_update;
pub mod device_register;
pub mod device_set_status;
pub mod device_update;
pub mod network_initialize;
pub mod uptime_attest;

pub use admin_accept::*;
pub use config_update::*;
pub use device_register::*;
pub use device_set_status::*;
pub use device_update::*;
pub use network_initialize::*;
pub use uptime_attest::*;
