//! The proof program's accounts: models and inference sessions (receipts come from
//! transactions, see `receipts`).

use diesel::prelude::*;
use gpunet_sdk::proof::{Model, Session};

use super::key;
use crate::schema::{models, sessions};
use crate::store::rows::{AccountRow, StoreError, bigint};

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = models, treat_none_as_default_value = false)]
pub struct ModelRow {
    pub address: Vec<u8>,
    pub owner: Vec<u8>,
    pub model_id: i64,
    pub royalty_bps: i32,
    pub price_per_unit: i64,
    pub metadata_uri: String,
    pub metadata_hash: Vec<u8>,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl ModelRow {
    pub fn of(account: &AccountRow, m: Model) -> Result<Self, StoreError> {
        Ok(ModelRow {
            address: account.pubkey.clone(),
            owner: key(&m.owner),
            model_id: bigint("model_id", m.model_id)?,
            royalty_bps: m.royalty_bps.into(),
            price_per_unit: bigint("price_per_unit", m.price_per_unit)?,
            metadata_uri: m.metadata_uri,
            metadata_hash: m.metadata_hash.to_vec(),
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
pub struct SessionRow {
    pub address: Vec<u8>,
    pub consumer: Vec<u8>,
    pub session_id: i64,
    pub model: Vec<u8>,
    pub authorizer: Vec<u8>,
    pub payment_mint: Vec<u8>,
    pub vault: Vec<u8>,
    pub deposited: i64,
    pub spent: i64,
    pub closing_at: Option<i64>,
    pub slot: i64,
    pub write_version: i64,
    pub closed_slot: Option<i64>,
}

impl SessionRow {
    pub fn of(account: &AccountRow, s: Session) -> Result<Self, StoreError> {
        Ok(SessionRow {
            address: account.pubkey.clone(),
            consumer: key(&s.consumer),
            session_id: bigint("session_id", s.session_id)?,
            model: key(&s.model),
            authorizer: key(&s.authorizer),
            payment_mint: key(&s.payment_mint),
            vault: key(&s.vault),
            deposited: bigint("deposited", s.deposited)?,
            spent: bigint("spent", s.spent)?,
            closing_at: s.closing_at,
            slot: account.slot,
            write_version: account.write_version,
            closed_slot: None,
        })
    }
}
