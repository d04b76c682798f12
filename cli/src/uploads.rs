//! `partcopy uploads DST` and `partcopy abort DST UPLOAD_ID`: the multipart uploads copies leave,
//! from the checked command line to the exit status.
//!
//! A copy that failed or was stopped with `--checkpoint-dir` keeps its upload so that it can be
//! resumed; one that is given up — or whose Initiate answer was lost — holds storage (and is
//! billed) until it is aborted or a lifecycle rule removes it. partcopy names the uploads it keeps
//! in its messages and in `--json`; these commands find and abort them without another tool. Both
//! requests are safe to repeat, so server errors and dropped connections are retried, with a copy
//! job's backoff.

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use futures_util::{stream, StreamExt};
use partcopy_core::job::JobConfig;
use partcopy_core::ops::{Failure, FailureKind, ListedUpload, Operation, Reply};
use partcopy_core::retry::{Backoff, Jitter};
use partcopy_protocol::credentials::Credentials;
use partcopy_transport_hyper::{HyperConfig, HyperTransport, ProtocolWire};
use serde::Serialize;

use crate::args::{AbortArgs, UploadTarget, UploadsArgs};
use crate::duration::age_text;
use crate::error::CliError;
use crate::run::{address, command_for, describe, jitter_seed, send_once, signer, warn_insecure};
use crate::settings::{acceleration_note, check_endpoint, check_region, example_region, End};
use crate::url::{parse_object_url, parse_prefix_url, ObjectUrl};

/// Most pages `uploads` reads (1,000 uploads each): a guard against a service that never ends
/// the listing, far beyond what one key has.
const MAX_PAGES: u32 = 1_000;

/// DST, checked: where its service is.
#[derive(Debug)]
pub struct Target {
    /// The object and where its service is.
    pub end: End,
}

impl Target {
    /// The destination URL.
    pub fn url(&self) -> &ObjectUrl {
        &self.end.url
    }

    /// The URL of `key` in DST's bucket (with `--prefix`, an upload's own key).
    fn url_of(&self, key: &str) -> ObjectUrl {
        ObjectUrl {
            key: key.to_string(),
            ..self.end.url.clone()
        }
    }

    /// What a listing covers, for people: DST, or with `prefix` the keys under it.
    fn scope(&self, prefix: bool) -> String {
        if prefix {
            format!("keys under {}", self.url())
        } else {
            self.url().to_string()
        }
    }
}

/// Checks DST, the region and the endpoint. With `prefix`, DST's key is a prefix and may be empty
/// (the whole bucket).
///
/// # Errors
/// [`CliError`] with exit status 2, saying what to change.
pub fn check(args: &UploadTarget, prefix: bool) -> Result<Target, CliError> {
    let parse = if prefix {
        parse_prefix_url
    } else {
        parse_object_url
    };
    let url = parse(&args.destination).map_err(|error| CliError::Url { which: "DST", error })?;
    let Some(region) = &args.region else {
        return Err(CliError::Usage(format!(
            "DST needs a region: add --region {}",
            example_region(url.provider)
        )));
    };
    check_region(region)?;
    if let Some(endpoint) = &args.endpoint {
        check_endpoint(endpoint)?;
        if let Some(note) = acceleration_note(endpoint) {
            eprintln!("partcopy: warning: {note}");
        }
    }
    Ok(Target {
        end: End {
            url,
            region: Some(region.clone()),
            endpoint: args.endpoint.clone(),
            version_id: None,
            customer_key: None,
        },
    })
}

/// Checks an upload id: as a service gives them, printable ASCII without spaces.
///
/// # Errors
/// [`CliError::Usage`] otherwise.
pub fn check_upload_id(id: &str) -> Result<(), CliError> {
    if id.is_empty() || id.len() > 1024 || !id.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(CliError::Usage(
            "UPLOAD_ID must be an upload id as the service gave it (printable ASCII, no spaces)".to_string(),
        ));
    }
    Ok(())
}

/// Signed requests to DST's service, retried as `--max-attempts` says. Several may be in flight
/// at once (`abort --all -j N`), all on the one thread of the runtime.
pub struct Session {
    wire: ProtocolWire,
    transport: HyperTransport,
    max_attempts: u32,
    /// The delays between attempts: a copy job's (capped, jittered, at least a `Retry-After`).
    backoff: Backoff,
    jitter: RefCell<Jitter>,
    /// Requests sent so far.
    requests: Cell<u32>,
}

impl Session {
    /// A session for `target` under `args`' transport options.
    ///
    /// # Errors
    /// [`CliError`] when the endpoint or the TLS set-up is unusable.
    pub fn new(args: &UploadTarget, target: &Target, credentials: Credentials) -> Result<Session, CliError> {
        let provider = target.end.url.provider;
        let destination = address(provider, &target.end)?;
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
        Ok(Session::with(wire, transport, args.max_attempts))
    }

    /// A session sending through `wire` and `transport`, `max_attempts` attempts per request.
    pub fn with(wire: ProtocolWire, transport: HyperTransport, max_attempts: u32) -> Session {
        Session {
            wire,
            transport,
            max_attempts,
            backoff: JobConfig::default().backoff,
            jitter: RefCell::new(Jitter::new(jitter_seed())),
            requests: Cell::new(0),
        }
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u32 {
        self.requests.get()
    }

    /// Sends `op` for DST's key, or for `key` in DST's bucket when given (`--prefix`: each upload
    /// is aborted at its own key); again after a server error or a transport failure (with a copy
    /// job's backoff) up to the session's most attempts; the last failure and the attempts it
    /// took otherwise.
    pub async fn send(&self, op: &Operation, key: Option<&str>) -> Result<Reply, (Failure, u32)> {
        let elsewhere = key.filter(|key| *key != self.wire.destination().key).map(|key| {
            let mut address = self.wire.destination().clone();
            address.key = key.to_string();
            ProtocolWire::new(address.clone(), address, self.wire.signer().clone())
                .with_clock(self.wire.service_clock().clone())
        });
        let wire = elsewhere.as_ref().unwrap_or(&self.wire);
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.requests.set(self.requests.get() + 1);
            match send_once(&self.transport, wire, op).await {
                Ok(reply) => return Ok(reply),
                Err(failure) if failure.kind.is_retryable() && attempts < self.max_attempts => {
                    tracing::info!(failure = %describe(&failure), "retrying");
                    let delay =
                        self.backoff
                            .delay(attempts, failure.retry_after, &mut self.jitter.borrow_mut());
                    tokio::time::sleep(delay).await;
                }
                Err(failure) => return Err((failure, attempts)),
            }
        }
    }
}

/// The `--json` of `partcopy uploads`.
#[derive(Debug, Serialize)]
pub struct UploadsSummary {
    /// `listed` or `failed`.
    pub status: &'static str,
    /// The destination URL.
    pub destination: String,
    /// Its uploads in progress, oldest key order as the service lists them.
    pub uploads: Vec<UploadSummary>,
    /// Requests sent.
    pub requests: u32,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One upload in `--json`.
#[derive(Debug, Serialize)]
pub struct UploadSummary {
    /// The key it would create (DST's, but for `--prefix`).
    pub key: String,
    /// The upload's id.
    pub upload_id: String,
    /// When it was initiated, as the service wrote it.
    pub initiated: Option<String>,
    /// Its storage class, when the service reports one.
    pub storage_class: Option<String>,
}

/// Which uploads a listing keeps.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    /// Every key under DST's (`--prefix`), not just DST's own.
    pub prefix: bool,
    /// Only uploads initiated at least this long before `now` (`--older-than`).
    pub older_than: Option<Duration>,
    /// The clock's time when the command started.
    pub now: SystemTime,
}

impl Filter {
    /// Whether `upload` is old enough. One whose `Initiated` is missing or unreadable never is: an
    /// upload that cannot be dated is not aborted by age.
    fn old_enough(&self, upload: &ListedUpload) -> bool {
        let Some(age) = self.older_than else {
            return true;
        };
        match initiated_at(upload) {
            Some(at) => at + age <= self.now,
            None => {
                tracing::warn!(
                    upload_id = %upload.upload_id,
                    initiated = ?upload.initiated,
                    "cannot read when the upload was initiated; --older-than leaves it out"
                );
                false
            }
        }
    }
}

/// Lists every upload of exactly DST's key — or, with `filter.prefix`, of every key that starts
/// with it —, following the pages, keeping those `filter` says.
///
/// # Errors
/// [`CliError::Failed`] when the service refuses or every attempt of a page failed.
pub async fn list(target: &Target, filter: Filter, session: &Session) -> Result<Vec<ListedUpload>, CliError> {
    let prefix = filter.prefix;
    let key = &target.end.url.key;
    let mut found = Vec::new();
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let op = Operation::ListUploads {
            prefix: key.clone(),
            after: after.take(),
            max_uploads: Some(1000),
        };
        let (uploads, next) = match session.send(&op, None).await {
            Ok(Reply::Uploads { uploads, next }) => (uploads, next),
            Ok(other) => {
                return Err(CliError::Failed(format!(
                    "List Multipart Uploads got an unexpected reply: {other:?}"
                )))
            }
            Err((failure, attempts)) => {
                return Err(CliError::Failed(format!(
                    "List Multipart Uploads of {} failed after {attempts} attempt(s): {}",
                    target.url(),
                    describe(&failure)
                )))
            }
        };
        // The prefix also matches longer keys (`big.iso` lists `big.iso.bak`'s too).
        found.extend(
            uploads
                .into_iter()
                .filter(|u| (prefix || &u.key == key) && filter.old_enough(u)),
        );
        match next {
            // Past DST's key, no upload of it follows.
            Some(next) if prefix || next.key <= *key => after = Some(next),
            _ => return Ok(found),
        }
    }
    Err(CliError::Failed(format!(
        "List Multipart Uploads of {} did not end after {MAX_PAGES} pages",
        target.url()
    )))
}

/// What became of the upload an abort named.
#[derive(Debug)]
pub enum Aborted {
    /// Aborted by this request, or by an earlier attempt whose answer was lost.
    Now,
    /// Not there at the first attempt: aborted or completed by someone else, expired — or never
    /// this DST's. The service's answer.
    AlreadyGone(Failure),
}

/// Aborts `upload_id` of `key` (DST's key, or one under it with `--prefix`).
///
/// # Errors
/// [`CliError::Failed`] when the service refuses (other than with NoSuchUpload) or every attempt
/// failed.
pub async fn abort(
    target: &Target,
    key: &str,
    upload_id: &str,
    session: &Session,
) -> Result<Aborted, CliError> {
    let op = Operation::Abort {
        upload_id: upload_id.to_string(),
    };
    let url = target.url_of(key);
    match session.send(&op, Some(key)).await {
        Ok(Reply::Aborted) => Ok(Aborted::Now),
        Ok(other) => Err(CliError::Failed(format!(
            "Abort Multipart Upload got an unexpected reply: {other:?}"
        ))),
        // A retry that finds the upload gone: an earlier attempt took effect and its answer was
        // lost (or someone else aborted it meanwhile) — either way it is aborted.
        Err((failure, attempts)) if failure.kind == FailureKind::NoSuchUpload && attempts > 1 => {
            tracing::info!(
                upload_id,
                "the retried abort found the upload gone: an earlier attempt took effect"
            );
            Ok(Aborted::Now)
        }
        Err((failure, _)) if failure.kind == FailureKind::NoSuchUpload => Ok(Aborted::AlreadyGone(failure)),
        Err((failure, attempts)) => Err(CliError::Failed(format!(
            "Abort Multipart Upload of {upload_id} at {url} failed after {attempts} attempt(s): {}",
            describe(&failure)
        ))),
    }
}

/// The error for an upload named on the command line that is not there.
fn not_there(target: &Target, upload_id: &str, failure: &Failure) -> CliError {
    CliError::Failed(format!(
        "no upload {upload_id} at {}: it was already aborted or completed, or has expired — or the \
         id, DST or region is not the upload's ({})",
        target.url(),
        describe(failure)
    ))
}

/// The `--json` of `partcopy abort`.
#[derive(Debug, Serialize)]
pub struct AbortSummary {
    /// `aborted` or `failed` (with `--all`: `failed` when any abort failed).
    pub status: &'static str,
    /// The destination URL.
    pub destination: String,
    /// The upload named on the command line (absent with `--all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    /// The uploads aborted.
    pub aborted: Vec<String>,
    /// `--all`: uploads that were gone by the time their abort arrived (completed or aborted by
    /// someone else).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<String>,
    /// `--all`: every upload the listing chose, with its key and what became of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<AbortEntry>,
    /// Requests sent.
    pub requests: u32,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One upload `abort --all` chose, in `--json`.
#[derive(Debug, Serialize)]
pub struct AbortEntry {
    /// The key it would have created.
    pub key: String,
    /// Its id.
    pub upload_id: String,
    /// `aborted`, `gone` (not there when its abort arrived) or `failed`.
    pub result: &'static str,
}

/// `--all`: lists DST's uploads (with `filter.prefix`, those of every key under DST's) and aborts
/// each at its own key, `concurrency` at a time, going on past failures. What became of each is
/// recorded in `summary`, in listing order.
///
/// # Errors
/// [`CliError::Failed`] when the listing failed, or naming every abort that did.
async fn abort_all(
    target: &Target,
    filter: Filter,
    concurrency: usize,
    session: &Session,
    summary: &mut AbortSummary,
) -> Result<(), CliError> {
    let mut failures = Vec::new();
    let listed = list(target, filter, session).await?;
    let mut results = stream::iter(listed)
        .map(|upload| async move {
            let result = abort(target, &upload.key, &upload.upload_id, session).await;
            (upload, result)
        })
        .buffered(concurrency.max(1));
    while let Some((upload, result)) = results.next().await {
        let result = match result {
            Ok(Aborted::Now) => {
                summary.aborted.push(upload.upload_id.clone());
                "aborted"
            }
            Ok(Aborted::AlreadyGone(_)) => {
                summary.gone.push(upload.upload_id.clone());
                "gone"
            }
            Err(error) => {
                failures.push(error.to_string());
                "failed"
            }
        };
        summary.uploads.push(AbortEntry {
            key: upload.key,
            upload_id: upload.upload_id,
            result,
        });
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} of {} abort(s) failed:\n  {}",
            failures.len(),
            failures.len() + summary.aborted.len() + summary.gone.len(),
            failures.join("\n  ")
        )))
    }
}

/// Runs `work` on a one-thread runtime with the credentials of `target`'s cloud.
fn with_session<T>(
    target: &UploadTarget,
    checked: &Target,
    work: impl AsyncFnOnce(&Session) -> Result<T, CliError>,
    requests: &mut u32,
) -> Result<T, CliError> {
    let credentials = crate::credentials::load(checked.url().provider, |name| std::env::var(name).ok())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    let session = Session::new(target, checked, credentials)?;
    let result = runtime.block_on(work(&session));
    *requests = session.requests();
    result
}

/// Prints `error` (and, with `--json`, `summary`) and gives the exit status.
fn report<S: Serialize>(json: bool, summary: &S, error: Option<&CliError>) -> ExitCode {
    if let Some(error) = error {
        eprintln!("partcopy: {error}");
    }
    if json {
        println!(
            "{}",
            serde_json::to_string(summary)
                .unwrap_or_else(|e| format!("{{\"status\":\"failed\",\"error\":\"{e}\"}}"))
        );
    }
    match error {
        Some(error) => ExitCode::from(error.exit_code()),
        None => ExitCode::SUCCESS,
    }
}

/// `partcopy uploads DST`: lists, prints, gives the exit status.
pub fn run_uploads(args: UploadsArgs) -> ExitCode {
    let target = match check(&args.target, args.prefix) {
        Ok(target) => target,
        Err(error) => return report(false, &(), Some(&error)),
    };
    let mut summary = UploadsSummary {
        status: "failed",
        destination: target.url().to_string(),
        uploads: Vec::new(),
        requests: 0,
        error: None,
    };
    let filter = Filter {
        prefix: args.prefix,
        older_than: args.older_than,
        now: SystemTime::now(),
    };
    let result = with_session(
        &args.target,
        &target,
        async |session| list(&target, filter, session).await,
        &mut summary.requests,
    );
    match result {
        Ok(found) => {
            summary.status = "listed";
            if !args.target.json {
                print!("{}", uploads_text(&target, args.prefix, &found, filter.now));
            }
            summary.uploads = found
                .into_iter()
                .map(|u| UploadSummary {
                    key: u.key,
                    upload_id: u.upload_id,
                    initiated: u.initiated,
                    storage_class: u.storage_class,
                })
                .collect();
            report(args.target.json, &summary, None)
        }
        Err(error) => {
            summary.error = Some(error.to_string());
            report(args.target.json, &summary, Some(&error))
        }
    }
}

/// When `upload` was initiated, if the service said so readably (RFC 3339).
fn initiated_at(upload: &ListedUpload) -> Option<SystemTime> {
    crate::duration::listed_time(upload.initiated.as_deref()?)
}

/// The uploads of `target` (its key, or with `prefix` every key under it) for people: one line
/// each with its age at `now`, and how to abort one.
fn uploads_text(target: &Target, prefix: bool, found: &[ListedUpload], now: SystemTime) -> String {
    let what = target.scope(prefix);
    if found.is_empty() {
        return format!("no multipart uploads in progress for {what}\n");
    }
    let mut text = String::new();
    for upload in found {
        // A clock behind the service's makes a recent upload "0s" old, never negative.
        let age = initiated_at(upload).map_or(String::new(), |at| {
            format!(" ({} ago)", age_text(now.duration_since(at).unwrap_or_default()))
        });
        text.push_str(&format!(
            "{}  initiated {}{age}  {}",
            upload.upload_id,
            upload.initiated.as_deref().unwrap_or("?"),
            upload.storage_class.as_deref().unwrap_or("")
        ));
        if prefix {
            text.push_str(&format!("  {}", upload.key));
        }
        text.push('\n');
    }
    // Under a prefix the key to abort is each line's own.
    let mut end = target.end.clone();
    if prefix {
        end.url.key = "KEY".to_string();
    }
    text.push_str(&format!(
        "{} upload(s) in progress for {what}; each holds the parts copied so far. Give one up with: \
         {}\n",
        found.len(),
        command_for("abort", &end, Some("UPLOAD_ID"))
    ));
    text
}

/// `partcopy abort DST UPLOAD_ID` (or `--all`): aborts, prints, gives the exit status.
pub fn run_abort(args: AbortArgs) -> ExitCode {
    let checked = check(&args.target, args.prefix).and_then(|target| {
        if let Some(id) = &args.upload_id {
            check_upload_id(id)?;
        }
        if args.prefix && !args.all {
            return Err(CliError::Usage(
                "--prefix chooses the uploads --all aborts: give --all instead of an UPLOAD_ID".to_string(),
            ));
        }
        if args.prefix && args.older_than.is_none() {
            return Err(CliError::Usage(format!(
                "--prefix aborts the uploads of every key under {}, which may be other writers' \
                 in progress: say how old an upload must be to go, e.g. --older-than 7d \
                 (--older-than 0s takes every one; partcopy uploads DST --prefix lists them)",
                target.url()
            )));
        }
        if args.older_than.is_some() && !args.all {
            return Err(CliError::Usage(
                "--older-than chooses among the uploads --all aborts: give --all instead of an \
                 UPLOAD_ID (partcopy uploads DST --older-than AGE lists them)"
                    .to_string(),
            ));
        }
        Ok(target)
    });
    let target = match checked {
        Ok(target) => target,
        Err(error) => return report(false, &(), Some(&error)),
    };
    let mut summary = AbortSummary {
        status: "failed",
        destination: target.url().to_string(),
        upload_id: args.upload_id.clone(),
        aborted: Vec::new(),
        gone: Vec::new(),
        uploads: Vec::new(),
        requests: 0,
        error: None,
    };
    let mut requests = 0;
    let result = with_session(
        &args.target,
        &target,
        async |session| match &args.upload_id {
            Some(id) => match abort(&target, &target.url().key, id, session).await? {
                Aborted::Now => {
                    summary.aborted.push(id.clone());
                    Ok(())
                }
                Aborted::AlreadyGone(failure) => Err(not_there(&target, id, &failure)),
            },
            None => {
                let filter = Filter {
                    prefix: args.prefix,
                    older_than: args.older_than,
                    now: SystemTime::now(),
                };
                abort_all(&target, filter, args.concurrency as usize, session, &mut summary).await
            }
        },
        &mut requests,
    );
    summary.requests = requests;
    if !args.target.json {
        print!(
            "{}",
            abort_text(
                &target,
                args.prefix,
                args.older_than.is_some(),
                &summary,
                result.is_ok()
            )
        );
    }
    match result {
        Ok(()) => {
            summary.status = "aborted";
            report(args.target.json, &summary, None)
        }
        Err(error) => {
            summary.error = Some(error.to_string());
            report(args.target.json, &summary, Some(&error))
        }
    }
}

/// What `abort` did, for people: a line per upload aborted or found gone, each with its key.
/// `older`: `--older-than` chose among them.
fn abort_text(target: &Target, prefix: bool, older: bool, summary: &AbortSummary, ok: bool) -> String {
    let mut text = String::new();
    if summary.uploads.is_empty() {
        // One named upload.
        for id in &summary.aborted {
            text.push_str(&format!("aborted upload {id} of {}\n", target.url()));
        }
    }
    for entry in &summary.uploads {
        let (id, url) = (&entry.upload_id, target.url_of(&entry.key));
        match entry.result {
            "aborted" => text.push_str(&format!("aborted upload {id} of {url}\n")),
            "gone" => text.push_str(&format!("upload {id} of {url} was already gone\n")),
            _ => {}
        }
    }
    if summary.upload_id.is_none() && summary.uploads.is_empty() && ok {
        let old = if older { " initiated that long ago" } else { "" };
        text.push_str(&format!(
            "no multipart uploads in progress for {}{old}\n",
            target.scope(prefix)
        ));
    }
    text
}
