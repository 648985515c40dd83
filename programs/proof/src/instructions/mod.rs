// Each module exports its accounts structs and handlers; the handlers are always called by
// path, the glob is for Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod model_register;
pub mod receipts_submit;
pub mod session;

pub use model_register::*;
pub use receipts_submit::*;
pub use session::*;
