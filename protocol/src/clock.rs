//! The service's time, as far as signing needs it.
//!
//! Both clouds refuse a request signed at a time too far from their own clock: COS one whose
//! `q-sign-time` window does not hold the service's time (partcopy's opens 60 s before the signing
//! time), OSS one whose date is more than 15 minutes off. A machine whose clock is off — a VM
//! without NTP, a container restored from a snapshot — then has every request refused with a 403
//! (`RequestTimeTooSkewed`, or COS's `AccessDenied` "Request has expired"), although nothing else is
//! wrong.
//!
//! A [`ServiceClock`] holds the difference between the local clock and the service's, zero until
//! a refusal teaches it otherwise: [`ServiceClock::learn`] looks at a 403 and its `Date` header and,
//! when they say the request was signed more than [`ServiceClock::TOLERANCE`] away from the
//! service's time, records the difference, so that requests signed from then on
//! ([`ServiceClock::service_time`]) carry the service's time. It reads no clock itself: the caller
//! passes the local times in. Clones share the difference.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use partcopy_protocol::clock::ServiceClock;
//!
//! let clock = ServiceClock::new();
//! let local = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! // The service's clock is 20 minutes behind ours: it refused a request signed at `local`.
//! let date = http::HeaderValue::from_static("Fri, 15 Jan 2027 07:40:00 GMT");
//! let learnt = clock.learn(http::StatusCode::FORBIDDEN, Some(&date), local, 0);
//! assert_eq!(learnt, Some(-1_200_000));
//! assert_eq!(clock.service_time(local), local - Duration::from_secs(1200));
//! ```

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::timestamp::Timestamp;

/// The difference between the local clock and a service's, learnt from its refusals.
#[derive(Debug, Clone, Default)]
pub struct ServiceClock {
    /// The service's time minus the local time, in milliseconds.
    offset_ms: Arc<AtomicI64>,
}

impl ServiceClock {
    /// How far from the service's time a refused request must have been signed for the refusal
    /// to be put down to the clocks: well above the `Date` header's one-second resolution and the
    /// time an answer takes, well below what either cloud tolerates (COS 60 s ahead with
    /// partcopy's window, OSS 15 minutes).
    pub const TOLERANCE: Duration = Duration::from_secs(30);

    /// A clock that takes the local time for the service's until it learns otherwise.
    pub fn new() -> Self {
        ServiceClock::default()
    }

    /// The service's time minus the local time, in milliseconds, as learnt so far (0 at first).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The service's time when the local clock reads `local`.
    pub fn service_time(&self, local: SystemTime) -> SystemTime {
        shifted(local, self.offset_ms())
    }

    /// Judges an answer to a request signed with the difference `signed_offset_ms` (what
    /// [`ServiceClock::offset_ms`] was when it was signed) and received when the local clock read
    /// `received`. When it is a 403 whose `Date` is more than [`ServiceClock::TOLERANCE`] from the
    /// time the request was signed for, the refusal is put down to the clocks: the difference
    /// `Date` shows is recorded and returned. Otherwise (another status, no or an unreadable
    /// `Date`, or a request signed close enough to the service's time) nothing changes and the
    /// answer is `None`.
    ///
    /// Comparing with the difference the request was signed with, not the current one, lets every
    /// request that was in flight when the first refusal taught the clock be judged the same way.
    pub fn learn(
        &self,
        status: http::StatusCode,
        date: Option<&http::HeaderValue>,
        received: SystemTime,
        signed_offset_ms: i64,
    ) -> Option<i64> {
        if status != http::StatusCode::FORBIDDEN {
            return None;
        }
        let service = Timestamp::parse_http_date(date?.to_str().ok()?)?.unix();
        let received_ms = millis_since_epoch(received)?;
        // `Date` has whole seconds: compare with the local time truncated the same way.
        let offset_ms = service
            .checked_mul(1000)?
            .checked_sub(received_ms - received_ms.rem_euclid(1000))?;
        if offset_ms.abs_diff(signed_offset_ms) <= Self::TOLERANCE.as_millis() as u64 {
            return None;
        }
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
        Some(offset_ms)
    }
}

/// `t` moved by `offset_ms` (either way), saturating at the epoch.
fn shifted(t: SystemTime, offset_ms: i64) -> SystemTime {
    let by = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        t.checked_add(by).unwrap_or(t)
    } else {
        t.checked_sub(by).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

fn millis_since_epoch(t: SystemTime) -> Option<i64> {
    i64::try_from(t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode};

    const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: i64) -> HeaderValue {
        HeaderValue::from_str(Timestamp::from_unix(secs).http_date()).unwrap()
    }

    const T: u64 = 1_800_000_000;

    #[test]
    fn a_refusal_far_from_the_service_time_teaches_the_difference() {
        for skew in [-7200_i64, -1200, -31, 31, 900, 7200] {
            let clock = ServiceClock::new();
            let service = T as i64 + skew;
            let learnt = clock.learn(FORBIDDEN, Some(&date(service)), at(T), 0);
            assert_eq!(learnt, Some(skew * 1000), "{skew}");
            assert_eq!(clock.offset_ms(), skew * 1000);
            assert_eq!(clock.service_time(at(T)), at(service as u64), "{skew}");
            // Signed with the service's time now: another refusal is not the clocks' doing.
            let again = clock.learn(FORBIDDEN, Some(&date(service + 1)), at(T + 1), clock.offset_ms());
            assert_eq!(again, None, "{skew}");
            assert_eq!(clock.offset_ms(), skew * 1000);
        }
    }

    #[test]
    fn only_a_403_with_a_date_far_off_counts() {
        let clock = ServiceClock::new();
        let off = date(T as i64 - 3600);
        for status in [
            StatusCode::OK,
            StatusCode::BAD_REQUEST,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            assert_eq!(clock.learn(status, Some(&off), at(T), 0), None, "{status}");
        }
        assert_eq!(clock.learn(FORBIDDEN, None, at(T), 0), None);
        let garbage = HeaderValue::from_static("yesterday");
        assert_eq!(clock.learn(FORBIDDEN, Some(&garbage), at(T), 0), None);
        // Within the tolerance: a 403 for another reason.
        for skew in [-30_i64, -1, 0, 1, 30] {
            let near = date(T as i64 + skew);
            assert_eq!(clock.learn(FORBIDDEN, Some(&near), at(T), 0), None, "{skew}");
        }
        assert_eq!(clock.offset_ms(), 0);
        assert_eq!(clock.service_time(at(T)), at(T));
    }

    /// Requests in flight when the first refusal taught the clock were signed with the old
    /// difference: their refusals are put down to the clocks too (and teach the same).
    #[test]
    fn requests_signed_before_the_lesson_are_judged_by_their_own_signing_time() {
        let clock = ServiceClock::new();
        let service = T as i64 - 1200;
        assert_eq!(
            clock.learn(FORBIDDEN, Some(&date(service)), at(T), 0),
            Some(-1_200_000)
        );
        let later = clock.learn(FORBIDDEN, Some(&date(service + 1)), at(T + 1), 0);
        assert_eq!(later, Some(-1_200_000));
    }

    #[test]
    fn clones_share_the_difference() {
        let clock = ServiceClock::new();
        let other = clock.clone();
        clock.learn(FORBIDDEN, Some(&date(T as i64 + 600)), at(T), 0);
        assert_eq!(other.offset_ms(), 600_000);
        // The local time's fraction of a second is kept; only whole seconds are compared.
        let local = at(T) + Duration::from_millis(700);
        assert_eq!(
            other.service_time(local),
            at(T + 600) + Duration::from_millis(700)
        );
    }
}
