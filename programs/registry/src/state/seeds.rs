//! Every PDA seed prefix of the registry, in one place.

/// `["network"]`: the singleton `NetworkConfig`.
pub const NETWORK: &[u8] = b"network";
