//! What every table group's writer shares: the account row, the store's error, and the
//! conversions of chain integers and keys to column values.

use diesel::prelude::*;
use gpunet_sdk::{GpunetAccount, Pubkey};

use crate::schema::accounts;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("PostgreSQL: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations: {0}")]
    Migrations(String),
    #[error("{field} {value} does not fit its PostgreSQL column")]
    OutOfRange { field: &'static str, value: u64 },
}

/// One account's state as delivered by Geyser.
#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub pubkey: Vec<u8>,
    pub owner: Vec<u8>,
    pub kind: String,
    pub slot: i64,
    pub write_version: i64,
    pub lamports: i64,
    pub data: Vec<u8>,
    pub txn_signature: Option<Vec<u8>>,
}

impl AccountRow {
    /// The gpunet account this row holds (`None` when it is none of them or does not
    /// decode).
    pub fn decoded(&self) -> Option<GpunetAccount> {
        decoded(&self.owner, &self.data)
    }
}

/// The account of `owner` (32 bytes) holding `data`, when it is one of ours.
fn decoded(owner: &[u8], data: &[u8]) -> Option<GpunetAccount> {
    GpunetAccount::decode(&Pubkey::try_from(owner).ok()?, data)
}

/// The `kind` column of an account of `owner` (32 bytes) holding `data`: the name of its
/// type, or `unknown` when it is none of ours.
pub fn kind(owner: &[u8], data: &[u8]) -> String {
    decoded(owner, data)
        .map_or("unknown", |account| account.name())
        .to_string()
}

/// A 32-byte key as a BYTEA column value.
pub fn key(k: &Pubkey) -> Vec<u8> {
    k.to_bytes().to_vec()
}

/// A u32 from the chain as an INTEGER.
pub fn int(field: &'static str, value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::OutOfRange {
        field,
        value: value.into(),
    })
}

/// A u64 from the chain as a BIGINT.
pub fn bigint(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}
