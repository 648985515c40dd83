// Each module exports its accounts struct and a `handler`; the handlers are always
// called by path (`instructions::x::handler`), the glob is for Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod config_initialize;
pub mod config_update;
pub mod rewards_claim;
pub mod slash_propose;
pub mod slash_resolve;
pub mod stake_deposit;
pub mod stake_withdraw;
pub mod unstake_request;
pub mod weight_register;

pub use config_initialize::*;
pub use config_update::*;
pub use rewards_claim::*;
pub use slash_propose::*;
pub use slash_resolve::*;
pub use stake_deposit::*;
pub use stake_withdraw::*;
pub use unstake_request::*;
pub use weight_register::*;
