//! `partcopy cp`: builds the job from the settings, runs it with the driver, verifies and reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use partcopy_core::checkpoint::Record;
use partcopy_core::confirm::Evidence;
use partcopy_core::job::{
    CopyJob, CopyMode, JobConfig, JobError, JobSpec, OperationKind, Outcome, Phase, TagsHandling, UploadFate,
};
use partcopy_core::ops::{
    Failure, FailureKind, MetadataDirective, ObjectMetadata, Operation, Reply, SourceInfo,
};
use partcopy_core::plan::{plan, Limits, PartSpec, Plan, PlanOptions};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::endpoint::{Endpoint, ObjectAddress};
use partcopy_protocol::sign::{OssSignature, Signer};
use partcopy_transport_hyper::journal::OpenError;
use partcopy_transport_hyper::{
    cancel_pair, drive, CancelSignal, Canceller, DriveError, FileJournal, HyperConfig, HyperTransport,
    Journal, NoJournal, ProtocolWire, Wire,
};

use crate::args::{Directive, OssSignatureArg};
use crate::error::CliError;
use crate::lock::CheckpointLock;
use crate::progress::ProgressBar;
use crate::settings::{End, Settings};
use crate::summary::Summary;
use crate::url::Provider;

/// What a finished `cp` reports.
pub enum Finished {
    /// The object was copied.
    Copied(Box<Summary>),
    /// `--dry-run`: the plan, printed by the caller.
    Planned(DryRun),
    /// `--no-overwrite` and the destination exists: nothing was copied.
    Skipped(Box<Summary>),
}

/// The plan `--dry-run` prints.
#[derive(Debug)]
pub struct DryRun {
    /// The source's size.
    pub size: u64,
    /// The plan.
    pub plan: Plan,
    /// With `--no-overwrite` or `--skip-identical`: whether the copy would be skipped.
    pub would_skip: Option<bool>,
    /// The source's storage class when its data is archived and not restored (the copy would be
    /// refused).
    pub needs_restore: Option<String>,
}

impl DryRun {
    /// Fills in `summary` as the plan's JSON shows it: status `planned`, the size, the mode and,
    /// for a multipart copy, the part size, the part count and the first and last ranges.
    pub fn describe(&self, summary: &mut Summary) {
        summary.status = "planned";
        summary.size = Some(self.size);
        summary.would_skip = self.would_skip;
        summary.needs_restore = self.needs_restore.clone();
        let range = |p: &PartSpec| format!("bytes={}-{}", p.range.first, p.range.last);
        match &self.plan {
            Plan::Single { .. } => {
                summary.mode = Some("single");
                summary.parts = Some(0);
            }
            Plan::Multipart { part_size, .. } => {
                summary.mode = Some("multipart");
                summary.part_size = Some(*part_size);
                summary.parts = Some(self.plan.part_count());
                summary.first_range = self.plan.parts().next().as_ref().map(range);
                summary.last_range = self.plan.parts().next_back().as_ref().map(range);
            }
        }
    }
}

/// The provider's limits as core knows them.
pub fn limits(provider: Provider) -> Limits {
    match provider {
        Provider::Cos => Limits::COS,
        Provider::Oss => Limits::OSS,
    }
}

/// The copy's summary so far, for the failure report too.
pub fn base_summary(settings: &Settings) -> Summary {
    Summary {
        status: "failed",
        mode: None,
        source: settings.source.url.to_string(),
        destination: settings.destination.url.to_string(),
        size: None,
        part_size: None,
        parts: None,
        resumed_parts: None,
        etag: None,
        upload_id: None,
        elapsed_ms: 0,
        requests: 0,
        retries: 0,
        verified: None,
        confirmed: None,
        restarted: None,
        uncertain_initiates: None,
        error: None,
        first_range: None,
        last_range: None,
        would_skip: None,
        skipped_because: None,
        needs_restore: None,
        source_deleted: None,
    }
}

/// A batch's listener for one copy's progress.
pub type OnProgress = Arc<dyn Fn(&partcopy_core::job::Progress) + Send + Sync>;

/// What the copies of one `cp --recursive` share; a single `cp` makes its own
/// ([`Shared::default`]).
#[derive(Clone, Default)]
pub struct Shared {
    /// One connection pool for every object's requests; `None`: the copy builds its own.
    pub transport: Option<Arc<HyperTransport>>,
    /// One Ctrl-C for every object; `None`: the copy listens for Ctrl-C itself.
    pub cancel: Option<CancelSignal>,
    /// Told of the copy's progress, when a batch shows it (the copy then draws no bar of its own).
    pub progress: Option<OnProgress>,
}

/// Runs `partcopy cp` with checked settings and credentials.
///
/// # Errors
/// [`CliError`] with exit status 2 for plan options outside the provider's limits, 1 for every
/// failure met while copying; `summary` is filled with what is known either way.
pub async fn copy(
    settings: &Settings,
    credentials: Credentials,
    summary: &mut Summary,
) -> Result<Finished, CliError> {
    copy_in(settings, credentials, summary, Shared::default()).await
}

/// The provider's limits and the plan options `settings` ask for, checked against them.
///
/// # Errors
/// [`CliError::Usage`] for a part size or threshold outside the provider's limits.
pub fn plan_options(settings: &Settings) -> Result<(Limits, PlanOptions), CliError> {
    let limits = limits(settings.provider);
    let options = PlanOptions {
        part_size: settings.part_size,
        threshold: settings.threshold,
    };
    partcopy_core::plan::check_options(&limits, &options).map_err(|e| {
        CliError::Usage(format!(
            "{e} (the {} limits: parts {} to {}, one PUT-Copy up to {})",
            settings.provider.name(),
            crate::size::format_size(limits.min_part_size),
            crate::size::format_size(limits.max_part_size),
            crate::size::format_size(limits.single_copy_max),
        ))
    })?;
    Ok((limits, options))
}

/// The transport a copy under `settings` builds for itself, its pool sized for `objects` copies
/// at once with `settings`' window each.
///
/// # Errors
/// [`CliError::Failed`] when TLS cannot be set up.
pub fn transport_for(settings: &Settings, objects: u32) -> Result<Arc<HyperTransport>, CliError> {
    let mut config = HyperConfig::default();
    config.insecure_skip_verify = settings.insecure_skip_verify;
    config.request_timeout = settings.request_timeout;
    if settings.insecure_skip_verify {
        warn_insecure();
    }
    // Keep a pooled connection for every request of the window: with fewer, each round of part
    // copies closes the surplus connections and opens new ones (measured by `cargo xtask bench`).
    config.pool_max_idle_per_host = config
        .pool_max_idle_per_host
        .max((settings.concurrency * objects) as usize + 8);
    Ok(Arc::new(
        HyperTransport::new(config).map_err(|e| CliError::Failed(e.to_string()))?,
    ))
}

/// [`copy`], with what it may share with other copies running beside it.
///
/// # Errors
/// As [`copy`].
pub async fn copy_in(
    settings: &Settings,
    credentials: Credentials,
    summary: &mut Summary,
    shared: Shared,
) -> Result<Finished, CliError> {
    let started = Instant::now();
    let (limits, options) = plan_options(settings)?;
    let source = address(settings.provider, &settings.source)?;
    let destination = address(settings.provider, &settings.destination)?;
    let signer = signer(settings.provider, settings.oss_signature, credentials);
    // A shared pool is not this copy's to trim when it is down to Complete.
    let own_transport = shared.transport.is_none();
    let transport = match shared.transport.clone() {
        Some(transport) => transport,
        None => transport_for(settings, 1)?,
    };
    let wire = Arc::new(
        ProtocolWire::new(source, destination, signer)
            .forbid_overwrite(settings.no_overwrite)
            .acl(settings.acl.clone()),
    );

    if settings.dry_run {
        summary.requests = 1;
        let info = head_source(&transport, &wire).await?;
        let plan = plan(info.size, &limits, &options)
            .map_err(|e| CliError::Failed(format!("cannot plan the copy: {e}")))?;
        let would_skip = if settings.no_overwrite {
            summary.requests += 1;
            Some(destination_exists(&transport, &wire).await)
        } else if settings.skip_identical {
            let (same, requests) = already_identical(settings, &transport, &wire).await;
            summary.requests += requests;
            Some(same.is_some())
        } else {
            None
        };
        return Ok(Finished::Planned(DryRun {
            size: info.size,
            plan,
            would_skip,
            needs_restore: info
                .needs_restore
                .then(|| info.storage_class.clone().unwrap_or_default()),
        }));
    }

    let checkpoint = match &settings.checkpoint_dir {
        Some(dir) => Some(checkpoint_path(dir, settings)?),
        None => None,
    };
    // Held to the end of the run, past the journal (dropped before it): one run per checkpoint.
    let _lock = match &checkpoint {
        Some(path) => Some(CheckpointLock::acquire(path)?),
        None => None,
    };

    // The requests that decide whether to copy at all count among the copy's.
    let (skip, checked) = if settings.no_overwrite {
        let exists = destination_exists(&transport, &wire).await;
        (exists.then_some("exists"), 1)
    } else if settings.skip_identical {
        let (same, requests) = already_identical(settings, &transport, &wire).await;
        // The object the destination already is.
        if let Some((size, etag)) = &same {
            summary.size = Some(*size);
            summary.etag = Some(etag.clone());
        }
        (same.is_some().then_some("identical"), requests)
    } else {
        (None, 0)
    };
    summary.requests = checked;
    if let Some(because) = skip {
        if let Some(path) = &checkpoint {
            summary.requests += drop_checkpoint(path, &transport, &wire).await;
        }
        summary.status = "skipped";
        summary.skipped_because = Some(because);
        // Found identical by a comparison stricter than --verify's: that is the verification.
        if because == "identical" && settings.verify {
            summary.verified = Some(true);
        }
        if settings.move_source {
            if because == "identical" {
                delete_source(settings, &transport, &wire, summary).await?;
            } else {
                eprintln!(
                    "partcopy: warning: {} was not moved: {} is another object, kept by \
                     --no-overwrite, so the source stays",
                    settings.source.url, settings.destination.url
                );
            }
        }
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(Finished::Skipped(Box::new(summary.clone())));
    }
    let spec = job_spec(settings, limits, options);
    let job_config = JobConfig {
        concurrency: settings.concurrency,
        max_attempts: settings.max_attempts,
        resumable: settings.checkpoint_dir.is_some(),
        jitter_seed: jitter_seed(),
        ..JobConfig::default()
    };
    let (job, mut journal): (CopyJob, Box<dyn Journal>) = match &checkpoint {
        Some(path) => {
            let (journal, records) = FileJournal::open(path).map_err(|e| match e {
                // A damaged file is bad input: nothing was sent, and rerunning cannot help.
                OpenError::Corrupt { .. } => {
                    CliError::Usage(format!("{e}; delete it to start the copy afresh"))
                }
                _ => CliError::Failed(e.to_string()),
            })?;
            let job = if records.is_empty() {
                CopyJob::new(spec, job_config).map_err(|e| CliError::Usage(e.to_string()))?
            } else {
                tracing::info!(path = %path.display(), records = records.len(), "resuming from the checkpoint");
                let key_change = another_key(&records, &spec, path);
                CopyJob::resume(records, spec, job_config).map_err(|e| match key_change {
                    Some(message) => CliError::Failed(message),
                    None => CliError::Failed(format!(
                        "cannot resume from {}: {e}; delete it to start the copy afresh",
                        path.display()
                    )),
                })?
            };
            (job, Box::new(journal))
        }
        None => (
            CopyJob::new(spec, job_config).map_err(|e| CliError::Usage(e.to_string()))?,
            Box::new(NoJournal),
        ),
    };

    let show_progress = !settings.no_progress && std::io::stderr().is_terminal();
    let bar = show_progress.then(ProgressBar::new);
    let (signal, interrupt) = match shared.cancel.clone() {
        Some(signal) => (signal, None),
        None => {
            let (canceller, signal) = cancel_pair();
            (signal, Some(on_ctrl_c(canceller)))
        }
    };
    let mut last = None;
    let mut trimmed = !own_transport;
    let result = drive(
        job,
        Arc::clone(&transport),
        Arc::clone(&wire),
        journal.as_mut(),
        |progress| {
            if let Some(bar) = &bar {
                bar.update(progress);
            }
            if let Some(report) = &shared.progress {
                report(progress);
            }
            // Down to Complete (just handed to the driver): the window's other connections close
            // while the service completes, rather than at exit.
            if progress.phase == Phase::Completing && !trimmed {
                transport.close_idle(1);
                trimmed = true;
            }
            last = Some(progress.clone());
        },
        signal,
    )
    .await;
    if let Some(interrupt) = interrupt {
        interrupt.abort();
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    if let Some(progress) = &last {
        summary.requests = checked + progress.requests;
        summary.retries = progress.retries;
        summary.size = Some(progress.bytes_total).filter(|_| progress.requests > 0);
        summary.upload_id = progress.upload_id.clone();
        if progress.parts_total > 0 {
            summary.parts = Some(progress.parts_total);
            summary.resumed_parts = Some(progress.resumed_parts);
        }
    }
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            let detail = explain_head_failure(&error, &transport, &wire).await;
            if let DriveError::Job(JobError::Cancelled { upload }) = &error {
                return Err(interrupted(settings, upload, checkpoint.as_deref()));
            }
            if refused_own_copy(
                settings,
                &error,
                &transport,
                &wire,
                checkpoint.as_deref(),
                summary,
            )
            .await
            {
                // Only its size and CRC-64 showed the destination to be this copy: --verify (and
                // so --move) compare it in full, as --skip-identical would.
                if settings.verify {
                    let (same, requests) = already_identical(settings, &transport, &wire).await;
                    summary.requests += requests;
                    if same.is_none() {
                        return Err(CliError::Failed(format!(
                            "verification failed: {} holds the source's data but is not shown \
                             identical to it (run with -v for the differences){}",
                            settings.destination.url,
                            if settings.move_source {
                                "; the source was not deleted"
                            } else {
                                ""
                            }
                        )));
                    }
                    summary.verified = Some(true);
                }
                if settings.move_source {
                    delete_source(settings, &transport, &wire, summary).await?;
                }
                summary.elapsed_ms = started.elapsed().as_millis() as u64;
                return Ok(Finished::Copied(Box::new(summary.clone())));
            }
            return Err(describe_failure(settings, &error, detail));
        }
    };
    fill_summary(summary, &outcome);
    if let Some(evidence) = outcome.confirmed {
        match outcome.mode {
            CopyMode::Multipart => tracing::warn!(
                "Complete's answer never arrived, but the destination is the completed upload \
                 ({evidence}): the copy is done"
            ),
            CopyMode::Single => tracing::warn!(
                "PUT-Copy's answer never arrived and its retry found the object changed, but the \
                 object is this copy ({evidence}): the copy is done"
            ),
        }
    }
    if outcome.uncertain_initiates > 0 {
        eprintln!(
            "partcopy: warning: {} Initiate Multipart Upload attempt(s) got no answer (or a server \
             error), so the service may hold an empty multipart upload of {} that nothing will \
             complete. It stores no data; list the key's uploads with `{}` and abort what this \
             copy left with `partcopy abort` (check the initiation time: another writer's upload \
             may be there too), or let a lifecycle rule for incomplete uploads remove it.",
            outcome.uncertain_initiates,
            settings.destination.url,
            uploads_command(settings),
        );
    }
    if let Some(restart) = &outcome.restart {
        let old = match &restart.abort_failure {
            None => format!("upload {} was aborted", restart.old_upload_id),
            Some(failure) => format!(
                "aborting upload {} failed ({}), so it may remain and hold storage",
                restart.old_upload_id,
                describe(failure)
            ),
        };
        eprintln!(
            "partcopy: did not resume: {}; the old {old}, and the copy started over",
            restart.reason
        );
    } else if outcome.resumed_parts > 0 {
        tracing::info!(parts = outcome.resumed_parts, "resumed from the checkpoint");
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    if settings.verify {
        crate::compare::verify(settings, &transport, &wire, &outcome).await?;
        summary.verified = Some(true);
    }
    if settings.move_source {
        delete_source(settings, &transport, &wire, summary).await?;
    }
    summary.status = "copied";
    Ok(Finished::Copied(Box::new(summary.clone())))
}

/// `--move`: deletes the source, its copy done and checked; server errors and lost answers are
/// retried (a DELETE is answered the same whether or not the object is still there).
///
/// # Errors
/// [`CliError::Failed`] saying that the copy is done and how to finish the move.
async fn delete_source(
    settings: &Settings,
    transport: &HyperTransport,
    wire: &ProtocolWire,
    summary: &mut Summary,
) -> Result<(), CliError> {
    let backoff = JobConfig::default().backoff;
    let mut jitter = partcopy_core::retry::Jitter::new(jitter_seed());
    let mut attempts = 0;
    loop {
        attempts += 1;
        summary.requests += 1;
        match send_once(transport, wire, &Operation::DeleteSource).await {
            Ok(_) => {
                summary.source_deleted = Some(true);
                return Ok(());
            }
            Err(failure) if failure.kind.is_retryable() && attempts < settings.max_attempts => {
                summary.retries += 1;
                tracing::info!(failure = %describe(&failure), "retrying the DELETE of the source");
                tokio::time::sleep(backoff.delay(attempts, failure.retry_after, &mut jitter)).await;
            }
            Err(failure) => {
                return Err(CliError::Failed(format!(
                    "the copy of {} at {} is done and checked, but deleting the source failed \
                     after {attempts} attempt(s): {}; the source is still there. Run the same \
                     command again with --skip-identical to finish the move (it copies nothing)",
                    settings.source.url,
                    settings.destination.url,
                    describe(&failure)
                )))
            }
        }
    }
}

/// Listens for Ctrl-C: the first cancels through `canceller` (requests in flight may finish),
/// the second ends the process at once with status 130.
pub fn on_ctrl_c(canceller: Canceller) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\npartcopy: interrupted; finishing the requests in flight ({} s at most; Ctrl-C again to quit at once)",
                CancelSignal::GRACE.as_secs()
            );
            canceller.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    })
}

fn fill_summary(summary: &mut Summary, outcome: &Outcome) {
    summary.mode = Some(match outcome.mode {
        CopyMode::Single => "single",
        CopyMode::Multipart => "multipart",
    });
    summary.size = Some(outcome.size);
    summary.part_size = outcome.part_size;
    // One PUT-Copy has no parts (nor a part size or upload): null rather than 0.
    let multipart = outcome.mode == CopyMode::Multipart;
    summary.parts = multipart.then_some(outcome.parts);
    summary.resumed_parts = multipart.then_some(outcome.resumed_parts);
    summary.etag = Some(outcome.etag.clone());
    summary.upload_id = outcome.upload_id.clone();
    summary.requests = outcome.requests;
    summary.retries = outcome.retries;
    summary.confirmed = outcome.confirmed.map(Evidence::name);
    summary.restarted = outcome.restart.as_ref().map(|r| r.reason.name());
    summary.uncertain_initiates = (outcome.uncertain_initiates > 0).then_some(outcome.uncertain_initiates);
}

/// A seed for retry jitter that differs between runs (the clock's nanoseconds), so that copies
/// started together do not retry in step.
pub(crate) fn jitter_seed() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The warning `--insecure-skip-verify` prints every time.
pub(crate) fn warn_insecure() {
    eprintln!(
        "partcopy: WARNING: --insecure-skip-verify: TLS certificates are NOT checked; anyone on the \
         network path can impersonate the service and read the signed requests. Use it only with a \
         local test endpoint."
    );
}

pub(crate) fn address(provider: Provider, end: &End) -> Result<ObjectAddress, CliError> {
    let region = end.region.clone().unwrap_or_default();
    let mut address = ObjectAddress::new(provider, region, &end.url.bucket, &end.url.key);
    if let Some(version) = &end.version_id {
        address = address.with_version(version.clone());
    }
    if let Some(endpoint) = &end.endpoint {
        let endpoint = Endpoint::parse(endpoint).map_err(|e| CliError::Usage(e.to_string()))?;
        address = address.with_endpoint(endpoint);
    }
    if let Some(key) = &end.customer_key {
        address = address.with_customer_key(key.clone());
    }
    Ok(address)
}

pub(crate) fn signer(provider: Provider, oss_signature: OssSignatureArg, keys: Credentials) -> Signer {
    match provider {
        Provider::Cos => Signer::cos(keys),
        Provider::Oss => Signer::oss(
            match oss_signature {
                OssSignatureArg::V4 => OssSignature::V4,
                OssSignatureArg::V1 => OssSignature::V1,
            },
            keys,
        ),
    }
}

/// An end as a checkpoint names it: provider, bucket, key, region and version.
fn describe_end(end: &End) -> String {
    let mut d = format!("{}@{}", end.url, end.region.as_deref().unwrap_or(""));
    if let Some(version) = &end.version_id {
        d.push_str("?versionId=");
        d.push_str(version);
    }
    d
}

/// What the destination's descriptor adds for its SSE-C key: the key's MD5 (not a secret), so that
/// a checkpoint's upload, whose parts are all under one key, is never resumed with another.
const SSE_C_MARK: &str = " sse-c-key-md5=";

/// The job's spec; the source and destination descriptors name provider, bucket, key, region and
/// version (and the destination's SSE-C key by its MD5), so a checkpoint can never be resumed into
/// another copy.
fn job_spec(settings: &Settings, limits: Limits, options: PlanOptions) -> JobSpec {
    let mut destination = describe_end(&settings.destination);
    if let Some(key) = &settings.destination.customer_key {
        destination.push_str(SSE_C_MARK);
        destination.push_str(key.key_md5());
    }
    let mut spec = JobSpec::new(describe_end(&settings.source), destination, limits);
    spec.plan = options;
    spec.directive = match settings.directive {
        Directive::Copy => MetadataDirective::Copy,
        Directive::Replace => MetadataDirective::Replace,
    };
    spec.metadata = ObjectMetadata {
        content_type: settings.content_type.clone(),
        user: settings.meta.clone(),
        ..ObjectMetadata::default()
    };
    spec.storage_class = settings.storage_class.clone();
    if let Some(tags) = &settings.tags {
        spec.tags = TagsHandling::Set(tags.clone());
    }
    spec.encryption = settings.encryption.clone();
    spec.in_place = settings.in_place;
    // COS takes the ACL on Initiate (OSS on Complete, which a resumed run sends with its own):
    // pinned with the job's own Initiate options, a resume under another starts over.
    if let (Provider::Cos, Some(acl)) = (settings.provider, &settings.acl) {
        spec.extra_options.push(("acl".to_string(), acl.clone()));
    }
    spec
}

/// `<dir>/<sha256 of source and destination>.ckpt`, creating the directory (0700) if needed. The
/// SSE-C key is not part of the name: a rerun with another key finds the checkpoint and is told.
fn checkpoint_path(dir: &Path, settings: &Settings) -> Result<PathBuf, CliError> {
    use sha2::{Digest, Sha256};
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        CliError::Failed(format!(
            "cannot create the checkpoint directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut hash = Sha256::new();
    hash.update(describe_end(&settings.source).as_bytes());
    hash.update([0]);
    hash.update(describe_end(&settings.destination).as_bytes());
    let name = format!("{}.ckpt", hex::encode(&hash.finalize()[..16]));
    Ok(dir.join(name))
}

/// When a checkpoint is for this copy but its upload was begun under another destination SSE-C key
/// (or under one where none is given now, or under none where one is): what to tell the user.
fn another_key(records: &[Record], spec: &JobSpec, path: &Path) -> Option<String> {
    let Some(Record::Header(header)) = records.first() else {
        return None;
    };
    let split = |d: &str| match d.split_once(SSE_C_MARK) {
        Some((end, md5)) => (end.to_string(), Some(md5.to_string())),
        None => (d.to_string(), None),
    };
    let (recorded_end, recorded_key) = split(&header.destination);
    let (wanted_end, wanted_key) = split(&spec.destination);
    if recorded_end != wanted_end || recorded_key == wanted_key {
        return None;
    }
    let upload_id = &header.upload_id;
    let (begun, rerun) = match (&recorded_key, &wanted_key) {
        (Some(md5), Some(_)) => (
            format!("with another SSE-C key (MD5 {md5})"),
            "Rerun with that key as --sse-c-key-file to resume",
        ),
        (Some(md5), None) => (
            format!("with an SSE-C key (MD5 {md5}) and none is given now"),
            "Rerun with that key as --sse-c-key-file to resume",
        ),
        (None, _) => (
            "without an SSE-C key".to_string(),
            "Rerun without --sse-c-key-file (with --no-sse-c if the source needs --src-sse-c-key-file) to resume",
        ),
    };
    Some(format!(
        "cannot resume from {}: its upload {upload_id} was begun {begun}, and all its parts must be \
         under one key. {rerun}, or delete the checkpoint to start afresh (then abort upload \
         {upload_id}, which holds the parts copied so far, with partcopy abort)",
        path.display()
    ))
}

/// `--skip-identical`: whether the destination already is what the copy would make of the source
/// ([`crate::compare`]). When that cannot be shown — an end that cannot be read, no CRC-64 — it is
/// not, and the copy goes ahead (saying why at `-v`). Gives the destination's size and ETag when
/// it is the same, and the requests sent.
async fn already_identical(
    settings: &Settings,
    transport: &HyperTransport,
    wire: &ProtocolWire,
) -> (Option<(u64, String)>, u64) {
    match crate::compare::compare(settings, transport, wire, crate::compare::When::Before).await {
        Ok(found) if found.problems.is_empty() => {
            tracing::info!(
                compared = %found.compared.join(", "),
                "the destination already holds the same object: nothing to copy"
            );
            (found.destination, found.requests)
        }
        Ok(found) => {
            tracing::info!(
                differences = %found.problems.join("; "),
                "the destination is not the same object: copying"
            );
            (None, found.requests)
        }
        Err(error) => {
            tracing::info!(%error, "cannot compare the ends: copying");
            (None, 0)
        }
    }
}

/// `--no-overwrite`: whether a HEAD finds the destination. Only a found object counts; when the
/// HEAD cannot tell (no permission to HEAD, a 5xx), the copy goes ahead and the service's
/// forbid-overwrite header guards the writes.
async fn destination_exists(transport: &HyperTransport, wire: &ProtocolWire) -> bool {
    match send_once(transport, wire, &Operation::HeadDestination).await {
        Ok(Reply::Head(_)) => true,
        Ok(_) => false,
        Err(failure) => {
            if failure.kind != FailureKind::NoSuchKey {
                tracing::info!(
                    failure = %describe(&failure),
                    "cannot tell whether the destination exists; the service will refuse to overwrite it"
                );
            }
            false
        }
    }
}

/// `--no-overwrite`: whether a write the service refused (409) was refused because of this copy's
/// own earlier attempt — a PUT-Copy or Complete that took effect but whose answer was lost, so that
/// its retry found the destination there. Only after a retry, and only when HEADs show the
/// destination with the source's size and CRC-64; then the copy is done (`summary` filled,
/// `"confirmed": "crc64"`), a kept upload is aborted and the checkpoint removed.
async fn refused_own_copy(
    settings: &Settings,
    error: &DriveError,
    transport: &HyperTransport,
    wire: &ProtocolWire,
    checkpoint: Option<&Path>,
    summary: &mut Summary,
) -> bool {
    let DriveError::Job(JobError::Service {
        operation,
        failure,
        attempts,
        upload,
    }) = error
    else {
        return false;
    };
    let single = match operation {
        OperationKind::PutCopy => true,
        OperationKind::Complete => false,
        _ => return false,
    };
    if !settings.no_overwrite || failure.status != Some(409) || *attempts < 2 {
        return false;
    }
    let head = |op: Operation| async move {
        match send_once(transport, wire, &op).await {
            Ok(Reply::Head(info)) => Some(*info),
            _ => None,
        }
    };
    let (Some(source), Some(dest)) = (
        head(Operation::HeadSource).await,
        head(Operation::HeadDestination).await,
    ) else {
        return false;
    };
    summary.requests += 2;
    let same = source.size == dest.size && source.crc64.is_some() && source.crc64 == dest.crc64;
    if !same {
        return false;
    }
    eprintln!(
        "partcopy: {operation} was refused because the destination exists, but it holds the \
         source's content (same size and CRC-64): an earlier attempt of this copy, whose answer was \
         lost, wrote it. The copy is done."
    );
    if let UploadFate::Kept { upload_id } = upload {
        summary.requests += 1;
        abort_leftover(transport, wire, upload_id).await;
    }
    if let Some(path) = checkpoint.filter(|p| p.exists()) {
        remove_checkpoint(path);
    }
    summary.status = "copied";
    summary.mode = Some(if single { "single" } else { "multipart" });
    summary.size = Some(dest.size);
    summary.etag = Some(dest.etag);
    summary.confirmed = Some("crc64");
    true
}

/// A skipped copy leaves no checkpoint behind: an earlier run's upload (which would only replace
/// the destination, needlessly or against `--no-overwrite`) is aborted and the file removed.
/// Returns the requests sent.
async fn drop_checkpoint(path: &Path, transport: &HyperTransport, wire: &ProtocolWire) -> u64 {
    if !path.exists() {
        return 0;
    }
    let mut sent = 0;
    if let Ok((_, records)) = FileJournal::open(path) {
        if let Some(Record::Header(header)) = records.first() {
            sent = 1;
            if abort_leftover(transport, wire, &header.upload_id).await {
                eprintln!(
                    "partcopy: the copy is skipped; aborted upload {} of an earlier run",
                    header.upload_id
                );
            }
        }
    }
    remove_checkpoint(path);
    sent
}

/// Aborts an upload this copy no longer needs; whether it was aborted. One already gone is no
/// matter; any other failure is warned about, as the upload may remain and hold storage.
async fn abort_leftover(transport: &HyperTransport, wire: &ProtocolWire, upload_id: &str) -> bool {
    let abort = Operation::Abort {
        upload_id: upload_id.to_string(),
    };
    match send_once(transport, wire, &abort).await {
        Ok(_) => true,
        Err(failure) if failure.kind == FailureKind::NoSuchUpload => false,
        Err(failure) => {
            eprintln!(
                "partcopy: warning: aborting upload {upload_id} failed ({}); it may remain and \
                 hold storage",
                describe(&failure)
            );
            false
        }
    }
}

/// Removes a checkpoint the copy is done with, warning when it cannot.
fn remove_checkpoint(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        eprintln!(
            "partcopy: warning: cannot remove the checkpoint {}: {e}",
            path.display()
        );
    }
}

/// HEADs the source through the wire, outside a job (for `--dry-run`).
async fn head_source(transport: &HyperTransport, wire: &ProtocolWire) -> Result<SourceInfo, CliError> {
    let op = Operation::HeadSource;
    let reply = send_once(transport, wire, &op)
        .await
        .map_err(|failure| CliError::Failed(format!("cannot read the source: {}", describe(&failure))))?;
    match reply {
        Reply::Head(info) => Ok(*info),
        _ => Err(CliError::Failed("unexpected reply to HEAD".to_string())),
    }
}

/// Sends `op` outside a job: once, and again only when the first was refused for the time it was
/// signed at (see [`partcopy_transport_hyper::exchange`]).
pub(crate) async fn send_once(
    transport: &HyperTransport,
    wire: &impl Wire,
    op: &Operation,
) -> Result<Reply, Failure> {
    match partcopy_transport_hyper::exchange(transport, wire, op).await {
        // Refused for the time it was signed at, and the wire has learnt the service's time: the
        // same request signed now goes through (it was not carried out).
        Err(failure) if failure.kind == FailureKind::ClockSkewed => {
            partcopy_transport_hyper::exchange(transport, wire, op).await
        }
        result => result,
    }
}

/// A HEAD error carries no body, so no error code or message: when HEAD of the source was refused
/// with a 4xx, GET the source's tags (no object data) once to learn what the service objects to.
async fn explain_head_failure(
    error: &DriveError,
    transport: &HyperTransport,
    wire: &ProtocolWire,
) -> Option<String> {
    let failure = match error {
        DriveError::Job(JobError::Service {
            operation: OperationKind::HeadSource,
            failure,
            ..
        }) => failure,
        _ => return None,
    };
    // Only when HEAD told nothing but the status (no error code, e.g. `Http403`).
    let uninformative = failure.code.starts_with("Http") || failure.message.is_empty();
    if !matches!(failure.status, Some(400..=499)) || failure.status == Some(404) || !uninformative {
        return None;
    }
    match send_once(transport, wire, &Operation::GetSourceTagging).await {
        Err(probe) if probe.status == failure.status && !probe.message.is_empty() => Some(describe(&probe)),
        _ => None,
    }
}

/// A failure as people read it: code, HTTP status, message, request id.
pub fn describe(failure: &Failure) -> String {
    let mut text = failure.code.clone();
    if let Some(status) = failure.status {
        text.push_str(&format!(" (HTTP {status})"));
    }
    if !failure.message.is_empty() {
        text.push_str(": ");
        text.push_str(&failure.message);
    }
    if let Some(id) = &failure.request_id {
        text.push_str(&format!(" [request id {id}]"));
    }
    text
}

/// The `partcopy abort` command line that gives up `upload_id` of this copy's destination.
fn abort_command(settings: &Settings, upload_id: &str) -> String {
    command_for("abort", &settings.destination, Some(upload_id))
}

/// The `partcopy uploads` command line that lists this copy's destination's uploads.
fn uploads_command(settings: &Settings) -> String {
    command_for("uploads", &settings.destination, None)
}

/// `partcopy <subcommand> DST [UPLOAD_ID] --region R [--endpoint E]` for the object `end`, each
/// word quoted for a shell where it must be.
pub(crate) fn command_for(subcommand: &str, end: &End, upload_id: Option<&str>) -> String {
    let mut command = format!("partcopy {subcommand} {}", shell_word(&end.url.to_string()));
    if let Some(id) = upload_id {
        command.push(' ');
        command.push_str(&shell_word(id));
    }
    if let Some(region) = &end.region {
        command.push_str(&format!(" --region {}", shell_word(region)));
    }
    if let Some(endpoint) = &end.endpoint {
        command.push_str(&format!(" --endpoint {}", shell_word(endpoint)));
    }
    command
}

/// `word` as a POSIX shell reads it back: as is when it holds only characters no shell treats
/// specially, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._:@%+=,-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The message for a copy stopped by Ctrl-C: what became of the upload, and how to go on.
fn interrupted(settings: &Settings, upload: &UploadFate, checkpoint: Option<&Path>) -> CliError {
    let mut message = format!(
        "interrupted: copy {} -> {} cancelled{upload}",
        settings.source.url, settings.destination.url
    );
    match (checkpoint, upload) {
        (_, UploadFate::None) => {
            message.push_str("\n  no multipart upload was left behind: run the command again to copy")
        }
        (Some(path), UploadFate::Kept { upload_id }) => message.push_str(&format!(
            "\n  run the same command again to resume (checkpoint: {}), or give the copy up with: {}",
            path.display(),
            abort_command(settings, upload_id)
        )),
        _ => message.push_str(
            "\n  nothing was kept: run the command again to start over (with --checkpoint-dir DIR, \
             an interrupted copy can be resumed)",
        ),
    }
    CliError::Interrupted(message)
}

/// The message for a failed copy: what failed, what the service said, and what to do.
/// How to make an archived source readable.
const RESTORE_HINT: &str = "restore it (COS POST Object restore, e.g. coscli restore; OSS \
     RestoreObject, e.g. ossutil restore), wait until a HEAD shows its restore header with \
     ongoing-request=\"false\", then run the command again";

fn describe_failure(settings: &Settings, error: &DriveError, detail: Option<String>) -> CliError {
    let (id_var, secret_var, _) = crate::credentials::variables(settings.provider);
    let kept = match error {
        DriveError::Job(e) => match e.upload() {
            Some(UploadFate::Kept { upload_id }) => Some(upload_id.as_str()),
            _ => None,
        },
        _ => None,
    };
    let hint = match error {
        DriveError::Job(JobError::Service { failure, .. })
        | DriveError::Job(JobError::SourceNotFound { failure, .. }) => match failure.kind {
            FailureKind::AccessDenied => Some(format!(
                "check {id_var} and {secret_var}, the regions, and that the key may read the source and write the destination"
            )),
            FailureKind::NoSuchBucket => Some("check the bucket names and regions".to_string()),
            FailureKind::ClockSkewed => Some(
                "this machine's clock is off the service's: set it right (NTP); partcopy signs with \
                 the service's time after such a refusal, so a run allowed a retry (--max-attempts \
                 above 1) goes on"
                    .to_string(),
            ),
            // A HEAD answer has no body: a COS 400 for the source is what an SSE-C object without
            // its key (or with a wrong one) gets.
            _ if settings.provider == Provider::Cos
                && failure.status == Some(400)
                && matches!(error, DriveError::Job(JobError::Service { operation: OperationKind::HeadSource, .. })) =>
            {
                Some(match settings.source.customer_key {
                    None => "if the source is encrypted with a customer-provided key (SSE-C), give \
                             it with --src-sse-c-key-file"
                        .to_string(),
                    Some(_) => "check that --src-sse-c-key-file holds the source's SSE-C key, and \
                                that the source is encrypted with one"
                        .to_string(),
                })
            }
            // An archived source (or one whose restore has not finished or has expired).
            _ if failure.code == "InvalidObjectState" => {
                let mut hint = format!(
                    "the source is in an archive storage class (COS ARCHIVE / DEEP_ARCHIVE, OSS \
                     Archive / ColdArchive / DeepColdArchive) and not restored, or its restore has \
                     not finished or has expired: {RESTORE_HINT}"
                );
                if let Some(upload_id) = kept {
                    hint.push_str(&format!(
                        " (it resumes the upload kept meanwhile; to give the copy up instead: {})",
                        abort_command(settings, upload_id)
                    ));
                }
                Some(hint)
            }
            FailureKind::NoSuchKey if settings.source.version_id.is_some() => Some(
                "check the source key (it is taken verbatim) and --src-version-id: a HEAD cannot \
                 tell a missing key from a missing version"
                    .to_string(),
            ),
            FailureKind::NoSuchKey if settings.listed => Some(
                "the source was listed but is gone: it was deleted or renamed since the listing (a \
                 rerun lists SRC again)"
                    .to_string(),
            ),
            FailureKind::NoSuchKey => Some("check the source key (it is taken verbatim)".to_string()),
            _ if settings.no_overwrite && failure.status == Some(409) => Some(
                "the destination appeared while copying, and the service refused to replace it \
                 (--no-overwrite); a rerun finds it and skips the copy, aborting any upload kept \
                 for resuming"
                    .to_string(),
            ),
            _ => kept.map(|upload_id| {
                format!(
                    "run the same command again to resume, or give the copy up with: {}",
                    abort_command(settings, upload_id)
                )
            }),
        },
        DriveError::Job(JobError::SourceNeedsRestore { .. }) => {
            Some(format!("nothing was sent for the copy; {RESTORE_HINT}"))
        }
        DriveError::Job(JobError::SourceChanged { .. }) => {
            Some("the source was overwritten while it was being copied; run the command again to copy its new version".to_string())
        }
        _ => None,
    };
    let mut message = format!(
        "copy {} -> {} failed: {error}",
        settings.source.url, settings.destination.url
    );
    if let Some(detail) = detail {
        message.push_str("\n  the service says: ");
        message.push_str(&detail);
    }
    if let Some(hint) = hint {
        message.push_str("\n  hint: ");
        message.push_str(&hint);
    }
    CliError::Failed(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use partcopy_core::checkpoint::Header;

    fn checkpoint(destination: &str) -> Vec<Record> {
        vec![Record::Header(Header {
            source: "cos://s-1/k@ap-guangzhou".into(),
            destination: destination.into(),
            version_id: None,
            size: 10,
            etag: "\"e\"".into(),
            last_modified: None,
            upload_id: "U1".into(),
            part_size: 1 << 20,
            initiated: None,
            crc64: None,
            options: None,
        })]
    }

    #[test]
    fn shell_words_read_back_as_given() {
        assert_eq!(
            shell_word("cos://b-1250000000/a/b.iso"),
            "cos://b-1250000000/a/b.iso"
        );
        assert_eq!(shell_word("oss://b/a b"), "'oss://b/a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn a_checkpoint_under_another_key_is_explained() {
        let plain = "cos://d-1/k@ap-guangzhou";
        let keyed = |md5: &str| format!("{plain}{SSE_C_MARK}{md5}");
        let spec = |destination: &str| JobSpec::new("cos://s-1/k@ap-guangzhou", destination, Limits::COS);
        let path = Path::new("/tmp/x.ckpt");
        let told = |recorded: &str, wanted: &str| another_key(&checkpoint(recorded), &spec(wanted), path);

        assert_eq!(told(&keyed("A"), &keyed("A")), None);
        assert_eq!(told(plain, plain), None);
        // Another copy altogether is core's to refuse, not a key change.
        assert_eq!(told("cos://other-1/k@ap-guangzhou", &keyed("A")), None);
        let other = told(&keyed("A"), &keyed("B")).unwrap();
        assert!(
            other.contains("with another SSE-C key (MD5 A)") && other.contains("upload U1"),
            "{other}"
        );
        let dropped = told(&keyed("A"), plain).unwrap();
        assert!(dropped.contains("(MD5 A) and none is given now"), "{dropped}");
        let added = told(plain, &keyed("B")).unwrap();
        assert!(
            added.contains("without an SSE-C key") && added.contains("Rerun without"),
            "{added}"
        );
    }
}
