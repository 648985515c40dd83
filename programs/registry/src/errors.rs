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
    #[msg("the network is paused")]
    NetworkPaused,
    #[msg("GPU count must be between 1 and 1,024")]
    InvalidGpuCount,
    #[msg("country must be two upper-case ASCII letters")]
    InvalidCountry,
    #[msg("price per GPU-hour must be positive")]
    InvalidPrice,
    #[msg("the agent key must differ from the owner and from the default key")]
    InvalidAgent,
    #[msg("signer is not the device owner")]
    NotDeviceOwner,
    #[msg("signer is not the device's agent key")]
    NotDeviceAgent,
    #[msg("the device is retired")]
    DeviceRetired,
    #[msg("the device already has this status")]
    StatusUnchanged,
    #[msg("only the current or the previous epoch can be attested")]
    EpochNotAttestable,
    #[msg("this epoch is already attested")]
    AlreadyAttested,
    #[msg("uptime must be positive and at most the epoch length")]
    InvalidUptime,
    #[msg("not enough verifier signatures over this attestation")]
    VerifierQuorumNotMet,
    #[msg("account is not the instructions sysvar")]
    WrongInstructionsSysvar,
    #[msg("instructions sysvar data is malformed")]
    MalformedInstructions,
}

impl From<common::ed25519::SignatureError> for RegistryError {
    fn from(e: common::ed25519::SignatureError) -> Self {
        use common::ed25519::SignatureError as S;
        match e {
            S::WrongInstructionsSysvar => RegistryError::WrongInstructionsSysvar,
            S::MalformedInstructions => RegistryError::MalformedInstructions,
        }
    }
}
