//! Token amounts as users type them: an integer is in base units (what the chain
//! stores), a number with a decimal point is in whole tokens and is scaled by the mint's
//! decimals, so `1500000` and `1.5` are the same USDC amount.

use std::fmt;
use std::str::FromStr;

/// An amount as typed, resolved against a mint's decimals by [`Amount::base_units`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    /// `1500000`: base units.
    Base(u64),
    /// `1.5`: whole tokens (integer part and fraction digits as typed).
    Decimal { whole: u64, fraction: String },
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().replace('_', "");
        let invalid = || {
            format!(
                "`{s}` is not an amount: use base units (e.g. 1500000) or whole tokens with a \
                 decimal point (e.g. 1.5)"
            )
        };
        match s.split_once('.') {
            None => s.parse().map(Amount::Base).map_err(|_| invalid()),
            Some((whole, fraction)) => {
                let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
                if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty())
                {
                    return Err(invalid());
                }
                let whole = if whole.is_empty() {
                    0
                } else {
                    whole.parse().map_err(|_| invalid())?
                };
                Ok(Amount::Decimal {
                    whole,
                    fraction: fraction.to_string(),
                })
            }
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Base(units) => write!(f, "{units}"),
            Amount::Decimal { whole, fraction } => write!(f, "{whole}.{fraction}"),
        }
    }
}

impl Amount {
    /// The amount in base units of a mint with `decimals`; refuses more fraction digits
    /// than the mint has (they would be silently lost) and overflow.
    pub fn base_units(&self, decimals: u8) -> Result<u64, String> {
        match self {
            Amount::Base(units) => Ok(*units),
            Amount::Decimal { whole, fraction } => {
                let places = usize::from(decimals);
                let fraction = fraction.trim_end_matches('0');
                if fraction.len() > places {
                    return Err(format!(
                        "{self} has more than {decimals} decimal places, the mint's precision"
                    ));
                }
                let scale = 10u64.pow(u32::from(decimals));
                let padded = format!("{fraction:0<places$}");
                let fraction: u64 = if padded.is_empty() {
                    0
                } else {
                    padded.parse().map_err(|_| format!("{self} is too large"))?
                };
                whole
                    .checked_mul(scale)
                    .and_then(|w| w.checked_add(fraction))
                    .ok_or_else(|| format!("{self} is too large"))
            }
        }
    }
}

/// `units` base units of a mint with `decimals`, as a decimal string ("1.5").
pub fn format_units(units: u64, decimals: u8) -> String {
    let scale = 10u64.pow(u32::from(decimals));
    let (whole, fraction) = (units / scale, units % scale);
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
    fn integers_are_base_units_and_decimals_are_whole_tokens() {
        assert_eq!(units("1500000", 6), Ok(1_500_000));
        assert_eq!(units("1.5", 6), Ok(1_500_000));
        assert_eq!(units("0.000001", 6), Ok(1));
        assert_eq!(units(".25", 6), Ok(250_000));
        assert_eq!(units("200.", 9), Ok(200_000_000_000));
        assert_eq!(units("1_000.0", 6), Ok(1_000_000_000));
    }

    #[test]
    fn precision_loss_overflow_and_garbage_are_refused() {
        assert!(
            units("0.0000001", 6)
                .unwrap_err()
                .contains("6 decimal places")
        );
        assert!(
            units("18446744073709551615.0", 6)
                .unwrap_err()
                .contains("too large")
        );
        assert!("1,5".parse::<Amount>().is_err());
        assert!("-1".parse::<Amount>().is_err());
        assert!(".".parse::<Amount>().is_err());
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_units(1_500_000, 6), "1.5");
        assert_eq!(format_units(2_000_000, 6), "2");
        assert_eq!(format_units(1, 6), "0.000001");
    }
}
