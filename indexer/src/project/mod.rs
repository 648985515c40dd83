//! Decoded tables ("projections") of the stored accounts, one per account type, written in
//! the same transaction as the account rows, for exactly the rows the account upsert's
//! (slot, write_version) guard let through: a projection is never newer or older than the
//! account it comes from.

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

use crate::store::{AccountRow, StoreError, key};

/// Replaces the stored rows of `$rows`' addresses in `$table` by `$rows`: one DELETE and
/// one binary `COPY`. Called only with accounts whose account row was just written (the
/// account upsert's guard decided they are newer), so a projection is exactly as new as its
/// account row.
macro_rules! replace_rows {
    ($conn:expr, $table:ident, $rows:expr) => {{
        use crate::schema::$table;
        let rows = $rows;
        let keys: Vec<&[u8]> = rows.iter().map(|r| r.address.as_slice()).collect();
        diesel::delete($table::table.filter($table::address.eq_any(keys))).execute($conn)?;
        diesel::copy_from($table::table)
            .from_insertable(rows)
            .execute($conn)?;
        rows.len()
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

/// Writes the projections of `rows` (inside the caller's transaction): the accounts whose
/// stored row was just replaced or inserted, one per address. Returns how many projection
/// rows were written.
pub fn write(conn: &mut PgConnection, rows: &[&AccountRow]) -> Result<usize, StoreError> {
    macro_rules! project {
        ($row:ident, $table:ident) => {{
            let decoded = rows
                .iter()
                .filter_map(|r| $row::of(r).transpose())
                .collect::<Result<Vec<_>, StoreError>>()?;
            if decoded.is_empty() {
                0
            } else {
                replace_rows!(conn, $table, &decoded)
            }
        }};
    }
    Ok(project!(NetworkRow, network)
        + project!(DeviceRow, devices)
        + project!(StakingConfigRow, staking_config)
        + project!(StakeRow, stakes)
        + project!(EpochRewardsRow, epoch_rewards)
        + project!(SlashRow, slashes)
        + project!(LeaseRow, leases)
        + project!(HireRow, hires)
        + project!(ModelRow, models)
        + project!(SessionRow, sessions))
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

/// Decodes `account` as `T` when it is of `kind` (`None` otherwise, or when it does not
/// decode: the raw row is kept either way).
fn decode<T: gpunet_sdk::AccountDeserialize>(account: &AccountRow, kind: &str) -> Option<T> {
    (account.kind == kind)
        .then(|| gpunet_sdk::decode_account::<T>(&account.data).ok())
        .flatten()
}
