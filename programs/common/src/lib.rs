//! What the gpunet programs share, as a plain library (no entrypoint, no accounts, no
//! errors of its own): each program links it and maps its refusals to its own error codes,
//! so an error a program returns is always one of that program's.
//!
//! - [`math`]: checked `a × b / c`, cheap on SBF.
//! - [`tokens`]: the one token transfer the programs make (`transfer_checked`).
//! - [`ed25519`]: which keys signed which messages in the transaction's ed25519-program
//!   instructions (read through the instructions sysvar).
//! - [`epoch`]: the epoch of a time and the start of an epoch, from an anchor epoch.
//! - [`security_txt!`]: the contact a program binary carries (SECURITY.md).

pub mod ed25519;
pub mod epoch;
pub mod math;
pub mod tokens;

#[doc(hidden)]
pub use solana_security_txt;

/// Embeds the project's `security.txt` in a program binary (explorers and
/// `solana-security-txt`'s parser find it there), naming the program. Each program calls it
/// once, outside `no-entrypoint` builds; SECURITY.md says how reports are handled. A
/// deployment of gpunet by another party changes these contacts to its own.
#[macro_export]
macro_rules! security_txt {
    ($name:literal) => {
        #[cfg(not(feature = "no-entrypoint"))]
        $crate::solana_security_txt::security_txt! {
            name: $name,
            project_url: "https://github.com/gpunet/gpunet",
            contacts: "link:https://github.com/gpunet/gpunet/security/advisories/new",
            policy: "https://github.com/gpunet/gpunet/blob/main/SECURITY.md",
            source_code: "https://github.com/gpunet/gpunet"
        }
    };
}
