// Each module holds one instruction: its accounts struct, checks and `handler`; the
// handlers are always called by path (`instructions::x::handler`), the glob is for
// Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod add_hire;
pub mod close_hire;
pub mod close_lease;
pub mod create_lease;
pub mod extend_hire;
pub mod release_hire;
pub mod settle_hire;
pub mod terminate_lease;

pub use add_hire::*;
pub use close_hire::*;
pub use close_lease::*;
pub use create_lease::*;
pub use extend_hire::*;
pub use release_hire::*;
pub use settle_hire::*;
pub use terminate_lease::*;
