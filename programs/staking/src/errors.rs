use anchor_lang::prelude::*;

/// One specific error per failed check.
#[error_code]
pub enum StakingError {
    #[msg("signer is not the network admin")]
    NotAdmin,
    #[msg("signer is not the device owner")]
    NotDeviceOwner,
    #[msg("signer is not the device's agent key")]
    NotDeviceAgent,
    #[msg("too many hardware multipliers")]
    TooManyMultipliers,
    #[msg("a GPU model has two multipliers")]
    DuplicateMultiplier,
    #[msg("multipliers must be positive")]
    InvalidMultiplier,
    #[msg("the challenge window must be positive and shorter than the cooldown")]
    InvalidWindows,
    #[msg("a rate exceeds 10,000 basis points")]
    RateTooHigh,
    #[msg("the emission schedule is invalid")]
    InvalidEmission,
    #[msg("the escrow authority must not be the default key")]
    InvalidEscrowAuthority,
    #[msg("amount must be positive")]
    ZeroAmount,
    #[msg("amount exceeds the active stake")]
    InsufficientStake,
    #[msg("nothing is cooling down")]
    NothingToWithdraw,
    #[msg("the cooldown has not ended")]
    CooldownNotOver,
    #[msg("a slash is pending against this stake")]
    SlashPending,
    #[msg("the device did not attest this epoch")]
    EpochNotAttested,
    #[msg("weights for this epoch can no longer be registered")]
    RegistrationClosed,
    #[msg("this epoch's weight is already registered")]
    WeightAlreadyRegistered,
    #[msg("too many unclaimed epochs; claim first")]
    TooManyPending,
    #[msg("the device's stake is below its minimum")]
    BelowMinimumStake,
    #[msg("no final epoch to claim")]
    NothingToClaim,
    #[msg("account is not this epoch's rewards account")]
    WrongEpochRewards,
    #[msg("signer is not the escrow's slashing authority")]
    NotEscrowAuthority,
    #[msg("not enough verifier signatures over this slash")]
    VerifierQuorumNotMet,
    #[msg("the network requires no verifiers: fraud slashes are disabled")]
    NoVerifiers,
    #[msg("the slash is not pending")]
    SlashNotPending,
    #[msg("the challenge window has closed")]
    ChallengeWindowClosed,
    #[msg("the challenge window is still open")]
    ChallengeWindowOpen,
    #[msg("account does not belong to this stake or slash")]
    WrongAccount,
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("account is not the instructions sysvar")]
    WrongInstructionsSysvar,
    #[msg("instructions sysvar data is malformed")]
    MalformedInstructions,
}

impl From<common::ed25519::SignatureError> for StakingError {
    fn from(e: common::ed25519::SignatureError) -> Self {
        use common::ed25519::SignatureError as S;
        match e {
            S::WrongInstructionsSysvar => StakingError::WrongInstructionsSysvar,
            S::MalformedInstructions => StakingError::MalformedInstructions,
        }
    }
}
