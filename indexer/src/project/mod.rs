//! Decoded tables ("projections") of the stored accounts, one per account type, written in
//! the same transaction as the account rows and guarded by the same (slot, write_version),
//! so a projection is never newer or older than the account it comes from.

mod escrow;
mod proof;
mod registry;
mod staking;

use diesel::pg::PgConnection;
use diesel::prelude::*;

pub use escrow::{HireRow, LeaseRow};
pub use proof::{ModelRow, SessionRow};
pub use registry::{DeviceRow, NetworkRow};
pub use staking::{EpochRewardsRow, SlashRow, StakeRow, StakingConfigRow};

use crate::store::{AccountRow, StoreError};

/// `INSERT ... ON CONFLICT (address) DO UPDATE ... WHERE` the stored (slot, write_version)
/// is older than the new row's: a replayed or late update never overwrites newer state.
macro_rules! upsert_newer {
    ($conn:expr, $table:ident, $row:expr) => {{
        use crate::schema::$table;
        let upsert = diesel::insert_into($table::table)
            .values($row)
            .on_conflict($table::address)
            .do_update()
            .set($row);
        let newer = diesel::dsl::sql::<diesel::sql_types::Bool>(concat!(
            "(",
            stringify!($table),
            ".slot, ",
            stringify!($table),
            ".write_version) < (excluded.slot, excluded.write_version)"
        ));
        diesel::query_dsl::methods::FilterDsl::filter(upsert, newer).execute($conn)?
    }};
}

/// Marks `address` closed at `slot` in every projection that keeps closed accounts, unless
/// a newer state (a re-created account) is stored.
macro_rules! mark_closed {
    ($conn:expr, $address:expr, $slot:expr, $($table:ident),+) => {{
        let mut marked = 0;
        $(
            use crate::schema::$table;
            marked += diesel::update(
                $table::table
                    .filter($table::address.eq($address))
                    .filter($table::slot.le($slot)),
            )
            .set($table::closed_slot.eq($slot))
            .execute($conn)?;
        )+
        marked
    }};
}

/// Writes the projections of `rows` (inside the caller's transaction). Returns how many
/// projection rows were inserted or replaced.
pub fn write(conn: &mut PgConnection, rows: &[&AccountRow]) -> Result<usize, StoreError> {
    let mut written = 0;
    for row in rows {
        macro_rules! project {
            ($row:ident, $table:ident) => {
                match $row::of(*row)? {
                    Some(r) => upsert_newer!(conn, $table, &r),
                    None => 0,
                }
            };
        }
        written += match row.kind.as_str() {
            "NetworkConfig" => project!(NetworkRow, network),
            "Device" => project!(DeviceRow, devices),
            "StakingConfig" => project!(StakingConfigRow, staking_config),
            "StakeAccount" => project!(StakeRow, stakes),
            "EpochRewards" => project!(EpochRewardsRow, epoch_rewards),
            "Slash" => project!(SlashRow, slashes),
            "Lease" => project!(LeaseRow, leases),
            "Hire" => project!(HireRow, hires),
            "Model" => project!(ModelRow, models),
            "Session" => project!(SessionRow, sessions),
            _ => 0,
        };
    }
    Ok(written)
}

/// Records that `address` was closed by a transaction of `slot`: its account row goes (with
/// the device projection, which follows it), and the other projections keep their last
/// state marked closed. Rows newer than `slot` (the account was re-created) stay.
pub fn close(conn: &mut PgConnection, address: &[u8], slot: i64) -> Result<usize, StoreError> {
    use crate::schema::accounts;
    let deleted = diesel::delete(
        accounts::table
            .filter(accounts::pubkey.eq(address))
            .filter(accounts::slot.le(slot)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Ok(0);
    }
    let marked = mark_closed!(
        conn,
        address,
        slot,
        network,
        staking_config,
        stakes,
        epoch_rewards,
        slashes,
        leases,
        hires,
        models,
        sessions
    );
    Ok(deleted + marked)
}

/// A 32-byte key as a column value.
fn key(k: &gpunet_sdk::Pubkey) -> Vec<u8> {
    k.to_bytes().to_vec()
}

/// Decodes `account` as `T` when it is of `kind` (`None` otherwise, or when it does not
/// decode: the raw row is kept either way).
fn decode<T: gpunet_sdk::AccountDeserialize>(account: &AccountRow, kind: &str) -> Option<T> {
    (account.kind == kind)
        .then(|| gpunet_sdk::decode_account::<T>(&account.data).ok())
        .flatten()
}
