//! Request statistics for tests: counts and in-flight peaks, overall and per operation.

use std::collections::BTreeMap;
use std::sync::Mutex;

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
    total_in_flight: u64,
    max_total: u64,
}

/// Live counters shared by the request handlers.
#[derive(Default)]
pub struct Recorder {
    counters: Mutex<Counters>,
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

    /// Zeroes the counts and peaks (requests in flight stay counted).
    pub fn reset(&self) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.requests = [0; Api::ALL.len()];
        c.max_by_op = c.in_flight;
        c.max_total = c.total_in_flight;
    }

    /// A snapshot; `open_uploads` is filled in by the caller.
    pub fn snapshot(&self) -> Stats {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut stats = Stats {
            max_in_flight: c.max_total,
            in_flight: c.total_in_flight,
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
        }
        stats
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
