//! Human durations: for `--request-timeout` `30s`, `10m`, `1h`, `500ms`, or plain seconds (`90`);
//! for `--older-than` also days (`7d`); and the listings' dates those ages are measured against.

use std::time::{Duration, SystemTime};

/// The time a listing gives (`Initiated` of an upload, `LastModified` of an object: RFC 3339, as
/// `2026-12-07T10:00:00.000Z`), or `None` when it is not readable.
pub fn listed_time(text: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a whole number followed by an optional unit.
    #[error("'{0}' is not a duration: write a whole number and a unit, e.g. 500ms, 30s, 10m or 1h")]
    Malformed(String),
    /// Zero, or more than a day.
    #[error("'{0}' is out of range: use a duration from 1ms to 24h")]
    OutOfRange(String),
    /// An age of more than ten years.
    #[error("'{0}' is out of range: use an age from 0s to 3650d")]
    AgeOutOfRange(String),
}

/// Parses a duration: a whole number with `ms`, `s`, `m` or `h` (no unit means seconds), from 1 ms
/// to 24 h.
///
/// # Errors
/// A [`DurationError`] saying what is wrong with `text`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let millis = millis(text)?;
    if millis == 0 || millis > 24 * 3_600_000 {
        return Err(DurationError::OutOfRange(text.to_string()));
    }
    Ok(Duration::from_millis(millis))
}

/// Parses an age: like [`parse_duration`], with days (`d`) too, from 0 to 3,650 days.
///
/// # Errors
/// A [`DurationError`] saying what is wrong with `text`.
pub fn parse_age(text: &str) -> Result<Duration, DurationError> {
    let millis = millis(text)?;
    if millis > 3_650 * 24 * 3_600_000 {
        return Err(DurationError::AgeOutOfRange(text.to_string()));
    }
    Ok(Duration::from_millis(millis))
}

/// A whole number with `ms`, `s`, `m`, `h` or `d` (no unit means seconds), in milliseconds.
fn millis(text: &str) -> Result<u64, DurationError> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    if number.is_empty() || number.len() > 12 {
        return Err(DurationError::Malformed(text.to_string()));
    }
    let value: u64 = number
        .parse()
        .map_err(|_| DurationError::Malformed(text.to_string()))?;
    let millis_per_unit: u64 = match unit.trim_start() {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 24 * 3_600_000,
        _ => return Err(DurationError::Malformed(text.to_string())),
    };
    Ok(value.saturating_mul(millis_per_unit))
}

/// An age for people, in its two largest units: `10d 3h`, `5h 12m`, `7m`, `42s`.
pub fn age_text(age: Duration) -> String {
    let s = age.as_secs();
    let (d, h, m) = (s / 86_400, s / 3_600 % 24, s / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_days_and_zero() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_age("36h"), Ok(Duration::from_secs(36 * 3_600)));
        assert!(matches!(parse_age("3651d"), Err(DurationError::AgeOutOfRange(_))));
        assert!(matches!(parse_age("7 days"), Err(DurationError::Malformed(_))));
        // A request timeout takes no days beyond 24 h.
        assert!(matches!(parse_duration("2d"), Err(DurationError::OutOfRange(_))));
    }

    #[test]
    fn parses_the_documented_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration(" 2 h "), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in ["", "s", "1.5s", "-1s", "10w", "1e3", "ten"] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::Malformed(_))),
                "{text}"
            );
        }
        for text in ["0", "0ms", "25h", "10d", "99999999999h"] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::OutOfRange(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn ages_read_in_their_two_largest_units() {
        let cases = [
            (0, "0s"),
            (42, "42s"),
            (7 * 60 + 59, "7m"),
            (5 * 3_600 + 12 * 60 + 9, "5h 12m"),
            (10 * 86_400 + 3 * 3_600 + 59 * 60, "10d 3h"),
            (86_400, "1d 0h"),
        ];
        for (secs, text) in cases {
            assert_eq!(age_text(Duration::from_secs(secs)), text, "{secs} s");
        }
    }
}
