//! The transport seam: one signed request in, one response (or a typed error) out.
//!
//! A [`Transport`] only moves bytes. It does not retry, sign, or interpret status codes: a `404` or a
//! `503` is a response like any other, and deciding what it means is the protocol's and the job's
//! business. A [`TransportError`] means the request got no complete answer at all.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use partcopy_core::ops::{Failure, FailureKind};

/// The future a [`Transport`] returns: owned (`'static`) and `Send`, so a driver can spawn it.
pub type SendFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'static>>;

/// Sends one HTTP request and returns the whole response.
///
/// The method returns a boxed, `'static` future rather than being an `async fn`, for two reasons:
/// the trait stays object-safe, so a program can pick its transport at run time and hold an
/// `Arc<dyn Transport>`; and the future owns everything it needs, so the driver can spawn many of
/// them on a multi-threaded runtime to keep its concurrency window full. One allocation per request
/// is nothing next to a network round trip. Implementations typically clone a cheap, shared client
/// handle into the future.
///
/// Implementations must return every HTTP response, whatever its status, as `Ok`, and must bound
/// how long a request may take and how large a response body may be.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and resolves to the response with its body read in full.
    ///
    /// # Errors
    /// A [`TransportError`] when no complete response arrived: the connection could not be made,
    /// broke, timed out, or the body was over the transport's size bound.
    fn send(&self, request: http::Request<Bytes>) -> SendFuture;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: http::Request<Bytes>) -> SendFuture {
        (**self).send(request)
    }
}

/// Why a request got no complete response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The request cannot be sent as given (no scheme or host, an unsupported scheme, …).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: String,
    },
    /// No connection could be made to the endpoint (refused, DNS failure, TLS handshake failure).
    #[error("cannot connect to {authority}: {detail}")]
    Connect {
        /// `host:port` of the endpoint.
        authority: String,
        /// The underlying errors, outermost first.
        detail: String,
    },
    /// Connecting took longer than the connect timeout.
    #[error("connecting to {authority} timed out after {after:?}")]
    ConnectTimeout {
        /// `host:port` of the endpoint.
        authority: String,
        /// The connect timeout in force.
        after: Duration,
    },
    /// The whole exchange (send, wait, read the body) took longer than the request timeout.
    #[error("no complete response from {authority} within {after:?}")]
    Timeout {
        /// `host:port` of the endpoint.
        authority: String,
        /// The request timeout in force.
        after: Duration,
    },
    /// The connection failed after it was made: reset, closed mid-response, malformed HTTP.
    #[error("connection to {authority} failed: {detail}")]
    Io {
        /// `host:port` of the endpoint.
        authority: String,
        /// The underlying errors, outermost first.
        detail: String,
    },
    /// The response body was larger than the transport accepts.
    #[error("response body from {authority} is larger than {limit} bytes")]
    BodyTooLarge {
        /// `host:port` of the endpoint.
        authority: String,
        /// The bound in force, in bytes.
        limit: usize,
    },
}

impl TransportError {
    /// Whether sending the same request again may succeed (connection trouble and timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::ConnectTimeout { .. }
                | TransportError::Timeout { .. }
                | TransportError::Io { .. }
        )
    }

    /// A short, stable name for the error, used as [`Failure::code`].
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::InvalidRequest { .. } => "InvalidRequest",
            TransportError::Connect { .. } => "ConnectError",
            TransportError::ConnectTimeout { .. } => "ConnectTimeout",
            TransportError::Timeout { .. } => "RequestTimeout",
            TransportError::Io { .. } => "ConnectionError",
            TransportError::BodyTooLarge { .. } => "ResponseTooLarge",
        }
    }

    /// The failure core should see for this error: [`FailureKind::Transport`] when retrying may
    /// help, [`FailureKind::Fatal`] otherwise. No status, request id or `Retry-After`.
    pub fn to_failure(&self) -> Failure {
        Failure {
            kind: if self.is_retryable() {
                FailureKind::Transport
            } else {
                FailureKind::Fatal
            },
            status: None,
            code: self.code().to_string(),
            message: self.to_string(),
            request_id: None,
            retry_after: None,
        }
    }
}

impl From<TransportError> for Failure {
    fn from(error: TransportError) -> Failure {
        error.to_failure()
    }
}

/// Renders an error and its chain of sources as one line, outermost first (`a: b: c`).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_trouble_is_retryable_and_bad_input_is_not() {
        let connect = TransportError::Connect {
            authority: "h:1".into(),
            detail: "refused".into(),
        };
        assert!(connect.is_retryable());
        assert_eq!(connect.to_failure().kind, FailureKind::Transport);
        let big = TransportError::BodyTooLarge {
            authority: "h:1".into(),
            limit: 10,
        };
        assert!(!big.is_retryable());
        let failure: Failure = big.into();
        assert_eq!(failure.kind, FailureKind::Fatal);
        assert_eq!(failure.code, "ResponseTooLarge");
        assert!(failure.message.contains("larger than 10 bytes"));
    }

    #[test]
    fn error_chain_lists_causes_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer: inner");
    }
}
