//! The time of signing in the three forms the signers use: Unix seconds (COS), the HTTP date
//! (OSS V1 `Date`) and ISO 8601 basic (OSS V4 `x-oss-date`). Time is always passed in, never read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// A signing instant, pre-formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    unix: i64,
    iso: [u8; 16],
    http: [u8; 29],
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn put2(buf: &mut [u8], at: usize, v: u8) {
    buf[at] = b'0' + v / 10;
    buf[at + 1] = b'0' + v % 10;
}

fn put4(buf: &mut [u8], at: usize, v: i32) {
    let v = v.clamp(0, 9999) as u16;
    buf[at] = b'0' + (v / 1000) as u8;
    buf[at + 1] = b'0' + (v / 100 % 10) as u8;
    buf[at + 2] = b'0' + (v / 10 % 10) as u8;
    buf[at + 3] = b'0' + (v % 10) as u8;
}

impl Timestamp {
    /// The instant `t`, truncated to whole seconds. Times before 1970 are clamped to the epoch.
    pub fn new(t: SystemTime) -> Self {
        let unix = t
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4));
        Self::from_unix(unix)
    }

    /// The instant `unix` seconds after the epoch (clamped to years 1970..=9999).
    pub fn from_unix(unix: i64) -> Self {
        let unix = unix.clamp(0, 253_402_300_799);
        let dt = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let mut iso = *b"00000000T000000Z";
        put4(&mut iso, 0, dt.year());
        put2(&mut iso, 4, u8::from(dt.month()));
        put2(&mut iso, 6, dt.day());
        put2(&mut iso, 9, dt.hour());
        put2(&mut iso, 11, dt.minute());
        put2(&mut iso, 13, dt.second());
        let mut http = *b"Mon, 00 Jan 0000 00:00:00 GMT";
        http[..3].copy_from_slice(DAYS[dt.weekday().number_days_from_monday() as usize].as_bytes());
        put2(&mut http, 5, dt.day());
        http[8..11].copy_from_slice(MONTHS[usize::from(u8::from(dt.month())) - 1].as_bytes());
        put4(&mut http, 12, dt.year());
        put2(&mut http, 17, dt.hour());
        put2(&mut http, 20, dt.minute());
        put2(&mut http, 23, dt.second());
        Timestamp { unix, iso, http }
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.unix
    }

    /// ISO 8601 basic, `20260102T030405Z` (OSS V4 `x-oss-date`).
    pub fn iso8601(&self) -> &str {
        std::str::from_utf8(&self.iso).unwrap_or("19700101T000000Z")
    }

    /// The date part `20260102` (OSS V4 scope).
    pub fn date8(&self) -> &str {
        &self.iso8601()[..8]
    }

    /// The HTTP date, `Fri, 02 Jan 2026 03:04:05 GMT` (OSS V1 `Date`).
    pub fn http_date(&self) -> &str {
        std::str::from_utf8(&self.http).unwrap_or("Thu, 01 Jan 1970 00:00:00 GMT")
    }

    /// As a `SystemTime`.
    pub fn system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.unix.max(0) as u64)
    }

    /// Parses ISO 8601 basic (`20260102T030405Z`); `None` if malformed.
    pub fn parse_iso8601(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        Self::from_parts(
            num(0..4)? as i32,
            num(4..6)? as u8,
            num(6..8)? as u8,
            num(9..11)? as u8,
            num(11..13)? as u8,
            num(13..15)? as u8,
        )
    }

    /// Parses an HTTP date (`Fri, 02 Jan 2026 03:04:05 GMT`); `None` if malformed.
    pub fn parse_http_date(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() != 29 || &s[25..] != " GMT" || b[3] != b',' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let month = MONTHS.iter().position(|m| *m == &s[8..11])? as u8 + 1;
        let ts = Self::from_parts(
            num(12..16)? as i32,
            month,
            num(5..7)? as u8,
            num(17..19)? as u8,
            num(20..22)? as u8,
            num(23..25)? as u8,
        )?;
        Some(ts)
    }

    fn from_parts(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<Self> {
        let date = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
        let time = Time::from_hms(h, mi, s).ok()?;
        let unix = PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp();
        Some(Self::from_unix(unix))
    }

    /// The weekday (used only by tests).
    #[cfg(test)]
    fn weekday(&self) -> time::Weekday {
        OffsetDateTime::from_unix_timestamp(self.unix)
            .map(|d| d.weekday())
            .unwrap_or(time::Weekday::Thursday)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = Timestamp::from_unix(1_767_323_045); // 2026-01-02T03:04:05Z, a Friday
        assert_eq!(t.iso8601(), "20260102T030405Z");
        assert_eq!(t.date8(), "20260102");
        assert_eq!(t.http_date(), "Fri, 02 Jan 2026 03:04:05 GMT");
        assert_eq!(t.weekday(), time::Weekday::Friday);
        let epoch = Timestamp::new(UNIX_EPOCH);
        assert_eq!(epoch.http_date(), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn parses_round_trip() {
        for unix in [0, 951_782_400, 1_767_323_045, 4_102_444_799] {
            let t = Timestamp::from_unix(unix);
            assert_eq!(Timestamp::parse_iso8601(t.iso8601()), Some(t));
            assert_eq!(Timestamp::parse_http_date(t.http_date()), Some(t));
        }
        assert_eq!(Timestamp::parse_iso8601("20261302T030405Z"), None);
        assert_eq!(Timestamp::parse_iso8601("2026010T030405Z"), None);
        assert_eq!(Timestamp::parse_http_date("Fri, 02 Jan 2026 03:04:05 UTC"), None);
        assert_eq!(Timestamp::parse_http_date("Fri, 02 Foo 2026 03:04:05 GMT"), None);
        assert_eq!(
            Timestamp::parse_http_date("Fri, 02 Jan 2026 03:04:05 GMT\u{e9}"),
            None
        );
    }
}
