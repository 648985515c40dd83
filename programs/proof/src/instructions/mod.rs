// Each module holds one instruction: its accounts struct, checks and `handler`; the
// handlers are always called by path (`instructions::x::handler`), the glob is for
// Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod close_session;
pub mod open_session;
pub mod register_model;
pub mod request_close_session;
pub mod submit_inference_receipts;
pub mod submit_job_receipts;
pub mod update_model;

pub use close_session::*;
pub use open_session::*;
pub use register_model::*;
pub use request_close_session::*;
pub use submit_inference_receipts::*;
pub use submit_job_receipts::*;
pub use update_model::*;
