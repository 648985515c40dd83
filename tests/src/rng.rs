//! A small deterministic generator for randomized tests: failures reproduce from the
//! seed printed by the test.

/// SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Seed from `GPUNET_TEST_SEED` if set, else `default`.
    pub fn from_env(default: u64) -> Self {
        let seed = std::env::var("GPUNET_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// A value biased towards the edges where arithmetic breaks: 0, 1, powers of two and
    /// their neighbours, all-ones, and the signed extremes.
    pub fn edgy_u64(&mut self) -> u64 {
        match self.below(8) {
            0 => [
                0,
                1,
                2,
                u64::MAX,
                u64::MAX - 1,
                i64::MAX as u64,
                i64::MIN as u64,
                u32::MAX as u64,
            ][self.below(8) as usize],
            1 => 1u64 << self.below(64),
            2 => (1u64 << self.below(64)).wrapping_sub(1),
            3 => self.next_u64() >> self.below(64),
            4 => self.next_u64() & 0xffff_ffff,
            _ => self.next_u64(),
        }
    }

    pub fn edgy_u128(&mut self) -> u128 {
        match self.below(6) {
            0 => [
                0,
                1,
                u128::MAX,
                i128::MAX as u128,
                i128::MIN as u128,
                u64::MAX as u128,
                1 << 64,
            ][self.below(7) as usize],
            1 => 1u128 << self.below(128),
            2 => u128::from(self.edgy_u64()),
            3 => (u128::from(self.edgy_u64()) << 64) | u128::from(self.edgy_u64()),
            4 => {
                (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())) >> self.below(128)
            }
            _ => u128::from(self.next_u64()) << 64 | u128::from(self.next_u64()),
        }
    }
}
