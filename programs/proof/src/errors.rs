use anchor_lang::prelude::*;

/// One specific error per failed check.
#[error_code]
pub enum ProofError {
    #[msg("royalty exceeds 10,000 basis points")]
    RoyaltyTooHigh,
    #[msg("metadata URI is longer than 128 bytes")]
    UriTooLong,
    #[msg("update changes nothing")]
    EmptyUpdate,
    #[msg("signer is not the model owner")]
    NotModelOwner,
    #[msg("signer is not the consumer of this session")]
    NotConsumer,
    #[msg("the authorising key must not be the default key")]
    InvalidAuthorizer,
    #[msg("amount must be positive")]
    ZeroAmount,
    #[msg("the session is closing or closed")]
    SessionClosing,
    #[msg("the session's close notice has not passed")]
    CloseNoticePending,
    #[msg("close the session with request_close_session first")]
    CloseNotRequested,
    #[msg("signer is not the device's agent key")]
    NotDeviceAgent,
    #[msg("a batch holds 1 to 32 records")]
    InvalidBatchSize,
    #[msg("the batch does not continue the device's receipt sequence")]
    SeqMismatch,
    #[msg("a receipt is timestamped in the future")]
    FutureTimestamp,
    #[msg("no consumer voucher covers this amount")]
    VoucherMissing,
    #[msg("royalty and network fee exceed the amount")]
    FeesExceedAmount,
    #[msg("the model's price or royalty or the network fee differs from the batch's terms")]
    TermsChanged,
    #[msg("the hire is not active for this device")]
    HireNotActive,
    #[msg("account does not belong to this session, model or device")]
    WrongAccount,
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("account is not the instructions sysvar")]
    WrongInstructionsSysvar,
    #[msg("instructions sysvar data is malformed")]
    MalformedInstructions,
}

impl From<common::ed25519::SignatureError> for ProofError {
    fn from(e: common::ed25519::SignatureError) -> Self {
        use common::ed25519::SignatureError as S;
        match e {
            S::WrongInstructionsSysvar => ProofError::WrongInstructionsSysvar,
            S::MalformedInstructions => ProofError::MalformedInstructions,
        }
    }
}
