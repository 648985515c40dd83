// Each module holds one instruction: its accounts struct, checks and `handler`; the
// handlers are always called by path (`instructions::x::handler`), the glob is for
// Anchor's generated code.
#![allow(ambiguous_glob_reexports)]

pub mod cancel_slash;
pub mod claim_rewards;
pub mod finalize_slash;
pub mod initialize_staking;
pub mod propose_fraud_slash;
pub mod propose_missed_slash;
pub mod register_weight;
pub mod request_unstake;
pub mod stake;
pub mod update_staking;
pub mod withdraw;

pub use cancel_slash::*;
pub use claim_rewards::*;
pub use finalize_slash::*;
pub use initialize_staking::*;
pub use propose_fraud_slash::*;
pub use propose_missed_slash::*;
pub use register_weight::*;
pub use request_unstake::*;
pub use stake::*;
pub use update_staking::*;
pub use withdraw::*;
