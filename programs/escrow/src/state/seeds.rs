//! Every PDA seed prefix of the escrow, in one place.

/// `["lease", renter, lease_id as u64 little-endian]`: a `Lease` (a cluster).
pub const LEASE: &[u8] = b"lease";
/// `["vault", lease]`: the lease's token account, owned by the lease PDA.
pub const VAULT: &[u8] = b"vault";
/// `["hire", lease, device]`: one device bound to a lease.
pub const HIRE: &[u8] = b"hire";
/// `["lock", device]`: exists while a device is bound, so it is never double-booked.
pub const LOCK: &[u8] = b"lock";
/// `["slasher"]`: signs escrow's slash proposals to the staking program (registered there
/// as `escrow_authority`).
pub const SLASHER: &[u8] = b"slasher";
