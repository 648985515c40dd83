//! Integer arithmetic shared by the gpunet programs and the sdk.

/// `a × b / c` rounded down, or `None` when `c` is zero or the result exceeds u64.
///
/// On SBF a 128-bit division is a software loop of a few thousand compute units, while
/// the product of two amounts nearly always fits in 64 bits: that case divides in 64 bits,
/// the rest falls back to 128.
pub fn mul_div(a: u64, b: u64, c: u64) -> Option<u64> {
    if c == 0 {
        return None;
    }
    match a.checked_mul(b) {
        Some(product) => Some(product / c),
        None => u64::try_from(u128::from(a) * u128::from(b) / u128::from(c)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_paths_round_down_and_overflow_is_none() {
        assert_eq!(mul_div(7, 3, 2), Some(10));
        assert_eq!(
            mul_div(u64::MAX, 3, 4),
            Some((u128::from(u64::MAX) * 3 / 4) as u64)
        );
        assert_eq!(mul_div(u64::MAX, u64::MAX, u64::MAX), Some(u64::MAX));
        assert_eq!(mul_div(u64::MAX, 2, 1), None);
        assert_eq!(mul_div(1, 1, 0), None);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b, c) = (
                x >> (x % 64),
                x.rotate_left(17) >> (x % 61),
                (x >> 40).max(1),
            );
            let exact = u128::from(a) * u128::from(b) / u128::from(c);
            assert_eq!(mul_div(a, b, c), u64::try_from(exact).ok());
        }
    }
}
