//! Seeded fault injection, per operation: latency, error answers, dropped connections, and a source
//! object overwritten in the middle of a multipart copy.
//!
//! Faults are decided when a request arrives, before the operation runs: an injected error leaves the
//! state untouched (a client retrying it sees the same world). The one exception is
//! [`FaultKind::DropResponse`], which runs the operation and loses its answer; it is only injected
//! through `fail_nth` or its own probability `drop_response`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::Api;

/// What an injected fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 InternalError.
    InternalError,
    /// 503 SlowDown.
    SlowDown,
    /// The connection is closed without an answer.
    DropConnection,
    /// 200 OK whose body is an `<Error>` document (InternalError).
    Error200,
    /// The operation runs, then the connection is closed without an answer (the reply is lost:
    /// e.g. a Complete that succeeded while the client saw a network error).
    DropResponse,
}

/// "Fail the `n`th request of this operation with `kind`" (1-based, counted since start or reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NthFailure {
    /// Which request (1 = the first).
    pub n: u64,
    /// How it fails.
    pub kind: FaultKind,
}

/// Faults for one operation. Probabilities are in `[0, 1]` and checked in the order listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpFaults {
    /// Fixed delay before answering, in milliseconds.
    pub latency_ms: u64,
    /// Extra uniformly random delay in `[0, jitter_ms]`.
    pub jitter_ms: u64,
    /// Probability of 500 InternalError.
    pub internal_error: f64,
    /// Probability of 503 SlowDown.
    pub slow_down: f64,
    /// Probability of dropping the connection.
    pub drop_connection: f64,
    /// Probability of 200 with an `<Error>` body.
    pub error_200: f64,
    /// Probability of running the operation and then dropping the connection unanswered.
    pub drop_response: f64,
    /// Deterministic failures of given requests.
    pub fail_nth: Vec<NthFailure>,
    /// A `Retry-After` (seconds) to send with injected 500 and 503 answers.
    pub retry_after_secs: Option<u64>,
}

/// Replace an object's content after a number of successful Upload Part - Copy requests read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overwrite {
    /// Bucket of the object to overwrite.
    pub bucket: String,
    /// Key of the object to overwrite.
    pub key: String,
    /// After this many successful part copies reading the object, it is overwritten.
    pub after_part_copies: u64,
    /// Seed of the new content (same length as before).
    pub seed: u64,
}

/// The whole fault plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Faults per operation.
    pub ops: BTreeMap<Api, OpFaults>,
    /// A pending source overwrite, if any.
    pub overwrite: Option<Overwrite>,
}

/// A small seeded PRNG (splitmix64): deterministic for a given seed and request order.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Delay before answering.
    pub delay: Duration,
    /// The fault to inject instead of running the operation.
    pub fault: Option<FaultKind>,
    /// `Retry-After` seconds for an injected 500/503.
    pub retry_after_secs: Option<u64>,
}

impl FaultPlan {
    /// Decides the fate of the `nth` request of `api`.
    pub fn decide(&self, api: Api, nth: u64, rng: &mut Rng) -> Decision {
        let Some(faults) = self.ops.get(&api) else {
            return Decision::default();
        };
        let jitter = if faults.jitter_ms > 0 {
            rng.next_u64() % (faults.jitter_ms + 1)
        } else {
            0
        };
        let delay = Duration::from_millis(faults.latency_ms + jitter);
        let retry_after_secs = faults.retry_after_secs;
        if let Some(nth_failure) = faults.fail_nth.iter().find(|f| f.n == nth) {
            return Decision {
                delay,
                fault: Some(nth_failure.kind),
                retry_after_secs,
            };
        }
        let draws = [
            (faults.internal_error, FaultKind::InternalError),
            (faults.slow_down, FaultKind::SlowDown),
            (faults.drop_connection, FaultKind::DropConnection),
            (faults.error_200, FaultKind::Error200),
            (faults.drop_response, FaultKind::DropResponse),
        ];
        for (probability, kind) in draws {
            if probability > 0.0 && rng.next_f64() < probability {
                return Decision {
                    delay,
                    fault: Some(kind),
                    retry_after_secs,
                };
            }
        }
        Decision {
            delay,
            fault: None,
            retry_after_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_decisions_repeat() {
        let mut plan = FaultPlan::default();
        plan.ops.insert(
            Api::UploadPartCopy,
            OpFaults {
                internal_error: 0.3,
                jitter_ms: 10,
                ..OpFaults::default()
            },
        );
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (1..200)
                .map(|n| plan.decide(Api::UploadPartCopy, n, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        let failures = run(1).iter().filter(|d| d.fault.is_some()).count();
        assert!((30..90).contains(&failures), "{failures}");
        assert_eq!(
            plan.decide(Api::PutObject, 1, &mut Rng::new(0)),
            Decision::default()
        );
    }

    #[test]
    fn nth_failure_hits_exactly_that_request() {
        let mut plan = FaultPlan::default();
        plan.ops.insert(
            Api::CompleteMultipartUpload,
            OpFaults {
                fail_nth: vec![NthFailure {
                    n: 2,
                    kind: FaultKind::SlowDown,
                }],
                ..OpFaults::default()
            },
        );
        let mut rng = Rng::new(0);
        assert_eq!(plan.decide(Api::CompleteMultipartUpload, 1, &mut rng).fault, None);
        assert_eq!(
            plan.decide(Api::CompleteMultipartUpload, 2, &mut rng).fault,
            Some(FaultKind::SlowDown)
        );
        assert_eq!(plan.decide(Api::CompleteMultipartUpload, 3, &mut rng).fault, None);
    }
}
