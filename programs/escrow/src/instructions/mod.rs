// Each module exports its accounts struct and a `handler`; the handlers are always
// called by path (`instructions::x::handler`), the glob is for Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod hire_add;
pub mod hire_close;
pub mod hire_extend;
pub mod hire_release;
pub mod hire_settle;
pub mod lease_close;
pub mod lease_create;
pub mod lease_terminate;

pub use hire_add::*;
pub use hire_close::*;
pub use hire_extend::*;
pub use hire_release::*;
pub use hire_settle::*;
pub use lease_close::*;
pub use lease_create::*;
pub use lease_terminate::*;
