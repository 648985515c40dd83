use anchor_lang::prelude::*;

/// One specific error per failed check.
#[error_code]
pub enum RegistryError {
    #[msg("signer is not the program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("program data account does not belong to this program")]
    WrongProgramData,
    #[msg("signer is not the network admin")]
    NotAdmin,
    #[msg("signer is not the pending admin")]
    NotPendingAdmin,
    #[msg("no admin transfer is pending")]
    NoPendingAdmin,
    #[msg("a fee exceeds 10,000 basis points")]
    FeeTooHigh,
    #[msg("epoch length must be between 1 second and 30 days")]
    InvalidEpochLength,
    #[msg("payment and stake mints must differ")]
    SameMints,
    #[msg("treasury must not be the default public key")]
    InvalidTreasury,
    #[msg("too many verifiers")]
    TooManyVerifiers,
    #[msg("verifier listed twice")]
    DuplicateVerifier,
    #[msg("verifier must not be the default public key")]
    InvalidVerifier,
    #[msg("verifier quorum exceeds the number of verifiers")]
    QuorumTooHigh,
    #[msg("the new admin must not be the default public key")]
    InvalidAdmin,
    #[msg("update changes nothing")]
    EmptyUpdate,
    #[msg("arithmetic overflow")]
    Overflow,
}
