//! Keypair files in the Solana CLI's format: a JSON array of the 64 secret and public
//! bytes. Errors name the file and say what is wrong with it.

use std::path::Path;

use solana_keypair::Keypair;

/// Reads the keypair at `path`. `hint` is appended when the file does not exist (e.g.
/// which command creates one).
pub fn read(path: &Path, hint: &str) -> Result<Keypair, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            hint
        } else {
            ""
        };
        format!("cannot read keypair file {}: {e}{hint}", path.display())
    })?;
    parse(&text).map_err(|why| {
        format!(
            "keypair file {} is malformed: {why} (expected a JSON array of 64 bytes, as \
             `gpunet keygen`, `gpunet-agent init` or `solana-keygen` write)",
            path.display()
        )
    })
}

/// Parses the JSON array of a keypair file.
pub fn parse(text: &str) -> Result<Keypair, String> {
    let bytes: Vec<u8> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{} bytes", b.len()))?;
    Keypair::try_from(&bytes[..]).map_err(|e| e.to_string())
}

/// Writes `keypair` to `path` (creating parent directories), readable by the owner only.
/// The file is written under a temporary name and renamed, so a crash never leaves half a
/// key behind.
pub fn write(keypair: &Keypair, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string(&keypair.to_bytes().to_vec()).expect("bytes serialise");
    let partial = path.with_extension("partial");
    std::fs::write(&partial, json)
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    restrict_to_owner(&partial)?;
    std::fs::rename(&partial, path).map_err(|e| {
        format!(
            "cannot move {} to {}: {e}",
            partial.display(),
            path.display()
        )
    })
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use solana_signer::Signer;

    use super::*;

    #[test]
    fn a_written_keypair_reads_back_and_is_private() {
        let dir = std::env::temp_dir().join(format!("gpunet-keyfile-{}", std::process::id()));
        let path = dir.join("nested/key.json");
        let key = Keypair::new();
        write(&key, &path).unwrap();
        assert_eq!(read(&path, "").unwrap().pubkey(), key.pubkey());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!path.with_extension("partial").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn malformed_files_are_refused_with_the_reason() {
        assert!(parse("[1,2,3]").unwrap_err().contains("3 bytes"));
        assert!(parse("not json").is_err());
        let missing = read(Path::new("/nonexistent/key.json"), " (run init)").unwrap_err();
        assert!(missing.contains("/nonexistent/key.json") && missing.ends_with(" (run init)"));
    }
}
