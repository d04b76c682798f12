//! `partcopy cp --recursive SRC DST`: every object under SRC's prefix, copied under DST's.
//!
//! The source's keys are listed a page (1,000 keys) at a time, as the copies need them, so a
//! bucket of millions of objects costs no more memory than a page and the copies in flight. Each
//! object is copied exactly as `partcopy cp` copies one — every option applies, each has its own
//! checkpoint under `--checkpoint-dir`, `--skip-identical` skips what is already there — `--jobs`
//! at a time through one connection pool. One object's failure is reported and the others go on
//! (ossutil's users know the batch that stops at its first bad object); the exit status says
//! whether any failed. One Ctrl-C stops them all: no further object is started, and those in
//! flight stop as a single copy does (aborted, or kept for a resume with `--checkpoint-dir`).

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::{LocalBoxFuture, OptionFuture};
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use partcopy_core::ops::{Failure, ListedObject, Operation, Reply};
use partcopy_core::plan::Plan;
use partcopy_protocol::credentials::Credentials;
use partcopy_transport_hyper::{cancel_pair, HyperTransport, ProtocolWire};
use serde::Serialize;

use crate::error::{CliError, EXIT_BAD_INPUT, EXIT_COPIED, EXIT_FAILED, EXIT_INTERRUPTED};
use crate::progress::BatchBar;
use crate::run::{self, describe, Finished, Shared};
use crate::settings::{KeyFilter, ObjectBounds, Settings};
use crate::size::format_size;
use crate::summary::Summary;
use crate::uploads::Session;
use crate::url::ObjectUrl;

/// Keys asked for per page of List Objects (the services' largest page).
const PAGE: u32 = 1_000;

/// Most summaries `--json` lists of the failed objects (and, with `--dry-run`, of the plans).
pub const MAX_LISTED: usize = 1_000;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The `--json` of `partcopy cp --recursive`: one object for the whole batch.
#[derive(Debug, Default, Serialize)]
pub struct BatchSummary {
    /// `copied` (every object copied or skipped), `planned` (`--dry-run`), `failed` (the listing
    /// or at least one object failed) or `interrupted`.
    pub status: &'static str,
    /// SRC, the prefix listed.
    pub source: String,
    /// DST, the prefix copied to.
    pub destination: String,
    /// Objects listed under SRC (and started: after a Ctrl-C or a failed listing, those reached).
    pub objects: u64,
    /// Objects copied.
    pub copied: u64,
    /// With `--move`: sources deleted, their copies done and checked.
    #[serde(skip_serializing_if = "is_zero")]
    pub sources_deleted: u64,
    /// Objects skipped (`--skip-identical`, `--no-overwrite`).
    pub skipped: u64,
    /// Objects whose copy failed.
    pub failed: u64,
    /// Objects planned (`--dry-run`).
    pub planned: u64,
    /// Objects whose copy was interrupted.
    pub interrupted: u64,
    /// Bytes of the objects copied (with `--dry-run`: of those planned).
    pub bytes: u64,
    /// Wall time of the whole batch.
    pub elapsed_ms: u64,
    /// Requests sent, the listing's included.
    pub requests: u64,
    /// Retries among them.
    pub retries: u64,
    /// The summary of each object that failed or was interrupted, its `error` saying why: the
    /// first [`MAX_LISTED`] of them (each is also on stderr as it happens).
    pub failures: Vec<Summary>,
    /// Failures past the first [`MAX_LISTED`], counted but not listed (a batch whose every
    /// object fails, e.g. for want of permission, keeps its memory bounded).
    #[serde(skip_serializing_if = "is_zero")]
    pub failures_not_listed: u64,
    /// With `--dry-run`: the plan of each object as `cp --dry-run --json` shows it (source,
    /// destination, size, mode, parts, whether it would be skipped…), the first [`MAX_LISTED`]
    /// of them, in the order the plans were made (with `--jobs` above 1, not quite the
    /// listing's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<Summary>,
    /// Plans past the first [`MAX_LISTED`], counted but not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub plans_not_listed: u64,
    /// Why the batch as a whole failed (the listing), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BatchSummary {
    /// The exit status: 130 after a Ctrl-C, 1 when anything failed, 0 otherwise.
    fn exit_code(&self) -> u8 {
        if self.interrupted > 0 || self.status == "interrupted" {
            EXIT_INTERRUPTED
        } else if self.failed > 0 || self.error.is_some() {
            EXIT_FAILED
        } else {
            EXIT_COPIED
        }
    }

    /// The closing line for people.
    fn to_text(&self) -> String {
        let mut counts = Vec::new();
        for (n, what) in [
            (self.copied, "copied"),
            (self.planned, "planned"),
            (self.skipped, "skipped"),
            (self.failed, "failed"),
            (self.interrupted, "interrupted"),
        ] {
            if n > 0 {
                counts.push(format!("{n} {what}"));
            }
        }
        if counts.is_empty() {
            counts.push("nothing copied".to_string());
        }
        format!(
            "{} -> {}: {} object(s), {} ({}) in {:.1} s, {} requests, {} retries",
            self.source,
            self.destination,
            self.objects,
            counts.join(", "),
            format_size(self.bytes),
            self.elapsed_ms as f64 / 1000.0,
            self.requests,
            self.retries,
        )
    }

    /// Counts object `n`'s copy, printing its line (unless `--json`).
    fn record(&mut self, n: u64, mut summary: Summary, result: Result<Finished, CliError>, out: &Output) {
        self.requests += summary.requests;
        self.retries += summary.retries;
        let copied = match &result {
            Ok(Finished::Copied(done)) => done.size.unwrap_or(0),
            _ => 0,
        };
        if let Some(bar) = &out.bar {
            bar.finished(n, copied, result.is_err());
        }
        if let Ok(Finished::Copied(done) | Finished::Skipped(done)) = &result {
            self.sources_deleted += u64::from(done.source_deleted == Some(true));
        }
        match result {
            Ok(Finished::Copied(done)) => {
                self.copied += 1;
                self.bytes += copied;
                out.line(&done.to_text());
            }
            Ok(Finished::Skipped(done)) => {
                self.skipped += 1;
                out.line(&done.to_text());
            }
            Ok(Finished::Planned(dry)) => {
                self.planned += 1;
                self.bytes += dry.size;
                out.line(&plan_line(&summary, &dry));
                if self.plans.len() < MAX_LISTED {
                    dry.describe(&mut summary);
                    self.plans.push(summary);
                } else {
                    self.plans_not_listed += 1;
                }
            }
            Err(error) => {
                summary.status = match &error {
                    CliError::Interrupted(_) => {
                        self.interrupted += 1;
                        "interrupted"
                    }
                    _ => {
                        self.failed += 1;
                        "failed"
                    }
                };
                out.error(&format!(
                    "partcopy: {} -> {}: {error}",
                    summary.source, summary.destination
                ));
                summary.error = Some(error.to_string());
                if self.failures.len() < MAX_LISTED {
                    self.failures.push(summary);
                } else {
                    self.failures_not_listed += 1;
                }
            }
        }
    }
}

/// Where a batch's lines go: stdout (above the bar, when there is one), or nowhere but the one
/// JSON object with `--json`; errors to stderr.
struct Output {
    json: bool,
    bar: Option<Arc<BatchBar>>,
}

impl Output {
    fn line(&self, line: &str) {
        match (&self.bar, self.json) {
            (_, true) => {}
            (Some(bar), false) => bar.println(line),
            (None, false) => println!("{line}"),
        }
    }

    fn error(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.eprintln(line),
            None => eprintln!("{line}"),
        }
    }
}

/// One line of `--dry-run --recursive`: what the copy of one object would be.
fn plan_line(summary: &Summary, dry: &run::DryRun) -> String {
    let how = match &dry.plan {
        Plan::Single { .. } => "single".to_string(),
        Plan::Multipart { part_size, .. } => format!(
            "multipart, {} parts of {}",
            dry.plan.part_count(),
            format_size(*part_size)
        ),
    };
    let mut line = format!(
        "plan {} -> {} ({}, {how})",
        summary.source,
        summary.destination,
        format_size(dry.size)
    );
    if dry.would_skip == Some(true) {
        line.push_str(", would be skipped");
    }
    if let Some(class) = &dry.needs_restore {
        line.push_str(&format!(", needs a restore first ({class})"));
    }
    line
}

/// Runs `partcopy cp --recursive` with checked settings and credentials: prints a line per
/// object (or, with `json`, one [`BatchSummary`]) and returns the exit status.
pub fn run(mut settings: Settings, credentials: Credentials, json: bool) -> ExitCode {
    // One bar for the batch rather than one per object, which would scramble the terminal.
    let bar = (!settings.no_progress && std::io::stderr().is_terminal()).then(|| Arc::new(BatchBar::new()));
    settings.no_progress = true;
    let out = Output { json, bar };
    let mut batch = BatchSummary {
        status: "failed",
        source: settings.source.url.to_string(),
        destination: settings.destination.url.to_string(),
        ..BatchSummary::default()
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            batch.error = Some(format!("cannot start the async runtime: {e}"));
            return report(batch, json);
        }
    };
    let started = Instant::now();
    let result = runtime.block_on(copy_all(&settings, credentials, &mut batch, &out));
    batch.elapsed_ms = started.elapsed().as_millis() as u64;
    if let Some(bar) = &out.bar {
        bar.finish();
    }
    if let Err(error) = result {
        eprintln!("partcopy: {error}");
        if matches!(error, CliError::Usage(_)) {
            if json {
                batch.error = Some(error.to_string());
                println!("{}", serde_json::to_string(&batch).unwrap_or_default());
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        batch.error = Some(error.to_string());
    }
    report(batch, json)
}

fn report(mut batch: BatchSummary, json: bool) -> ExitCode {
    let code = batch.exit_code();
    batch.status = match code {
        EXIT_INTERRUPTED => "interrupted",
        EXIT_FAILED => "failed",
        _ if batch.planned > 0 => "planned",
        _ => "copied",
    };
    if code == EXIT_INTERRUPTED {
        eprintln!(
            "partcopy: interrupted: run the same command again to go on (with --checkpoint-dir, \
             interrupted copies resume; with --skip-identical, objects already copied are skipped)"
        );
    }
    if batch.objects == 0 && batch.error.is_none() && code == EXIT_COPIED {
        eprintln!("partcopy: no object under {}: nothing to copy", batch.source);
    }
    if json {
        println!("{}", serde_json::to_string(&batch).unwrap_or_default());
    } else {
        println!("{}", batch.to_text());
    }
    ExitCode::from(code)
}

/// Lists SRC's keys page by page and copies each object, `settings.jobs` at a time, counting
/// them in `batch`. The next page is asked for while the copies of the last one run.
///
/// # Errors
/// [`CliError`] when nothing can be started (the transport) or the listing failed; the objects
/// listed before a failed listing are copied and counted first.
async fn copy_all(
    settings: &Settings,
    credentials: Credentials,
    batch: &mut BatchSummary,
    out: &Output,
) -> Result<(), CliError> {
    // Options every object's copy would refuse are refused once, before anything is sent.
    run::plan_options(settings)?;
    let transport = run::transport_for(settings, settings.jobs)?;
    let source = run::address(settings.provider, &settings.source)?;
    let wire = ProtocolWire::new(
        source.clone(),
        source,
        run::signer(settings.provider, settings.oss_signature, credentials.clone()),
    );
    let session = Session::with(wire, HyperTransport::clone(&transport), settings.max_attempts);
    let (canceller, signal) = cancel_pair();
    let interrupt = run::on_ctrl_c(canceller);
    let shared = Shared {
        transport: Some(Arc::clone(&transport)),
        cancel: Some(signal.clone()),
        progress: None,
    };
    let mut listing = Listing::new(settings);
    let mut waiting: VecDeque<ListedObject> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    // The next page's List Objects, in flight beside the copies: the queue is refilled while the
    // window stays full, instead of every copy waiting for each page in turn.
    let mut page: Option<LocalBoxFuture<'_, Result<Reply, (Failure, u32)>>> = None;
    let mut listing_error = None;
    // Ask for the next page as soon as less than a page (or a window, when wider) is queued:
    // the queue then holds at most two pages, and a page's listing has the time of a page's
    // copies to come back before the window would wait for it.
    let low_water = (settings.jobs as usize).max(PAGE as usize);
    let mut cancel = signal.clone();
    let mut cancelled = false;
    loop {
        cancelled |= signal.is_cancelled();
        if cancelled {
            page = None;
        } else if page.is_none() && !listing.done && listing_error.is_none() && waiting.len() < low_water {
            match listing.request() {
                Ok(op) => {
                    let session = &session;
                    page = Some(Box::pin(async move { session.send(&op, None).await }));
                }
                Err(error) => listing_error = Some(error),
            }
        }
        while in_flight.len() < settings.jobs as usize && !cancelled {
            let Some(object) = waiting.pop_front() else {
                break;
            };
            let n = batch.objects;
            batch.objects += 1;
            let mut shared = shared.clone();
            if let Some(bar) = &out.bar {
                let bar = Arc::clone(bar);
                shared.progress = Some(Arc::new(move |progress| bar.update(n, progress)));
            }
            let credentials = credentials.clone();
            in_flight.push(async move {
                let (summary, result) = copy_one(settings, object, credentials, shared).await;
                (n, summary, result)
            });
        }
        if in_flight.is_empty() && page.is_none() {
            break;
        }
        tokio::select! {
            Some((n, summary, result)) = in_flight.next(), if !in_flight.is_empty() => {
                batch.record(n, summary, result, out);
            }
            Some(reply) = OptionFuture::from(page.as_mut()), if page.is_some() => {
                page = None;
                match listing.accept(reply) {
                    Ok(objects) => waiting.extend(objects),
                    Err(error) => listing_error = Some(error),
                }
            }
            () = cancel.cancelled(), if !cancelled => cancelled = true,
        }
    }
    interrupt.abort();
    batch.requests += u64::from(session.requests());
    if signal.is_cancelled() {
        batch.status = "interrupted";
    }
    match listing_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The copy of one listed object, as `partcopy cp` would make it: its summary and result.
async fn copy_one(
    settings: &Settings,
    object: ListedObject,
    credentials: Credentials,
    shared: Shared,
) -> (Summary, Result<Finished, CliError>) {
    match settings.object(&object.key) {
        Ok(one) => {
            let mut summary = run::base_summary(&one);
            let result = run::copy_in(&one, credentials, &mut summary, shared).await;
            (summary, result)
        }
        Err(error) => {
            let mut summary = run::base_summary(settings);
            summary.source = ObjectUrl {
                key: object.key,
                ..settings.source.url.clone()
            }
            .to_string();
            (summary, Err(error))
        }
    }
}

/// Where the listing of SRC's keys has got to.
struct Listing {
    prefix: String,
    marker: Option<String>,
    /// The last page was read.
    done: bool,
    /// Pages read, against a service that never ends its listing.
    pages: u64,
    what: String,
    /// `--include` / `--exclude`.
    filter: KeyFilter,
    /// `--min-size`, `--max-size`, `--older-than`, `--newer-than`.
    bounds: ObjectBounds,
}

impl Listing {
    /// Most pages read (a billion keys): a guard against a service that never ends the listing.
    const MAX_PAGES: u64 = 1_000_000;

    fn new(settings: &Settings) -> Listing {
        Listing {
            prefix: settings.source.url.key.clone(),
            marker: None,
            done: false,
            pages: 0,
            what: settings.source.url.to_string(),
            filter: settings.filter.clone(),
            bounds: settings.bounds.clone(),
        }
    }

    /// The List Objects request of the next page.
    ///
    /// # Errors
    /// [`CliError::Failed`] when the service has not ended its listing after
    /// [`Listing::MAX_PAGES`] pages.
    fn request(&mut self) -> Result<Operation, CliError> {
        if self.pages >= Listing::MAX_PAGES {
            return Err(CliError::Failed(format!(
                "List Objects of {} did not end after {} pages",
                self.what,
                Listing::MAX_PAGES
            )));
        }
        self.pages += 1;
        Ok(Operation::ListObjects {
            prefix: self.prefix.clone(),
            marker: self.marker.clone(),
            max_keys: Some(PAGE),
        })
    }

    /// Takes the answer to the last [`Listing::request`]: the page's objects to copy, in key
    /// order, and where the next page starts.
    ///
    /// # Errors
    /// [`CliError::Failed`] when the service refused or every attempt failed.
    fn accept(&mut self, answer: Result<Reply, (Failure, u32)>) -> Result<Vec<ListedObject>, CliError> {
        match answer {
            Ok(Reply::Objects { objects, next }) => {
                self.done = next.is_none();
                self.marker = next;
                // The service lists what starts with the prefix; anything else is not SRC's.
                Ok(objects
                    .into_iter()
                    .filter(|o| {
                        o.key
                            .strip_prefix(self.prefix.as_str())
                            .is_some_and(|rest| self.filter.admits(rest))
                            && self.bounds.admits(o.size, o.last_modified.as_deref())
                    })
                    .collect())
            }
            Ok(other) => Err(CliError::Failed(format!(
                "List Objects got an unexpected reply: {other:?}"
            ))),
            Err((failure, attempts)) => Err(CliError::Failed(format!(
                "List Objects of {} failed after {attempts} attempt(s): {}",
                self.what,
                describe(&failure)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(key: &str) -> Summary {
        use crate::args::{Cli, Command};
        use clap::Parser;
        let source = format!("oss://bucket/{key}");
        let argv = [
            "partcopy",
            "cp",
            &source,
            "oss://other/k",
            "--region",
            "cn-hangzhou",
        ];
        let Command::Cp(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not cp")
        };
        let mut summary = run::base_summary(&crate::settings::from_args(*args).unwrap());
        summary.requests = 2;
        summary
    }

    #[test]
    fn failures_are_counted_all_and_listed_up_to_the_bound() {
        let out = Output {
            json: true,
            bar: None,
        };
        let mut batch = BatchSummary::default();
        for n in 0..MAX_LISTED as u64 + 2 {
            let result = Err(CliError::Failed(format!("no {n}")));
            batch.record(n, summary(&n.to_string()), result, &out);
        }
        batch.record(0, summary("i"), Err(CliError::Interrupted("stop".into())), &out);
        assert_eq!(batch.failed, MAX_LISTED as u64 + 2);
        assert_eq!(batch.interrupted, 1);
        assert_eq!(batch.failures.len(), MAX_LISTED);
        assert_eq!(batch.failures_not_listed, 3);
        assert_eq!(batch.failures[1].error.as_deref(), Some("no 1"));
        assert_eq!(batch.failures[1].status, "failed");
        assert_eq!(batch.requests, 2 * (MAX_LISTED as u64 + 3));
        assert_eq!(batch.exit_code(), EXIT_INTERRUPTED);
        let json: serde_json::Value = serde_json::to_value(&batch).unwrap();
        assert_eq!(json["failures_not_listed"], 3);
        assert!(serde_json::to_value(BatchSummary::default()).unwrap()["failures_not_listed"].is_null());
    }
}
