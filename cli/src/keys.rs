//! Keypair files (the Solana CLI's format: a JSON array of the 64 secret+public bytes),
//! with errors that name the file, and address parsing.

use std::path::{Path, PathBuf};

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::keyfile;
use solana_keypair::Keypair;

use crate::CliError;

/// `~/.config/solana/id.json`: where the Solana CLI keeps the default wallet, so a user
/// of both tools signs with the same key.
pub fn default_keypair_path() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    Path::new(&home).join(".config/solana/id.json")
}

/// Reads the keypair at `path`; the error says which file and what is wrong with it.
pub fn read_keypair(path: &Path) -> Result<Keypair, CliError> {
    keyfile::read(
        path,
        " (create one with `gpunet keygen`, or pass --keypair)",
    )
    .map_err(CliError)
}

/// Writes `keypair` to `path` (creating parent directories), readable by the owner only.
pub fn write_keypair(keypair: &Keypair, path: &Path) -> Result<(), CliError> {
    keyfile::write(keypair, path).map_err(CliError)
}

/// Parses a base58 address (for clap).
pub fn parse_pubkey(s: &str) -> Result<Pubkey, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a base58 address"))
}

/// A 32-byte value as 64 hex digits (digests, hashes).
pub fn parse_hash(s: &str) -> Result<[u8; 32], String> {
    let s = s.trim().trim_start_matches("0x");
    if s.len() != 64 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("`{s}` is not 64 hex digits"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use solana_signer::Signer;

    use super::*;

    #[test]
    fn a_written_keypair_reads_back() {
        let dir = std::env::temp_dir().join(format!("gpunet-keys-{}", std::process::id()));
        let path = dir.join("k.json");
        let keypair = Keypair::new();
        write_keypair(&keypair, &path).unwrap();
        assert_eq!(read_keypair(&path).unwrap().pubkey(), keypair.pubkey());
        std::fs::write(&path, "[1,2,3]").unwrap();
        let error = read_keypair(&path).unwrap_err().0;
        assert!(error.contains("malformed: 3 bytes"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = [0xab; 32];
        assert_eq!(parse_hash(&gpunet_sdk::hex(&hash)), Ok(hash));
        assert!(parse_hash("abc").is_err());
    }
}
