pub mod model;
pub mod receipt_log;
pub mod receipts;
pub mod seeds;
pub mod session;
pub mod session_payee;

pub use model::*;
pub use receipt_log::*;
pub use receipts::*;
pub use session::*;
pub use session_payee::*;
