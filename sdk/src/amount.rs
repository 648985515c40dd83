//! Token amounts as users type them, the way spl-token and the Solana CLI read them: a
//! number (with or without a decimal point) is in whole tokens and is scaled by the mint's
//! decimals; base units (what the chain stores) are written with a `u` suffix. So `1.5`
//! and `1500000u` are the same USDC amount, and `200` is 200 network tokens.

use std::fmt;
use std::str::FromStr;

/// An amount as typed, resolved against a mint's decimals by [`Amount::base_units`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    /// `1500000u`: base units.
    Base(u64),
    /// `1.5` or `200`: whole tokens (integer part and fraction digits as typed).
    Tokens { whole: u64, fraction: String },
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().replace('_', "");
        let invalid = || {
            format!(
                "`{s}` is not an amount: use whole tokens (e.g. 1.5 or 200) or base units with \
                 a `u` suffix (e.g. 1500000u)"
            )
        };
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if let Some(units) = s.strip_suffix('u') {
            if units.is_empty() || !digits(units) {
                return Err(invalid());
            }
            return units
                .parse()
                .map(Amount::Base)
                .map_err(|_| format!("`{s}` is too large: at most {}u", u64::MAX));
        }
        let (whole, fraction) = s.split_once('.').unwrap_or((&s, ""));
        if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
            return Err(invalid());
        }
        let whole = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| format!("`{s}` is too large"))?
        };
        Ok(Amount::Tokens {
            whole,
            fraction: fraction.to_string(),
        })
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Base(units) => write!(f, "{units}u"),
            Amount::Tokens { whole, fraction } if fraction.is_empty() => write!(f, "{whole}"),
            Amount::Tokens { whole, fraction } => write!(f, "{whole}.{fraction}"),
        }
    }
}

impl Amount {
    /// The amount in base units of a mint with `decimals`; refuses more fraction digits
    /// than the mint has (they would be silently lost) and overflow.
    pub fn base_units(&self, decimals: u8) -> Result<u64, String> {
        let (whole, fraction) = match self {
            Amount::Base(units) => return Ok(*units),
            Amount::Tokens { whole, fraction } => (*whole, fraction.trim_end_matches('0')),
        };
        let places = usize::from(decimals);
        if fraction.len() > places {
            return Err(format!(
                "{self} has more than {decimals} decimal places, the mint's precision"
            ));
        }
        let too_large = || format!("{self} is too large for a mint with {decimals} decimals");
        let padded = format!("{fraction:0<places$}");
        let fraction: u64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| too_large())?
        };
        if whole == 0 {
            return Ok(fraction);
        }
        // 10^decimals fits a u64 up to 19 decimals; beyond, any whole token is too large.
        let scale = 10u64
            .checked_pow(u32::from(decimals))
            .ok_or_else(too_large)?;
        whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(too_large)
    }
}

/// Base units of a mint whose decimals are known, with the name of its unit: what a
/// typed amount resolved to, echoed back as `1.5 USDC (1500000u)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAmount {
    pub units: u64,
    pub decimals: u8,
    /// "USDC", "network tokens", "SOL".
    pub unit: &'static str,
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = format_units(self.units, self.decimals);
        write!(f, "{whole} {} ({}u)", self.unit, self.units)
    }
}

/// `units` base units of a mint with `decimals`, as a decimal string ("1.5").
pub fn format_units(units: u64, decimals: u8) -> String {
    // Past 19 decimals the scale exceeds any u64: every amount is a fraction of a token.
    let (whole, fraction) = match 10u64.checked_pow(u32::from(decimals)) {
        Some(scale) => (units / scale, units % scale),
        None => (0, units),
    };
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0>width$}", width = usize::from(decimals));
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str, decimals: u8) -> Result<u64, String> {
        s.parse::<Amount>()?.base_units(decimals)
    }

    #[test]
    fn numbers_are_whole_tokens_and_a_u_suffix_means_base_units() {
        assert_eq!(units("200", 9), Ok(200_000_000_000));
        assert_eq!(units("1.5", 6), Ok(1_500_000));
        assert_eq!(units("1", 6), Ok(1_000_000));
        assert_eq!(units("0.000001", 6), Ok(1));
        assert_eq!(units(".25", 6), Ok(250_000));
        assert_eq!(units("200.", 9), Ok(200_000_000_000));
        assert_eq!(units("1_000.0", 6), Ok(1_000_000_000));
        assert_eq!(units("1500000u", 6), Ok(1_500_000));
        assert_eq!(units("1_500_000u", 9), Ok(1_500_000));
        assert_eq!(units("0u", 6), Ok(0));
        assert_eq!(units("7", 0), Ok(7));
    }

    #[test]
    fn precision_loss_overflow_and_garbage_are_refused() {
        assert!(
            units("0.0000001", 6)
                .unwrap_err()
                .contains("6 decimal places")
        );
        assert!(
            units("18446744073709551615", 6)
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            units("18446744073709551616u", 6)
                .unwrap_err()
                .contains("too large")
        );
        for garbage in ["1,5", "-1", ".", "1.5u", "u", "1u5", "1.2.3", "abc", ""] {
            assert!(garbage.parse::<Amount>().is_err(), "`{garbage}` parsed");
        }
    }

    #[test]
    fn mints_with_twenty_or_more_decimals_do_not_overflow() {
        // 10^20 does not fit a u64: a whole token of such a mint is too large ...
        assert!(units("1", 20).unwrap_err().contains("too large"));
        assert!(units("1", 255).unwrap_err().contains("too large"));
        // ... but its fractions and base units are amounts like any other.
        assert_eq!(units("0.00000000000000000001", 20), Ok(1));
        assert_eq!(units("5u", 30), Ok(5));
        assert_eq!(format_units(1, 20), "0.00000000000000000001");
        assert_eq!(format_units(0, 25), "0");
        assert_eq!(format_units(u64::MAX, 20), "0.18446744073709551615");
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_units(1_500_000, 6), "1.5");
        assert_eq!(format_units(2_000_000, 6), "2");
        assert_eq!(format_units(1, 6), "0.000001");
        assert_eq!(format_units(7, 0), "7");
    }

    #[test]
    fn resolved_amounts_echo_whole_tokens_and_base_units() {
        let amount = TokenAmount {
            units: units("200", 9).unwrap(),
            decimals: 9,
            unit: "network tokens",
        };
        assert_eq!(amount.to_string(), "200 network tokens (200000000000u)");
    }

    #[test]
    fn amounts_display_as_typed() {
        assert_eq!(
            "1500000u".parse::<Amount>().unwrap().to_string(),
            "1500000u"
        );
        assert_eq!("200".parse::<Amount>().unwrap().to_string(), "200");
        assert_eq!("1.50".parse::<Amount>().unwrap().to_string(), "1.50");
    }
}
