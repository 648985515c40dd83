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
use gpunet_sdk::GpunetAccount;

pub use escrow::{HireRow, LeaseRow};
pub use proof::{ModelRow, SessionRow};
pub use registry::{DeviceRow, NetworkRow};
pub use staking::{EpochRewardsRow, SlashRow, StakeRow, StakingConfigRow};

use crate::store::rows::{AccountRow, StoreError, key};

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
    let mut network = Vec::new();
    let mut devices = Vec::new();
    let mut staking_config = Vec::new();
    let mut stakes = Vec::new();
    let mut epoch_rewards = Vec::new();
    let mut slashes = Vec::new();
    let mut leases = Vec::new();
    let mut hires = Vec::new();
    let mut models = Vec::new();
    let mut sessions = Vec::new();
    for &row in rows {
        // An account that does not decode keeps its raw row and has no projection.
        let Some(account) = row.decoded() else {
            continue;
        };
        match account {
            GpunetAccount::NetworkConfig(n) => network.push(NetworkRow::of(row, n)?),
            GpunetAccount::Device(d) => devices.push(DeviceRow::of(row, d)?),
            GpunetAccount::StakingConfig(c) => staking_config.push(StakingConfigRow::of(row, c)?),
            GpunetAccount::StakeAccount(s) => stakes.push(StakeRow::of(row, s)?),
            GpunetAccount::EpochRewards(e) => epoch_rewards.push(EpochRewardsRow::of(row, e)?),
            GpunetAccount::Slash(s) => slashes.push(SlashRow::of(row, s)?),
            GpunetAccount::Lease(l) => leases.push(LeaseRow::of(row, l)?),
            GpunetAccount::Hire(h) => hires.push(HireRow::of(row, h)?),
            GpunetAccount::Model(m) => models.push(ModelRow::of(row, m)?),
            GpunetAccount::Session(s) => sessions.push(SessionRow::of(row, s)?),
            // Kept as raw rows only: nothing reads them decoded.
            GpunetAccount::DeviceLock(_)
            | GpunetAccount::SessionPayee(_)
            | GpunetAccount::ReceiptLog(_) => {}
        }
    }
    macro_rules! project {
        ($($table:ident),+) => {{
            let mut written = 0;
            $(
                if !$table.is_empty() {
                    written += replace_rows!(conn, $table, &$table);
                }
            )+
            written
        }};
    }
    Ok(project!(
        network,
        devices,
        staking_config,
        stakes,
        epoch_rewards,
        slashes,
        leases,
        hires,
        models,
        sessions
    ))
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
