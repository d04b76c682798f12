//! `partcopy abort DST UPLOAD_ID`: aborts a multipart upload, freeing the parts a copy left.
//!
//! A copy that failed or was stopped with `--checkpoint-dir` keeps its upload so that it can be
//! resumed; one that is given up holds storage (and is billed) until it is aborted or a lifecycle
//! rule removes it. partcopy names such uploads in its messages and in `--json`; this command
//! aborts one without another tool. Abort is idempotent, so server errors and dropped connections
//! are retried.

use std::time::Duration;

use partcopy_core::ops::{FailureKind, Operation, Reply};
use partcopy_transport_hyper::{HyperConfig, HyperTransport, ProtocolWire};
use serde::Serialize;

use crate::args::AbortArgs;
use crate::error::CliError;
use crate::run::{address, describe, send_once, signer, warn_insecure};
use crate::settings::{check_endpoint, check_region, End};
use crate::url::{parse_object_url, ObjectUrl, Provider};

/// What `--json` prints for an abort.
#[derive(Debug, Serialize)]
pub struct AbortSummary {
    /// `aborted` or `failed`.
    pub status: &'static str,
    /// The destination URL.
    pub destination: String,
    /// The upload.
    pub upload_id: String,
    /// Requests sent.
    pub requests: u32,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The checked command line of an abort.
#[derive(Debug)]
pub struct AbortPlan {
    /// The destination and where its service is.
    pub end: End,
    /// The upload.
    pub upload_id: String,
}

impl AbortPlan {
    /// The destination URL.
    pub fn url(&self) -> &ObjectUrl {
        &self.end.url
    }
}

/// Checks `args`: a valid DST, a region, an endpoint that parses, an upload id the service could
/// have given.
///
/// # Errors
/// [`CliError`] with exit status 2, saying what to change.
pub fn check(args: &AbortArgs) -> Result<AbortPlan, CliError> {
    let url = parse_object_url(&args.destination).map_err(|error| CliError::Url { which: "DST", error })?;
    let id = &args.upload_id;
    if id.is_empty() || id.len() > 1024 || !id.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(CliError::Usage(
            "UPLOAD_ID must be an upload id as the service gave it (printable ASCII, no spaces)".to_string(),
        ));
    }
    let Some(region) = &args.region else {
        let example = match url.provider {
            Provider::Cos => "ap-guangzhou",
            Provider::Oss => "cn-hangzhou",
        };
        return Err(CliError::Usage(format!(
            "DST needs a region: add --region {example}"
        )));
    };
    check_region(region)?;
    if let Some(endpoint) = &args.endpoint {
        check_endpoint(endpoint)?;
    }
    Ok(AbortPlan {
        end: End {
            url,
            region: Some(region.clone()),
            endpoint: args.endpoint.clone(),
            version_id: None,
            customer_key: None,
        },
        upload_id: id.clone(),
    })
}

/// Sends Abort Multipart Upload, retrying server errors and transport failures up to
/// `--max-attempts` times (0.2 s, 0.4 s, … apart).
///
/// # Errors
/// [`CliError::Failed`] when the service refuses (saying so for an upload that does not exist)
/// or every attempt failed.
pub async fn abort(
    args: &AbortArgs,
    plan: &AbortPlan,
    credentials: partcopy_protocol::credentials::Credentials,
    summary: &mut AbortSummary,
) -> Result<(), CliError> {
    let provider = plan.end.url.provider;
    let destination = address(provider, &plan.end)?;
    let wire = ProtocolWire::new(
        destination.clone(),
        destination,
        signer(provider, args.oss_signature, credentials),
    );
    let mut config = HyperConfig::default();
    config.request_timeout = args.request_timeout;
    config.insecure_skip_verify = args.insecure_skip_verify;
    if args.insecure_skip_verify {
        warn_insecure();
    }
    let transport = HyperTransport::new(config).map_err(|e| CliError::Failed(e.to_string()))?;
    let op = Operation::Abort {
        upload_id: plan.upload_id.clone(),
    };
    let mut delay = Duration::from_millis(200);
    loop {
        summary.requests += 1;
        let failure = match send_once(&transport, &wire, &op).await {
            Ok(Reply::Aborted) => {
                summary.status = "aborted";
                return Ok(());
            }
            Ok(other) => {
                return Err(CliError::Failed(format!(
                    "Abort Multipart Upload got an unexpected reply: {other:?}"
                )))
            }
            Err(failure) => failure,
        };
        if failure.kind.is_retryable() && summary.requests < args.max_attempts {
            tracing::info!(failure = %describe(&failure), "retrying Abort Multipart Upload");
            tokio::time::sleep(delay).await;
            delay *= 2;
            continue;
        }
        let attempts = summary.requests;
        return Err(CliError::Failed(if failure.kind == FailureKind::NoSuchUpload {
            format!(
                "no upload {} at {}: it was already aborted or completed, or has expired — or the \
                 id, DST or region is not the upload's ({})",
                plan.upload_id,
                plan.url(),
                describe(&failure)
            )
        } else {
            format!(
                "Abort Multipart Upload of {} at {} failed after {attempts} attempt(s): {}",
                plan.upload_id,
                plan.url(),
                describe(&failure)
            )
        }));
    }
}
