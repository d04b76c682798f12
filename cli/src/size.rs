//! Human byte sizes for `--part-size` and `--threshold`: `64MiB`, `1GB`, `5G`, `1.5GiB`, `1048576`.
//!
//! A dozen lines of our own rather than a crate, because the meaning of each suffix is part of the
//! CLI contract and must be exact: like `dd`, a bare letter (`K`, `M`, `G`, `T`) and the IEC forms
//! (`KiB`, …) are powers of 1024; `KB`, `MB`, `GB`, `TB` are powers of 1000. `B` or no suffix means
//! bytes. A fraction is allowed when the result is a whole number of bytes.

/// Why a size did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// Not a number followed by an optional unit.
    #[error("'{0}' is not a size: write a number and an optional unit, e.g. 64MiB, 1GB, 5G or 1048576")]
    Malformed(String),
    /// The unit is not one of B, K/KiB/KB, M/MiB/MB, G/GiB/GB, T/TiB/TB.
    #[error("'{0}' has an unknown unit: use B, KiB, MiB, GiB, TiB (powers of 1024), KB, MB, GB, TB (powers of 1000) or K, M, G, T")]
    UnknownUnit(String),
    /// The fraction does not come out as a whole number of bytes.
    #[error("'{0}' is not a whole number of bytes")]
    Fractional(String),
    /// More than 2^64 - 1 bytes.
    #[error("'{0}' is too large")]
    TooLarge(String),
}

/// Parses a human size into bytes.
///
/// # Errors
/// A [`SizeError`] saying what is wrong with `text`.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    let number_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_end);
    let unit = unit.trim_start();
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(SizeError::Malformed(text.to_string()));
    }
    let multiplier: u128 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(SizeError::UnknownUnit(text.to_string())),
    };
    let too_large = || SizeError::TooLarge(text.to_string());
    let digits = |s: &str| -> Result<u128, SizeError> {
        if s.is_empty() {
            return Ok(0);
        }
        if s.len() > 30 {
            return Err(too_large());
        }
        s.parse::<u128>()
            .map_err(|_| SizeError::Malformed(text.to_string()))
    };
    let scale = 10u128
        .checked_pow(u32::try_from(fraction.len()).map_err(|_| too_large())?)
        .ok_or_else(too_large)?;
    let whole_bytes = digits(whole)?.checked_mul(multiplier).ok_or_else(too_large)?;
    let fraction_scaled = digits(fraction)?.checked_mul(multiplier).ok_or_else(too_large)?;
    if fraction_scaled % scale != 0 {
        return Err(SizeError::Fractional(text.to_string()));
    }
    let total = whole_bytes
        .checked_add(fraction_scaled / scale)
        .ok_or_else(too_large)?;
    u64::try_from(total).map_err(|_| too_large())
}

/// Formats bytes for people with IEC units and up to two decimals: `64 MiB`, `1.50 GiB`, `512 B`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_as_documented() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mib"), Ok(64 << 20));
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("5G"), Ok(5 << 30));
        assert_eq!(parse_size("100K"), Ok(100 << 10));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1KB"), Ok(1_000));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size(".5KiB"), Ok(512));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn rejects_what_is_not_a_size() {
        assert!(matches!(parse_size(""), Err(SizeError::Malformed(_))));
        assert!(matches!(parse_size("MiB"), Err(SizeError::Malformed(_))));
        assert!(matches!(parse_size("."), Err(SizeError::Malformed(_))));
        assert!(matches!(parse_size("1.2.3M"), Err(SizeError::Malformed(_))));
        assert!(matches!(parse_size("-5M"), Err(SizeError::Malformed(_))));
        assert!(matches!(parse_size("5X"), Err(SizeError::UnknownUnit(_))));
        assert!(matches!(parse_size("5 MiBs"), Err(SizeError::UnknownUnit(_))));
        assert!(matches!(parse_size("1.5B"), Err(SizeError::Fractional(_))));
        assert!(matches!(parse_size("0.0001K"), Err(SizeError::Fractional(_))));
        assert!(matches!(
            parse_size("18446744073709551616"),
            Err(SizeError::TooLarge(_))
        ));
        assert!(matches!(
            parse_size("17179869184TiB"),
            Err(SizeError::TooLarge(_))
        ));
        assert!(matches!(
            parse_size("99999999999999999999999999999999999999999"),
            Err(SizeError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(64 << 20), "64 MiB");
        assert_eq!(format_size(3 << 29), "1.50 GiB");
        assert_eq!(format_size(20 << 30), "20 GiB");
    }
}
