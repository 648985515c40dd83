// Each module holds one instruction: its accounts struct, checks and `handler`; the
// handlers are always called by path (`instructions::x::handler`), the glob is for
// Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod accept_admin;
pub mod attest_uptime;
pub mod initialize_network;
pub mod register_device;
pub mod set_device_status;
pub mod update_config;
pub mod update_device;

pub use accept_admin::*;
pub use attest_uptime::*;
pub use initialize_network::*;
pub use register_device::*;
pub use set_device_status::*;
pub use update_config::*;
pub use update_device::*;
