//! Every PDA seed prefix of the registry, in one place.

/// `["network"]`: the singleton `NetworkConfig`.
pub const NETWORK: &[u8] = b"network";
/// `["device", owner, device_id as u64 little-endian]`: a `Device`.
pub const DEVICE: &[u8] = b"device";
