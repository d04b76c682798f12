//! Retry timing: exponential backoff with jitter drawn from a seeded generator.
//!
//! The job owns one [`Jitter`] seeded from its configuration, so the same seed and the same
//! sequence of failures always give the same delays: tests replay exactly, and no global RNG is
//! touched.

use std::time::Duration;

/// A small deterministic pseudo-random generator (SplitMix64) for retry jitter.
///
/// Not for anything secret: it exists so that jitter is reproducible from a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Jitter {
        Jitter { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value uniformly spread over `0..=max` (up to a negligible modulo bias).
    pub fn below_or_equal(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(bound) => self.next_u64() % bound,
            None => self.next_u64(),
        }
    }
}

/// Exponential backoff: the `n`th retry waits about `base * 2^(n-1)`, capped at `max`.
///
/// "Equal jitter": half the delay is fixed and half is random, so retries of many parts spread out
/// without ever retrying at once. A service's `Retry-After` is a floor on the delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry, before jitter.
    pub base: Duration,
    /// Largest delay, before honouring `Retry-After`.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry), with jitter from `jitter`
    /// and at least `retry_after` when the service sent one.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: &mut Jitter) -> Duration {
        let shift = retry.saturating_sub(1).min(32);
        let base = u64::try_from(self.base.as_nanos()).unwrap_or(u64::MAX);
        let max = u64::try_from(self.max.as_nanos()).unwrap_or(u64::MAX);
        let capped = base.saturating_mul(1u64 << shift).min(max);
        let half = capped / 2;
        let delay = Duration::from_nanos(capped - half + jitter.below_or_equal(half));
        delay.max(retry_after.unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Jitter::new(7);
        let mut b = Jitter::new(7);
        let mut c = Jitter::new(8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn delays_grow_and_stay_within_bounds() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
        };
        let mut jitter = Jitter::new(1);
        for retry in 1..40 {
            let full = Duration::from_millis(100)
                .saturating_mul(1 << (retry - 1).min(20))
                .min(Duration::from_secs(5));
            let d = backoff.delay(retry, None, &mut jitter);
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?} vs {full:?}");
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let backoff = Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(20),
        };
        let mut jitter = Jitter::new(0);
        let d = backoff.delay(1, Some(Duration::from_secs(3)), &mut jitter);
        assert_eq!(d, Duration::from_secs(3));
    }

    #[test]
    fn jitter_spreads() {
        let backoff = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(1),
        };
        let mut jitter = Jitter::new(42);
        let delays: std::collections::BTreeSet<Duration> =
            (0..16).map(|_| backoff.delay(1, None, &mut jitter)).collect();
        assert!(delays.len() > 8);
    }
}
