pub mod model;
pub mod receipts;
pub mod seeds;
pub mod session;

pub use model::*;
pub use receipts::*;
pub use session::*;
