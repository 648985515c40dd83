pub mod epoch_rewards;
pub mod seeds;
pub mod slash;
pub mod stake_account;
pub mod staking_config;

pub use epoch_rewards::*;
pub use slash::*;
pub use stake_account::*;
pub use staking_config::*;
