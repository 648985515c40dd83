use anchor_lang::prelude::*;

/// One specific error per failed check.
#[error_code]
pub enum EscrowError {
    #[msg("the network is paused")]
    NetworkPaused,
    #[msg("lease name must be 1 to 32 bytes")]
    InvalidName,
    #[msg("maximum price must be positive")]
    InvalidMaxPrice,
    #[msg("mint is not the network's payment mint")]
    WrongPaymentMint,
    #[msg("signer is not the renter of this lease")]
    NotRenter,
    #[msg("the lease is terminated")]
    LeaseTerminated,
    #[msg("the device is not active")]
    DeviceNotActive,
    #[msg("the device's price is above the lease's maximum")]
    PriceAboveMax,
    #[msg("a hire must cover at least one epoch")]
    ZeroEpochs,
    #[msg("the epoch price rounds to zero")]
    ZeroEpochPrice,
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("no epoch of this hire can be settled yet")]
    NothingToSettle,
    #[msg("the hire has been released")]
    HireReleased,
    #[msg("the hire has ended")]
    HireEnded,
    #[msg("only the renter can release a running hire of an active lease")]
    ReleaseNotAllowed,
    #[msg("the hire still has epochs to settle or is not released")]
    HireNotSettled,
    #[msg("the lease still has hires")]
    LeaseHasHires,
    #[msg("account does not belong to this lease or hire")]
    WrongAccount,
    #[msg("the device's stake is below its minimum")]
    BelowMinimumStake,
    #[msg("job must be empty or `cmd:...` / `image:...`, at most 128 bytes")]
    InvalidJob,
}
