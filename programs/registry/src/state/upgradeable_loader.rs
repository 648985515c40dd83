//! Reading the upgradeable loader's account headers without bincode.
//!
//! Anchor's `Account<ProgramData>` and `Program::programdata_address` decode these with
//! bincode + serde, whose error formatting carries floating-point code that the offline
//! SBF toolchain cannot compile (docs/toolchain.md). The layouts are fixed and tiny:
//!   Program:     u32 variant = 2, programdata address (32 bytes)
//!   ProgramData: u32 variant = 3, u64 slot, Option<Pubkey> upgrade authority (1 + 32 bytes)

use std::ops::Range;

use anchor_lang::prelude::*;

use crate::errors::RegistryError;

const PROGRAM_VARIANT: u32 = 2;
const PROGRAM_DATA_VARIANT: u32 = 3;
/// Program account: the program-data address.
const PROGRAMDATA_ADDRESS: Range<usize> = 4..36;
/// Program-data account: the `Option` tag of the upgrade authority (0 none, 1 some)...
pub const AUTHORITY_TAG_OFFSET: usize = 12;
/// ...and the authority itself when the tag is 1.
pub const AUTHORITY: Range<usize> = 13..45;

/// The upgradeable loader (BPF loader v3).
pub const LOADER_ID: Pubkey = anchor_lang::solana_program::bpf_loader_upgradeable::ID;

/// Length of a program-data header; the ELF follows it.
pub const PROGRAM_DATA_HEADER_LEN: usize = 45;

/// A program account's data: it points at its program-data account.
pub fn program_account(programdata_address: &Pubkey) -> Vec<u8> {
    let mut data = vec![0u8; PROGRAMDATA_ADDRESS.end];
    data[..4].copy_from_slice(&PROGRAM_VARIANT.to_le_bytes());
    data[PROGRAMDATA_ADDRESS].copy_from_slice(programdata_address.as_ref());
    data
}

/// A program-data header (deployed at slot 0) with `authority` as upgrade authority.
pub fn program_data_header(authority: Option<Pubkey>) -> Vec<u8> {
    let mut data = vec![0u8; PROGRAM_DATA_HEADER_LEN];
    data[..4].copy_from_slice(&PROGRAM_DATA_VARIANT.to_le_bytes());
    set_upgrade_authority(&mut data, authority);
    data
}

fn variant(data: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(0..4)?.try_into().ok()?))
}

/// The program-data address recorded in an upgradeable program account.
pub fn programdata_address(program_account_data: &[u8]) -> Result<Pubkey> {
    require!(
        variant(program_account_data) == Some(PROGRAM_VARIANT),
        RegistryError::WrongProgramData
    );
    let bytes: [u8; 32] = program_account_data
        .get(PROGRAMDATA_ADDRESS)
        .and_then(|b| b.try_into().ok())
        .ok_or(RegistryError::WrongProgramData)?;
    Ok(Pubkey::new_from_array(bytes))
}

/// The upgrade authority recorded in a program-data account (`None`: immutable).
pub fn upgrade_authority(program_data: &[u8]) -> Result<Option<Pubkey>> {
    require!(
        variant(program_data) == Some(PROGRAM_DATA_VARIANT),
        RegistryError::WrongProgramData
    );
    match program_data.get(AUTHORITY_TAG_OFFSET) {
        Some(0) => Ok(None),
        Some(1) => {
            let bytes: [u8; 32] = program_data
                .get(AUTHORITY)
                .and_then(|b| b.try_into().ok())
                .ok_or(RegistryError::WrongProgramData)?;
            Ok(Some(Pubkey::new_from_array(bytes)))
        }
        _ => err!(RegistryError::WrongProgramData),
    }
}

/// Writes the upgrade authority into a program-data header: the inverse of
/// [`upgrade_authority`], for tools and tests that prepare program accounts. Panics if
/// `program_data` is shorter than the 45-byte header.
pub fn set_upgrade_authority(program_data: &mut [u8], authority: Option<Pubkey>) {
    match authority {
        Some(key) => {
            program_data[AUTHORITY_TAG_OFFSET] = 1;
            program_data[AUTHORITY].copy_from_slice(key.as_ref());
        }
        None => program_data[AUTHORITY_TAG_OFFSET] = 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_headers_read_back() {
        let data = Pubkey::new_unique();
        assert_eq!(programdata_address(&program_account(&data)).unwrap(), data);
        let authority = Pubkey::new_unique();
        let header = program_data_header(Some(authority));
        assert_eq!(header.len(), PROGRAM_DATA_HEADER_LEN);
        assert_eq!(upgrade_authority(&header).unwrap(), Some(authority));
        assert_eq!(upgrade_authority(&program_data_header(None)).unwrap(), None);
    }

    fn program_data(authority: Option<Pubkey>) -> Vec<u8> {
        let mut data = vec![3, 0, 0, 0];
        data.extend_from_slice(&42u64.to_le_bytes());
        match authority {
            Some(key) => {
                data.push(1);
                data.extend_from_slice(key.as_ref());
            }
            // The header is always 45 bytes: the authority slot stays, zeroed.
            None => data.extend_from_slice(&[0; 33]),
        }
        data.extend_from_slice(&[0x7f; 16]); // the ELF follows
        data
    }

    #[test]
    fn reads_the_upgrade_authority() {
        let key = Pubkey::new_unique();
        assert_eq!(
            upgrade_authority(&program_data(Some(key))).unwrap(),
            Some(key)
        );
        assert_eq!(upgrade_authority(&program_data(None)).unwrap(), None);
    }

    #[test]
    fn set_upgrade_authority_is_read_back() {
        let key = Pubkey::new_unique();
        let mut data = program_data(None);
        set_upgrade_authority(&mut data, Some(key));
        assert_eq!(upgrade_authority(&data).unwrap(), Some(key));
        set_upgrade_authority(&mut data, None);
        assert_eq!(upgrade_authority(&data).unwrap(), None);
    }

    #[test]
    fn rejects_other_layouts() {
        let key = Pubkey::new_unique();
        let mut wrong_variant = program_data(Some(key));
        wrong_variant[0] = 2;
        assert!(upgrade_authority(&wrong_variant).is_err());
        assert!(upgrade_authority(&program_data(Some(key))[..20]).is_err());
        let mut bad_tag = program_data(Some(key));
        bad_tag[12] = 2;
        assert!(upgrade_authority(&bad_tag).is_err());
        assert!(upgrade_authority(&[]).is_err());
    }

    #[test]
    fn reads_the_programdata_address() {
        let key = Pubkey::new_unique();
        let mut data = vec![2, 0, 0, 0];
        data.extend_from_slice(key.as_ref());
        assert_eq!(programdata_address(&data).unwrap(), key);
        data[0] = 3;
        assert!(programdata_address(&data).is_err());
        assert!(programdata_address(&[2, 0, 0, 0, 1]).is_err());
    }
}
