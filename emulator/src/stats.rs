//! Request statistics for tests and benchmarks: counts and in-flight peaks, overall and per
//! operation, how precisely injected latency was served, and how long each connection sat between
//! an answer and its next request.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::api::Api;

/// A snapshot of the emulator's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Requests received per operation (including those answered by an injected fault).
    pub requests: BTreeMap<Api, u64>,
    /// Most requests in flight at once, all operations together.
    pub max_in_flight: u64,
    /// Most requests of each operation in flight at once.
    pub max_in_flight_by_op: BTreeMap<Api, u64>,
    /// Requests in flight now.
    pub in_flight: u64,
    /// Multipart uploads initiated and neither completed nor aborted.
    pub open_uploads: u64,
    /// Client connections open now (S3-style API only).
    pub open_connections: u64,
    /// Client connections accepted since the last reset (S3-style API only).
    pub connections_accepted: u64,
    /// Injected latency as served.
    pub delays: DelayStats,
    /// The longest time one request of each operation took the emulator, µs: from the arrival of
    /// its head to its answer being ready, the body's receipt included and an injected latency
    /// left out. A benchmark's ideal allows a Complete one round trip; this shows what the
    /// emulator's own Complete of thousands of parts cost on top.
    pub max_service_us_by_op: BTreeMap<Api, u64>,
    /// The time between answer and next request on a keep-alive connection.
    pub turnaround: TurnaroundStats,
}

/// How long connections sat between handing over an answer and receiving their next request:
/// for each request after the first on a connection, the time from the emulator's answer to the
/// previous one being ready to the arrival of this one's head. It spans writing the answer, the
/// client's reading it and deciding what to send next, its writing that, and the emulator's
/// reading it — the part of a round trip outside the emulator's handler, which a benchmark's
/// ideal counts as nothing. A client that keeps its window full shows it here, and so does a
/// server short of CPU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TurnaroundStats {
    /// Requests that followed an answer on the same connection.
    pub count: u64,
    /// Mean time, µs.
    pub mean_us: u64,
    /// Median, µs (upper edge of its 5 µs bucket).
    pub p50_us: u64,
    /// 99th percentile, µs (upper edge of its 5 µs bucket; 10,000 means beyond 10 ms).
    pub p99_us: u64,
    /// Longest, µs.
    pub max_us: u64,
}

/// How much longer than asked the requests with injected latency waited: the overshoot is the time
/// from the request's arrival to its handler resuming, minus the latency asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DelayStats {
    /// Requests that waited for an injected latency.
    pub count: u64,
    /// Mean overshoot, µs.
    pub mean_overshoot_us: u64,
    /// Median overshoot, µs (upper edge of its 5 µs bucket).
    pub p50_overshoot_us: u64,
    /// 99th percentile overshoot, µs (upper edge of its 5 µs bucket; 10,000 means beyond 10 ms).
    pub p99_overshoot_us: u64,
    /// Largest overshoot, µs.
    pub max_overshoot_us: u64,
}

/// Width of a histogram bucket, µs.
const BUCKET_US: u64 = 5;
/// Number of buckets: 5 µs each up to 10 ms; the last also holds everything beyond.
const BUCKETS: usize = 2000;

/// Times recorded since start or reset (overshoots, turnarounds), µs, in 5 µs buckets.
struct Histogram {
    count: u64,
    total_us: u64,
    max_us: u64,
    buckets: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            count: 0,
            total_us: 0,
            max_us: 0,
            buckets: vec![0; BUCKETS],
        }
    }
}

impl Histogram {
    fn record(&mut self, us: u64) {
        self.count += 1;
        self.total_us = self.total_us.saturating_add(us);
        self.max_us = self.max_us.max(us);
        let bucket = ((us / BUCKET_US) as usize).min(BUCKETS - 1);
        self.buckets[bucket] += 1;
    }

    fn mean(&self) -> u64 {
        self.total_us.checked_div(self.count).unwrap_or(0)
    }

    /// Upper edge, µs, of the bucket holding the `q` quantile.
    fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((self.count as f64 * q).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return (i as u64 + 1) * BUCKET_US;
            }
        }
        BUCKETS as u64 * BUCKET_US
    }

    fn delays(&self) -> DelayStats {
        DelayStats {
            count: self.count,
            mean_overshoot_us: self.mean(),
            p50_overshoot_us: self.quantile(0.5),
            p99_overshoot_us: self.quantile(0.99),
            max_overshoot_us: self.max_us,
        }
    }

    fn turnaround(&self) -> TurnaroundStats {
        TurnaroundStats {
            count: self.count,
            mean_us: self.mean(),
            p50_us: self.quantile(0.5),
            p99_us: self.quantile(0.99),
            max_us: self.max_us,
        }
    }
}

impl Stats {
    /// Requests received for `api`.
    pub fn count(&self, api: Api) -> u64 {
        self.requests.get(&api).copied().unwrap_or(0)
    }

    /// Peak in-flight requests of `api`.
    pub fn max_in_flight_of(&self, api: Api) -> u64 {
        self.max_in_flight_by_op.get(&api).copied().unwrap_or(0)
    }
}

#[derive(Default)]
struct Counters {
    requests: [u64; Api::ALL.len()],
    in_flight: [u64; Api::ALL.len()],
    max_by_op: [u64; Api::ALL.len()],
    max_service_us: [u64; Api::ALL.len()],
    total_in_flight: u64,
    max_total: u64,
    open_connections: u64,
    connections_accepted: u64,
}

/// Live counters shared by the request handlers.
#[derive(Default)]
pub struct Recorder {
    counters: Mutex<Counters>,
    overshoots: Mutex<Histogram>,
    turnarounds: Mutex<Histogram>,
}

impl Recorder {
    /// Records the start of a request of `api`; returns its 1-based ordinal among requests of `api`.
    pub fn begin(&self, api: Api) -> u64 {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let i = api.index();
        c.requests[i] += 1;
        c.in_flight[i] += 1;
        c.max_by_op[i] = c.max_by_op[i].max(c.in_flight[i]);
        c.total_in_flight += 1;
        c.max_total = c.max_total.max(c.total_in_flight);
        c.requests[i]
    }

    /// Records the end of a request of `api`.
    pub fn end(&self, api: Api) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let i = api.index();
        c.in_flight[i] = c.in_flight[i].saturating_sub(1);
        c.total_in_flight = c.total_in_flight.saturating_sub(1);
    }

    /// Records an accepted connection; the guard records its end when dropped.
    pub fn connection(&self) -> OpenConnection<'_> {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.open_connections += 1;
        c.connections_accepted += 1;
        drop(c);
        OpenConnection { recorder: self }
    }

    /// Records a request that waited `actual` (from its arrival) for an injected latency of `asked`.
    pub fn record_delay(&self, asked: Duration, actual: Duration) {
        self.overshoots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(micros(actual.saturating_sub(asked)));
    }

    /// Records that a connection's next request arrived `gap` after its previous answer was ready.
    pub fn record_turnaround(&self, gap: Duration) {
        self.turnarounds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(micros(gap));
    }

    /// Records that a request of `api` took the emulator `busy` (its injected latency left out).
    pub fn record_service(&self, api: Api, busy: Duration) {
        let us = micros(busy);
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut c.max_service_us[api.index()];
        *slot = (*slot).max(us);
    }

    /// Zeroes the counts, peaks, service times, delay and turnaround figures (requests in flight
    /// stay counted).
    pub fn reset(&self) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.requests = [0; Api::ALL.len()];
        c.connections_accepted = 0;
        c.max_by_op = c.in_flight;
        c.max_service_us = [0; Api::ALL.len()];
        c.max_total = c.total_in_flight;
        *self.overshoots.lock().unwrap_or_else(|e| e.into_inner()) = Histogram::default();
        *self.turnarounds.lock().unwrap_or_else(|e| e.into_inner()) = Histogram::default();
    }

    /// A snapshot; `open_uploads` is filled in by the caller.
    pub fn snapshot(&self) -> Stats {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut stats = Stats {
            max_in_flight: c.max_total,
            in_flight: c.total_in_flight,
            open_connections: c.open_connections,
            connections_accepted: c.connections_accepted,
            delays: self.overshoots.lock().unwrap_or_else(|e| e.into_inner()).delays(),
            turnaround: self
                .turnarounds
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .turnaround(),
            ..Stats::default()
        };
        for api in Api::ALL {
            let i = api.index();
            if c.requests[i] > 0 {
                stats.requests.insert(api, c.requests[i]);
            }
            if c.max_by_op[i] > 0 {
                stats.max_in_flight_by_op.insert(api, c.max_by_op[i]);
            }
            if c.max_service_us[i] > 0 {
                stats.max_service_us_by_op.insert(api, c.max_service_us[i]);
            }
        }
        stats
    }
}

/// `time` in whole µs (saturating: no time the emulator records comes near the bound).
fn micros(time: Duration) -> u64 {
    u64::try_from(time.as_micros()).unwrap_or(u64::MAX)
}

/// Counts a connection as open until dropped (also when its task is aborted).
pub struct OpenConnection<'a> {
    recorder: &'a Recorder,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        let mut c = self.recorder.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.open_connections = c.open_connections.saturating_sub(1);
    }
}

/// Ends the request's in-flight count when dropped (also when a handler future is cancelled).
pub struct InFlight<'a> {
    recorder: &'a Recorder,
    api: Api,
}

impl<'a> InFlight<'a> {
    /// Starts counting a request; returns the guard and the request's ordinal for its operation.
    pub fn begin(recorder: &'a Recorder, api: Api) -> (Self, u64) {
        let nth = recorder.begin(api);
        (InFlight { recorder, api }, nth)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.recorder.end(self.api);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_open_and_accepted() {
        let recorder = Recorder::default();
        let first = recorder.connection();
        let second = recorder.connection();
        drop(first);
        let stats = recorder.snapshot();
        assert_eq!((stats.open_connections, stats.connections_accepted), (1, 2));
        recorder.reset();
        let stats = recorder.snapshot();
        assert_eq!((stats.open_connections, stats.connections_accepted), (1, 0));
        drop(second);
        assert_eq!(recorder.snapshot().open_connections, 0);
    }

    #[test]
    fn longest_service_per_operation() {
        let recorder = Recorder::default();
        assert!(recorder.snapshot().max_service_us_by_op.is_empty());
        recorder.record_service(Api::CompleteMultipartUpload, Duration::from_micros(900));
        recorder.record_service(Api::CompleteMultipartUpload, Duration::from_micros(31_000));
        recorder.record_service(Api::CompleteMultipartUpload, Duration::from_micros(2_000));
        recorder.record_service(Api::HeadObject, Duration::from_micros(40));
        let stats = recorder.snapshot();
        assert_eq!(
            stats.max_service_us_by_op.get(&Api::CompleteMultipartUpload),
            Some(&31_000)
        );
        assert_eq!(stats.max_service_us_by_op.get(&Api::HeadObject), Some(&40));
        assert_eq!(stats.max_service_us_by_op.len(), 2);
        recorder.reset();
        assert!(recorder.snapshot().max_service_us_by_op.is_empty());
    }

    #[test]
    fn overshoot_figures() {
        let recorder = Recorder::default();
        assert_eq!(recorder.snapshot().delays, DelayStats::default());
        let asked = Duration::from_millis(20);
        for overshoot_us in [10u64, 20, 30, 40, 12_000] {
            recorder.record_delay(asked, asked + Duration::from_micros(overshoot_us));
        }
        // Never negative: an early wake (impossible by design) counts as zero.
        recorder.record_delay(asked, asked - Duration::from_micros(5));
        let delays = recorder.snapshot().delays;
        assert_eq!(
            delays,
            DelayStats {
                count: 6,
                mean_overshoot_us: (10 + 20 + 30 + 40 + 12_000) / 6,
                p50_overshoot_us: 25,
                p99_overshoot_us: 10_000,
                max_overshoot_us: 12_000,
            }
        );
        recorder.reset();
        assert_eq!(recorder.snapshot().delays, DelayStats::default());
    }

    #[test]
    fn turnaround_figures() {
        let recorder = Recorder::default();
        assert_eq!(recorder.snapshot().turnaround, TurnaroundStats::default());
        for us in [100u64, 300, 320, 400, 7_000] {
            recorder.record_turnaround(Duration::from_micros(us));
        }
        let stats = recorder.snapshot();
        assert_eq!(
            stats.turnaround,
            TurnaroundStats {
                count: 5,
                mean_us: (100 + 300 + 320 + 400 + 7_000) / 5,
                p50_us: 325,
                p99_us: 7_005,
                max_us: 7_000,
            }
        );
        assert_eq!(
            stats.delays,
            DelayStats::default(),
            "kept apart from the overshoots"
        );
        recorder.reset();
        assert_eq!(recorder.snapshot().turnaround, TurnaroundStats::default());
    }
}
