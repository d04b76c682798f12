//! Scenario tests of `CopyJob`: one behaviour each, driven by hand or through the simulator.

mod common;

use std::time::Duration;

use common::{count, drive, failure, Fault, Service};
use partcopy_core::checkpoint::Record;
use partcopy_core::confirm::{Doubt, Evidence};
use partcopy_core::job::{
    CopyJob, CopyMode, JobConfig, JobError, JobSpec, OperationKind, RequestId, RestartReason, ResumeError,
    Step, TagsHandling, UploadFate,
};
use partcopy_core::ops::{Encryption, FailureKind, MetadataDirective, Operation, Reply};
use partcopy_core::plan::{Limits, PlanError, PlanOptions};

const MS: Duration = Duration::from_millis(1);

fn limits() -> Limits {
    Limits {
        single_copy_max: 10,
        min_part_size: 1,
        max_part_size: 1000,
        max_parts: 10_000,
        max_object_size: 1_000_000,
    }
}

/// A spec with parts of 10 bytes and everything above 10 bytes multipart.
fn spec() -> JobSpec {
    let mut spec = JobSpec::new("src", "dst", limits());
    spec.plan = PlanOptions {
        part_size: Some(10),
        threshold: Some(10),
    };
    spec
}

fn config(resumable: bool) -> JobConfig {
    JobConfig {
        concurrency: 2,
        max_attempts: 3,
        resumable,
        ..JobConfig::default()
    }
}

/// Everything `poll` returns until it waits or finishes.
#[derive(Debug, Default)]
struct Drained {
    sends: Vec<(RequestId, Operation)>,
    records: Vec<Record>,
    wait: Option<Option<Duration>>,
    finished: Option<Result<partcopy_core::job::Outcome, JobError>>,
}

fn drain(job: &mut CopyJob, now: Duration) -> Drained {
    let mut out = Drained::default();
    loop {
        match job.poll(now) {
            Step::Send { id, op } => out.sends.push((id, op)),
            Step::Persist(r) => out.records.push(r),
            Step::Wait { until } => {
                out.wait = Some(until);
                return out;
            }
            Step::Finished(r) => {
                out.finished = Some(r);
                return out;
            }
        }
    }
}

/// Answers every send of `d` with the service, in order.
fn answer_all(job: &mut CopyJob, service: &mut Service, d: &Drained, now: Duration) {
    for (id, op) in &d.sends {
        let reply = service.apply(op);
        job.handle(*id, reply, now);
    }
}

/// Answers everything the job sends, `turns` times, 1 ms apart; returns the time reached.
fn answer_turns(job: &mut CopyJob, service: &mut Service, turns: usize) -> Duration {
    let mut now = Duration::ZERO;
    for _ in 0..turns {
        let d = drain(job, now);
        answer_all(job, service, &d, now);
        now += MS;
    }
    now
}

fn finish(job: &mut CopyJob, service: &mut Service) -> common::Run {
    drive(job, service, &[], &[], None)
}

#[test]
fn zero_byte_object_is_one_put_copy() {
    let mut service = Service::new(0);
    let mut job = CopyJob::new(JobSpec::new("src", "dst", Limits::COS), JobConfig::default()).unwrap();
    let run = finish(&mut job, &mut service);
    let ops = run.ops();
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0], &Operation::HeadSource);
    let Operation::PutCopy {
        source_etag,
        directive,
        ..
    } = ops[1]
    else {
        panic!("{ops:?}")
    };
    assert_eq!(source_etag.as_deref(), Some("\"src-v1\""));
    assert_eq!(*directive, MetadataDirective::Copy);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.mode, CopyMode::Single);
    assert_eq!((outcome.size, outcome.parts, outcome.part_size), (0, 0, None));
    assert!(run.records.is_empty());
}

#[test]
fn multipart_copies_metadata_and_tags_and_persists_as_it_goes() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.mode, CopyMode::Multipart);
    assert_eq!((outcome.parts, outcome.part_size), (3, Some(10)));
    let initiate = run
        .sent
        .iter()
        .find_map(|(_, op)| match op {
            Operation::Initiate { metadata, tags, .. } => Some((metadata, tags)),
            _ => None,
        })
        .unwrap();
    assert_eq!(initiate.0.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(initiate.0.user, vec![("owner".into(), "alice".into())]);
    assert_eq!(initiate.1, &service.source_tags);
    // A header first, then one record per part, with the service's ETags.
    let Record::Header(header) = &run.records[0] else {
        panic!("{:?}", run.records)
    };
    assert_eq!(header.upload_id, outcome.upload_id.clone().unwrap());
    assert_eq!((header.size, header.part_size), (25, 10));
    assert_eq!(header.etag, "\"src-v1\"");
    assert_eq!(run.records.len(), 4);
    let Operation::Complete { parts, .. } = &run.sent.last().unwrap().1 else {
        panic!()
    };
    for part in parts.iter() {
        assert!(run.records.contains(&Record::Part {
            number: part.number,
            etag: part.etag.clone()
        }));
    }
}

#[test]
fn skipping_tags_sends_no_tagging_request() {
    let mut service = Service::new(25);
    let mut spec = spec();
    spec.tags = TagsHandling::Skip;
    let mut job = CopyJob::new(spec, config(false)).unwrap();
    let run = finish(&mut job, &mut service);
    assert!(run.result.clone().unwrap().is_ok());
    assert_eq!(count(&run, |op| *op == Operation::GetSourceTagging), 0);
    assert!(run.sent.iter().any(|(_, op)| matches!(
        op,
        Operation::Initiate { tags, .. } if tags.is_empty()
    )));
}

/// Set tags: a multipart copy passes them to Initiate without reading the source's, and a PUT-Copy
/// replaces the source's with them, under either metadata directive.
#[test]
fn set_tags_replace_the_sources_tags() {
    let wanted = vec![("team".to_string(), "a b".to_string())];
    for directive in [MetadataDirective::Copy, MetadataDirective::Replace] {
        let tagged = || {
            let mut spec = spec();
            spec.directive = directive;
            spec.tags = TagsHandling::Set(wanted.clone());
            spec
        };
        let mut service = Service::new(25);
        let mut job = CopyJob::new(tagged(), config(false)).unwrap();
        let run = finish(&mut job, &mut service);
        assert!(run.result.clone().unwrap().is_ok());
        assert_eq!(count(&run, |op| *op == Operation::GetSourceTagging), 0);
        assert!(run.sent.iter().any(|(_, op)| matches!(
            op,
            Operation::Initiate { tags, .. } if *tags == wanted
        )));

        let mut service = Service::new(5);
        let mut job = CopyJob::new(tagged(), config(false)).unwrap();
        let run = finish(&mut job, &mut service);
        assert!(run.result.clone().unwrap().is_ok());
        assert!(run.sent.iter().any(|(_, op)| matches!(
            op,
            Operation::PutCopy { keep_tags: false, tags, .. } if *tags == wanted
        )));
    }
}

#[test]
fn replace_sends_the_replacement_metadata() {
    let mut service = Service::new(5);
    let mut spec = spec();
    spec.directive = MetadataDirective::Replace;
    spec.metadata.content_type = Some("text/plain".into());
    spec.storage_class = Some("ARCHIVE".into());
    let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
    let run = finish(&mut job, &mut service);
    assert_eq!(
        run.sent[1].1,
        Operation::PutCopy {
            source_etag: Some("\"src-v1\"".into()),
            directive: MetadataDirective::Replace,
            metadata: spec.metadata,
            storage_class: Some("ARCHIVE".into()),
            keep_tags: false,
            tags: vec![],
            encryption: None,
        }
    );
}

#[test]
fn in_place_copy_restates_the_source_metadata_and_keeps_its_tags() {
    let mut service = Service::new(5);
    let mut spec = spec();
    spec.in_place = true;
    spec.storage_class = Some("ARCHIVE".into());
    let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
    let run = finish(&mut job, &mut service);
    assert!(run.result.clone().unwrap().is_ok());
    let Operation::PutCopy {
        directive,
        metadata,
        keep_tags,
        storage_class,
        ..
    } = &run.sent[1].1
    else {
        panic!("{:?}", run.sent)
    };
    // Replace (both services demand it onto the object itself), with the HEAD's metadata.
    assert_eq!(*directive, MetadataDirective::Replace);
    assert_eq!(metadata.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(metadata.user, vec![("owner".into(), "alice".into())]);
    assert!(*keep_tags);
    assert_eq!(storage_class.as_deref(), Some("ARCHIVE"));

    // Replace asked for in place: the replacement, and the tags go as they would elsewhere. With
    // no class asked for, the object keeps its own (a copy elsewhere would get the default).
    spec.directive = MetadataDirective::Replace;
    spec.metadata.content_type = Some("text/plain".into());
    spec.storage_class = None;
    let mut service = Service::new(5);
    service.source.storage_class = Some("STANDARD_IA".into());
    let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
    let run = finish(&mut job, &mut service.clone());
    assert!(matches!(
        &run.sent[1].1,
        Operation::PutCopy { directive: MetadataDirective::Replace, metadata, keep_tags: false, storage_class, .. }
            if *metadata == spec.metadata && storage_class.as_deref() == Some("STANDARD_IA")
    ));
    spec.in_place = false;
    let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
    let run = finish(&mut job, &mut service);
    assert!(matches!(
        &run.sent[1].1,
        Operation::PutCopy {
            storage_class: None,
            ..
        }
    ));

    // Multipart in place is an ordinary multipart copy: Initiate carries metadata, tags and the
    // object's own class.
    let mut spec = self::spec();
    spec.in_place = true;
    let mut service = Service::new(25);
    service.source.storage_class = Some("IA".into());
    let mut job = CopyJob::new(spec, config(false)).unwrap();
    let run = finish(&mut job, &mut service);
    assert!(run.result.clone().unwrap().is_ok());
    assert!(run.sent.iter().any(|(_, op)| matches!(
        op,
        Operation::Initiate { metadata, tags, storage_class, .. }
            if metadata.content_type.as_deref() == Some("video/mp4")
                && *tags == service.source_tags
                && storage_class.as_deref() == Some("IA")
    )));
}

#[test]
fn the_source_encryption_goes_to_put_copy_and_initiate_whatever_the_directive() {
    let encryption = Encryption {
        algorithm: "cos/kms".into(),
        kms_key_id: Some("key-1".into()),
        data_algorithm: None,
    };
    for directive in [MetadataDirective::Copy, MetadataDirective::Replace] {
        for size in [5, 25] {
            let mut service = Service::new(size);
            service.source.encryption = Some(encryption.clone());
            let mut spec = spec();
            spec.directive = directive;
            let mut job = CopyJob::new(spec, config(false)).unwrap();
            let run = finish(&mut job, &mut service);
            assert!(run.result.clone().unwrap().is_ok());
            let carried = run.sent.iter().find_map(|(_, op)| match op {
                Operation::PutCopy { encryption, .. } | Operation::Initiate { encryption, .. } => {
                    Some(encryption.clone())
                }
                _ => None,
            });
            assert_eq!(carried, Some(Some(encryption.clone())), "{directive:?} {size}");
        }
    }
    // An unencrypted source asks for nothing.
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = finish(&mut job, &mut Service::new(25));
    assert!(run
        .sent
        .iter()
        .any(|(_, op)| matches!(op, Operation::Initiate { encryption: None, .. })));
}

/// The encryption asked for goes to PUT-Copy and Initiate instead of the source's — of a plain
/// source and of an encrypted one alike, in place too.
#[test]
fn the_encryption_asked_for_replaces_the_source_s() {
    let asked = Encryption {
        algorithm: "AES256".into(),
        kms_key_id: None,
        data_algorithm: None,
    };
    let sources = [
        None,
        Some(Encryption {
            algorithm: "cos/kms".into(),
            kms_key_id: Some("key-1".into()),
            data_algorithm: None,
        }),
    ];
    for source_encryption in sources {
        for (size, in_place) in [(5, false), (25, false), (5, true), (25, true)] {
            let mut service = Service::new(size);
            service.in_place = in_place;
            service.source.encryption = source_encryption.clone();
            let mut spec = spec();
            spec.in_place = in_place;
            spec.encryption = Some(asked.clone());
            let mut job = CopyJob::new(spec, config(false)).unwrap();
            let run = finish(&mut job, &mut service);
            assert!(run.result.clone().unwrap().is_ok());
            let carried: Vec<_> = run
                .sent
                .iter()
                .filter_map(|(_, op)| match op {
                    Operation::PutCopy { encryption, .. } | Operation::Initiate { encryption, .. } => {
                        Some(encryption.clone())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                carried,
                vec![Some(asked.clone())],
                "{source_encryption:?} {size} {in_place}"
            );
        }
    }
}

#[test]
fn retries_wait_for_backoff_and_retry_after_with_a_new_id() {
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    let (first, _) = d.sends[0].clone();
    let mut slow = failure(FailureKind::Throttled, 503);
    slow.retry_after = Some(Duration::from_secs(5));
    job.handle(first, Err(slow), Duration::ZERO);
    let d = drain(&mut job, MS);
    assert!(d.sends.is_empty());
    let until = d.wait.unwrap().unwrap();
    assert!(until >= Duration::from_secs(5), "{until:?}");
    // Too early: still waiting; a stale reply changes nothing.
    job.handle(first, Ok(Reply::Aborted), Duration::from_secs(1));
    assert!(drain(&mut job, Duration::from_secs(1)).sends.is_empty());
    let d = drain(&mut job, until);
    assert_eq!(d.sends.len(), 1);
    assert_ne!(d.sends[0].0, first);
    assert_eq!(d.sends[0].1, Operation::HeadSource);
    assert_eq!(job.progress().retries, 1);
}

#[test]
fn same_seed_same_delays() {
    let delays = |seed| {
        let mut job = CopyJob::new(
            spec(),
            JobConfig {
                jitter_seed: seed,
                max_attempts: 10,
                ..config(false)
            },
        )
        .unwrap();
        let mut now = Duration::ZERO;
        let mut out = Vec::new();
        for _ in 0..5 {
            let d = drain(&mut job, now);
            let id = d.sends[0].0;
            job.handle(id, Err(failure(FailureKind::Retryable, 500)), now);
            let until = drain(&mut job, now).wait.unwrap().unwrap();
            out.push(until - now);
            now = until;
        }
        out
    };
    assert_eq!(delays(1), delays(1));
    assert_ne!(delays(1), delays(2));
    let d = delays(3);
    assert!(d[4] > d[0], "{d:?}");
}

#[test]
fn retries_are_bounded() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let faults = [Fault::Retryable; 3];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    let err = run.result.clone().unwrap().unwrap_err();
    assert!(
        matches!(
            &err,
            JobError::Service {
                operation: OperationKind::HeadSource,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("HEAD of the source failed after 3 attempt(s)"));
}

#[test]
fn an_initiate_that_may_have_taken_effect_is_counted() {
    // HEAD, tagging, then Initiate: its answer lost (the upload exists), a 500, a throttle.
    for (fault, uncertain) in [
        (Fault::LostReply, 1),
        (Fault::Retryable, 1),
        (Fault::Transport, 1),
        (Fault::Throttled(None), 0),
    ] {
        let mut service = Service::new(25);
        let mut job = CopyJob::new(spec(), config(false)).unwrap();
        let run = drive(
            &mut job,
            &mut service,
            &[Fault::None, Fault::None, fault],
            &[],
            None,
        );
        let outcome = run.result.clone().unwrap().unwrap();
        assert_eq!(outcome.uncertain_initiates, uncertain, "{fault:?}");
        assert_eq!(count(&run, |op| matches!(op, Operation::Initiate { .. })), 2);
        if fault == Fault::LostReply {
            // The orphan: an upload nobody completes.
            assert_eq!(service.uploads.len(), 1, "{:?}", service.uploads);
        }
    }
}

#[test]
fn changed_source_aborts_even_a_resumable_upload() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    // HEAD, tagging, initiate, then the first part gets a 412.
    let faults = [Fault::None, Fault::None, Fault::None, Fault::Precondition];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    let err = run.result.clone().unwrap().unwrap_err();
    assert!(matches!(
        &err,
        JobError::SourceChanged {
            upload: UploadFate::Aborted { .. },
            ..
        }
    ));
    assert!(err.to_string().starts_with("source changed during copy"), "{err}");
    assert!(service.uploads.is_empty());
    assert_eq!(count(&run, |op| matches!(op, Operation::Complete { .. })), 0);
}

#[test]
fn a_fatal_part_keeps_a_resumable_upload_and_says_so() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    let faults = [Fault::None, Fault::None, Fault::None, Fault::Fatal];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    let err = run.result.clone().unwrap().unwrap_err();
    let Some(UploadFate::Kept { upload_id }) = err.upload() else {
        panic!("{err:?}")
    };
    assert!(service.uploads.contains_key(upload_id));
    assert!(err.to_string().contains("was kept"), "{err}");
    assert_eq!(count(&run, |op| matches!(op, Operation::Abort { .. })), 0);
}

#[test]
fn an_abort_failure_does_not_hide_the_error() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(
        spec(),
        JobConfig {
            concurrency: 1,
            ..config(false)
        },
    )
    .unwrap();
    // HEAD, tagging, initiate, part 1 fatal, then the abort fails too.
    let faults = [Fault::None, Fault::None, Fault::None, Fault::Fatal, Fault::Fatal];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    let err = run.result.clone().unwrap().unwrap_err();
    assert!(
        matches!(
            &err,
            JobError::Service {
                operation: OperationKind::UploadPartCopy(1),
                upload: UploadFate::AbortFailed { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("Upload Part - Copy of part 1 failed"),
        "{message}"
    );
    assert!(message.contains("aborting multipart upload"), "{message}");
}

#[test]
fn cancel_lets_parts_in_flight_finish_then_aborts() {
    let mut service = Service::new(45);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    // HEAD, tagging, initiate.
    let now = answer_turns(&mut job, &mut service, 3);
    let d = drain(&mut job, now);
    assert_eq!(d.sends.len(), 2, "window of 2");
    job.cancel();
    let nothing = drain(&mut job, now);
    assert!(nothing.sends.is_empty() && nothing.finished.is_none());
    answer_all(&mut job, &mut service, &d, now);
    let d = drain(&mut job, now);
    assert_eq!(d.records.len(), 2, "parts finished while draining are persisted");
    assert!(matches!(d.sends[..], [(_, Operation::Abort { .. })]));
    answer_all(&mut job, &mut service, &d, now);
    let d = drain(&mut job, now);
    let err = d.finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::Cancelled {
            upload: UploadFate::Aborted { .. }
        }
    ));
    assert!(service.uploads.is_empty());
}

#[test]
fn cancel_during_initiate_keeps_a_resumable_upload_with_its_header() {
    let mut service = Service::new(45);
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    let now = answer_turns(&mut job, &mut service, 2);
    let d = drain(&mut job, now);
    assert!(matches!(d.sends[..], [(_, Operation::Initiate { .. })]));
    job.cancel();
    job.cancel();
    answer_all(&mut job, &mut service, &d, now);
    let d = drain(&mut job, now);
    assert!(matches!(d.records[..], [Record::Header(_)]));
    assert!(d.sends.is_empty());
    let err = d.finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::Cancelled {
            upload: UploadFate::Kept { .. }
        }
    ));
}

#[test]
fn cancel_before_anything_is_answered() {
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    job.cancel();
    assert!(drain(&mut job, Duration::ZERO).finished.is_none());
    job.handle(
        d.sends[0].0,
        Ok(Reply::Head(Box::new(common::source_info(100, "\"e\"")))),
        MS,
    );
    let d = drain(&mut job, MS);
    assert!(d.sends.is_empty());
    assert!(matches!(
        d.finished,
        Some(Err(JobError::Cancelled {
            upload: UploadFate::None
        }))
    ));
}

/// Runs a resumable job until `parts` part copies were answered, then stops (a crash).
fn interrupted(service: &mut Service, spec: JobSpec, parts: usize) -> Vec<Record> {
    let mut job = CopyJob::new(spec, config(true)).unwrap();
    // HEAD, tagging and initiate come first.
    let run = drive(&mut job, service, &[], &[], Some(3 + parts));
    assert!(run.result.is_none());
    run.records
}

#[test]
fn resume_copies_only_what_is_missing() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 4);
    let done: Vec<u32> = records
        .iter()
        .filter_map(|r| match r {
            Record::Part { number, .. } => Some(*number),
            Record::Header(_) => None,
        })
        .collect();
    assert_eq!(done.len(), 4);
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.resumed_parts, 4);
    assert_eq!(outcome.restart, None);
    let copied: Vec<u32> = run
        .sent
        .iter()
        .filter_map(|(_, op)| match op {
            Operation::UploadPartCopy { part_number, .. } => Some(*part_number),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 10 - 4);
    assert!(copied.iter().all(|n| !done.contains(n)));
    assert_eq!(count(&run, |op| matches!(op, Operation::Initiate { .. })), 0);
    assert_eq!(service.object.unwrap().size, 95);
}

#[test]
fn resume_copies_again_a_recorded_part_the_service_does_not_list() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 4);
    let recorded: Vec<u32> = records
        .iter()
        .filter_map(|r| match r {
            Record::Part { number, .. } => Some(*number),
            Record::Header(_) => None,
        })
        .collect();
    // The service lost one recorded part: naming it in Complete would fail the upload for good.
    let lost = recorded[0];
    for parts in service.uploads.values_mut() {
        parts.remove(&lost);
    }
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.resumed_parts, 3);
    let copied: Vec<u32> = run
        .sent
        .iter()
        .filter_map(|(_, op)| match op {
            Operation::UploadPartCopy { part_number, .. } => Some(*part_number),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 10 - 3);
    assert!(copied.contains(&lost));
    assert_eq!(service.object.unwrap().size, 95);
}

#[test]
fn resume_follows_every_list_parts_page() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 10);
    // Only the header survived; the service holds all ten parts.
    let header = records[..1].to_vec();
    let config = JobConfig {
        list_parts_page: Some(3),
        ..config(true)
    };
    let mut job = CopyJob::resume(header, spec(), config).unwrap();
    let run = finish(&mut job, &mut service);
    let markers: Vec<Option<u32>> = run
        .sent
        .iter()
        .filter_map(|(_, op)| match op {
            Operation::ListParts {
                marker, max_parts, ..
            } => {
                assert_eq!(*max_parts, Some(3));
                Some(*marker)
            }
            _ => None,
        })
        .collect();
    assert_eq!(markers, vec![None, Some(3), Some(6), Some(9)]);
    assert_eq!(
        count(&run, |op| matches!(op, Operation::UploadPartCopy { .. })),
        0
    );
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.resumed_parts, 10);
    // Parts learnt from the listing are persisted, so the journal catches up.
    assert_eq!(run.records.len(), 10);
}

#[test]
fn resume_after_the_source_changed_starts_over() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 4);
    let Record::Header(old) = &records[0] else {
        panic!()
    };
    let old = old.clone();
    service.change_source(95);
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    assert!(run.sent.iter().any(|(_, op)| *op
        == Operation::Abort {
            upload_id: old.upload_id.clone()
        }));
    let outcome = run.result.clone().unwrap().unwrap();
    let restart = outcome.restart.unwrap();
    assert_eq!(restart.reason, RestartReason::SourceChanged);
    assert_eq!(restart.old_upload_id, old.upload_id);
    assert_eq!(restart.abort_failure, None);
    assert_eq!(outcome.resumed_parts, 0);
    assert_eq!(
        count(&run, |op| matches!(op, Operation::UploadPartCopy { .. })),
        10
    );
    // A new journal: a new header naming the new source and upload.
    let Record::Header(new) = &run.records[0] else {
        panic!("{:?}", run.records)
    };
    assert_ne!(new.etag, old.etag);
    assert_ne!(new.upload_id, old.upload_id);
    assert!(!service.uploads.contains_key(&old.upload_id));
}

#[test]
fn resume_with_another_part_size_starts_over() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    let mut other = spec();
    other.plan.part_size = Some(20);
    let mut job = CopyJob::resume(records, other, config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.restart.unwrap().reason, RestartReason::PlanChanged);
    assert_eq!((outcome.parts, outcome.part_size), (5, Some(20)));
}

/// Initiate fixed the first run's storage class, metadata and tags: a rerun asking for others
/// aborts the old upload and starts over with them, rather than finishing an object with the
/// first run's. Unchanged options resume, and so does a header from before options were recorded.
#[test]
fn resume_with_other_initiate_options_starts_over_with_them() {
    type Change = fn(&mut JobSpec);
    let changes: [(&str, Change); 4] = [
        ("storage class", |s| s.storage_class = Some("ARCHIVE".into())),
        ("metadata", |s| {
            s.directive = MetadataDirective::Replace;
            s.metadata.user = vec![("k".into(), "v".into())];
        }),
        ("tags", |s| {
            s.tags = TagsHandling::Set(vec![("t".into(), "1".into())])
        }),
        ("extra", |s| {
            s.extra_options = vec![("acl".into(), "private".into())]
        }),
    ];
    for (what, change) in &changes {
        let mut service = Service::new(95);
        let records = interrupted(&mut service, spec(), 2);
        let Record::Header(old) = &records[0] else {
            panic!("{records:?}")
        };
        let mut other = spec();
        change(&mut other);
        let mut job = CopyJob::resume(records.clone(), other.clone(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        let outcome = run.result.clone().unwrap().unwrap();
        let restart = outcome.restart.expect(what);
        assert_eq!(restart.reason, RestartReason::OptionsChanged, "{what}");
        assert_eq!(restart.old_upload_id, old.upload_id, "{what}");
        assert_eq!(outcome.resumed_parts, 0, "{what}");
        assert!(!service.uploads.contains_key(&old.upload_id), "{what}: aborted");
        let initiate = run
            .ops()
            .into_iter()
            .find(|op| matches!(op, Operation::Initiate { .. }))
            .cloned()
            .expect(what);
        let Operation::Initiate {
            metadata,
            tags,
            storage_class,
            ..
        } = initiate
        else {
            unreachable!()
        };
        assert_eq!(storage_class, other.storage_class, "{what}");
        if other.directive == MetadataDirective::Replace {
            assert_eq!(metadata.user, other.metadata.user, "{what}");
        }
        if let TagsHandling::Set(wanted) = &other.tags {
            assert_eq!(&tags, wanted, "{what}");
        }
        // The new journal records the new options: the same rerun now resumes.
        let Record::Header(new) = &run.records[0] else {
            panic!("{:?}", run.records)
        };
        assert_ne!(new.options, old.options, "{what}");
    }

    // The same options resume.
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    let mut job = CopyJob::resume(records.clone(), spec(), config(true)).unwrap();
    let outcome = finish(&mut job, &mut service).result.unwrap().unwrap();
    assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2));

    // A checkpoint from before options were recorded resumes whatever they are now.
    let mut service = Service::new(95);
    let mut records = interrupted(&mut service, spec(), 2);
    let Record::Header(header) = &mut records[0] else {
        panic!("{records:?}")
    };
    header.options = None;
    let mut other = spec();
    other.storage_class = Some("ARCHIVE".into());
    let mut job = CopyJob::resume(records, other, config(true)).unwrap();
    let outcome = finish(&mut job, &mut service).result.unwrap().unwrap();
    assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2));
}

/// The tags an Initiate of `run` carried, in order.
fn initiated_tags(run: &common::Run) -> Vec<Vec<(String, String)>> {
    run.ops()
        .into_iter()
        .filter_map(|op| match op {
            Operation::Initiate { tags, .. } => Some(tags.clone()),
            _ => None,
        })
        .collect()
}

/// Retagging the source changes neither its ETag nor its date, but the upload's tags were fixed by
/// its Initiate: a resume reads the source's tags again, goes on if they are the ones the upload
/// carries (in whatever order they are listed), and starts over with the new ones if not.
#[test]
fn resume_after_the_source_was_retagged_starts_over_with_its_new_tags() {
    let tags = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let first = tags(&[("team", "storage"), ("env", "prod")]);
    for (what, now, restarts) in [
        ("the same tags", first.clone(), false),
        (
            "listed in another order",
            tags(&[("env", "prod"), ("team", "storage")]),
            false,
        ),
        (
            "a value changed",
            tags(&[("team", "storage"), ("env", "test")]),
            true,
        ),
        (
            "a tag added",
            tags(&[("team", "storage"), ("env", "prod"), ("x", "")]),
            true,
        ),
        ("a tag removed", tags(&[("team", "storage")]), true),
        ("every tag removed", Vec::new(), true),
    ] {
        let mut service = Service::new(95);
        service.source_tags = first.clone();
        let records = interrupted(&mut service, spec(), 2);
        let Record::Header(old) = &records[0] else {
            panic!("{records:?}")
        };
        service.source_tags = now.clone();
        let mut job = CopyJob::resume(records.clone(), spec(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        let outcome = run.result.clone().unwrap().unwrap();
        let sent = run.ops();
        assert!(
            matches!(sent[..2], [Operation::HeadSource, Operation::GetSourceTagging]),
            "{what}: {sent:?}"
        );
        if restarts {
            let restart = outcome.restart.clone().expect(what);
            assert_eq!(restart.reason, RestartReason::SourceChanged, "{what}");
            assert_eq!(restart.old_upload_id, old.upload_id, "{what}");
            assert_eq!(outcome.resumed_parts, 0, "{what}");
            assert!(!service.uploads.contains_key(&old.upload_id), "{what}: aborted");
            assert_eq!(initiated_tags(&run), vec![now.clone()], "{what}");
            // The new journal records the new tags: the same rerun now resumes.
            let Record::Header(new) = &run.records[0] else {
                panic!("{:?}", run.records)
            };
            assert_ne!(new.options, old.options, "{what}");
        } else {
            assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2), "{what}");
            assert!(matches!(sent[2], Operation::ListParts { .. }), "{what}: {sent:?}");
            assert!(initiated_tags(&run).is_empty(), "{what}");
        }
    }

    // A checkpoint from before the source's tags were recorded resumes without reading them.
    let mut service = Service::new(95);
    let mut records = interrupted(&mut service, spec(), 2);
    let Record::Header(header) = &mut records[0] else {
        panic!("{records:?}")
    };
    let spec_only = header.options.clone().unwrap();
    let spec_only = &spec_only[..spec_only.find("11:source-tags").expect("recorded")];
    header.options = Some(spec_only.to_string());
    service.source_tags.clear();
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2));
    assert!(matches!(
        run.ops()[..2],
        [Operation::HeadSource, Operation::ListParts { .. }]
    ));

    // Tags that are not the source's (set, or skipped, or replaced metadata) are not read again.
    for change in [
        (|s: &mut JobSpec| s.tags = TagsHandling::Set(vec![("t".into(), "1".into())])) as fn(&mut JobSpec),
        |s| s.tags = TagsHandling::Skip,
        |s| s.directive = MetadataDirective::Replace,
    ] {
        let mut other = spec();
        change(&mut other);
        let mut service = Service::new(95);
        let records = interrupted(&mut service, other.clone(), 2);
        service.source_tags = vec![("new".into(), "tag".into())];
        let mut job = CopyJob::resume(records, other.clone(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        let outcome = run.result.clone().unwrap().unwrap();
        // (Without the tag read, the interrupted run got one part further.)
        assert_eq!((outcome.restart, outcome.resumed_parts), (None, 3), "{other:?}");
        assert_eq!(count(&run, |op| matches!(op, Operation::GetSourceTagging)), 0);
    }
}

/// Reading the source's tags again on resume can fail like any request: a resumable job then
/// keeps its upload for the next run.
#[test]
fn resume_whose_tag_read_fails_keeps_the_upload() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    let Record::Header(old) = &records[0] else {
        panic!("{records:?}")
    };
    let mut job = CopyJob::resume(records.clone(), spec(), config(true)).unwrap();
    let run = drive(&mut job, &mut service, &[Fault::None, Fault::Fatal], &[], None);
    let err = run.result.clone().unwrap().unwrap_err();
    assert!(err.to_string().contains("tags"), "{err}");
    assert!(service.uploads.contains_key(&old.upload_id), "kept");
    assert_eq!(count(&run, |op| matches!(op, Operation::Abort { .. })), 0);
    // The next run goes on with it.
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let outcome = finish(&mut job, &mut service).result.unwrap().unwrap();
    assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2));
}

#[test]
fn resume_of_a_vanished_upload_starts_over_cleanly() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    service.uploads.clear();
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.restart.unwrap().reason, RestartReason::UploadGone);
    assert_eq!(count(&run, |op| matches!(op, Operation::Abort { .. })), 0);
    assert_eq!(count(&run, |op| matches!(op, Operation::Initiate { .. })), 1);
    assert!(matches!(run.records[0], Record::Header(_)));
}

#[test]
fn resume_refuses_another_copy_or_no_header() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 1);
    let mut other = spec();
    other.destination = "elsewhere".into();
    assert!(matches!(
        CopyJob::resume(records.clone(), other, config(true)),
        Err(ResumeError::DifferentJob {
            field: "destination",
            ..
        })
    ));
    assert!(matches!(
        CopyJob::resume(records[1..].to_vec(), spec(), config(true)),
        Err(ResumeError::NoHeader)
    ));
}

/// Why a job that ended with [`JobError::CompletionUnconfirmed`] could not confirm.
fn doubt(err: &JobError) -> &Doubt {
    match err {
        JobError::CompletionUnconfirmed { doubt, .. } => doubt,
        other => panic!("not CompletionUnconfirmed: {other:?}"),
    }
}

/// HEAD, tagging, initiate, two parts, then Complete takes effect but its reply is lost.
const LOSE_THE_COMPLETE: [Fault; 6] = [
    Fault::None,
    Fault::None,
    Fault::None,
    Fault::None,
    Fault::None,
    Fault::LostReply,
];

#[test]
fn a_lost_complete_is_confirmed_by_the_destination_crc64() {
    let mut service = Service::new(15);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &LOSE_THE_COMPLETE, &[], None);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.confirmed, Some(Evidence::Crc64));
    let object = service.object.clone().unwrap();
    assert_eq!(outcome.etag, object.etag, "the HEAD's ETag");
    assert_eq!(outcome.crc64, Some(object.crc64));
    assert_eq!((outcome.parts, outcome.resumed_parts), (2, 0));
    assert_eq!(service.completions, 1);
    assert_eq!(count(&run, |op| matches!(op, Operation::Complete { .. })), 2);
    assert_eq!(count(&run, |op| matches!(op, Operation::HeadDestination)), 1);
    assert_eq!(count(&run, |op| matches!(op, Operation::Abort { .. })), 0);
    assert_eq!(job.progress().bytes_done, 15);
}

#[test]
fn without_crc64_a_lost_complete_is_confirmed_by_dates() {
    let mut service = Service::new(15);
    service.report_crc64 = false;
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &LOSE_THE_COMPLETE, &[], None);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.confirmed, Some(Evidence::ModifiedAfterInitiate));
    assert_eq!(outcome.crc64, None);
}

/// A stale object at the destination: an earlier multipart copy of an earlier version of the
/// source, with the same size and part count, written before this copy began.
fn stale_object(service: &Service) -> common::Object {
    let size = service.source.size;
    common::Object {
        etag: "\"stale-2\"".into(),
        parts: None,
        size,
        upload_id: None,
        crc64: common::content_crc("\"src-v0\"", size),
        metadata: service.source.metadata.clone(),
        last_modified: common::http_date(0),
        storage_class: None,
    }
}

/// Complete fails without taking effect, someone else removes the upload, and the destination
/// holds a stale object: the retry meets NoSuchUpload, and the HEAD must not take the stale
/// object for the copy.
fn removed_upload_with_stale_destination(report_crc64: bool) -> JobError {
    let mut service = Service::new(15);
    service.report_crc64 = report_crc64;
    service.object = Some(stale_object(&service));
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &[], &[], Some(5));
    let [(id, op)] = &run.pending[..] else {
        panic!("{:?}", run.pending)
    };
    assert!(matches!(op, Operation::Complete { .. }));
    job.handle(*id, Err(failure(FailureKind::Transport, 0)), MS);
    service.uploads.clear();
    let run = finish(&mut job, &mut service);
    assert_eq!(service.completions, 0);
    assert_eq!(count(&run, |op| matches!(op, Operation::HeadDestination)), 1);
    run.result.unwrap().unwrap_err()
}

#[test]
fn a_stale_destination_is_not_taken_for_a_lost_complete() {
    let err = removed_upload_with_stale_destination(true);
    assert!(matches!(doubt(&err), Doubt::Crc64 { .. }), "{err:?}");
    assert!(err.to_string().contains("check the destination"), "{err}");
    assert!(err.to_string().contains("CRC-64"), "{err}");
    let err = removed_upload_with_stale_destination(false);
    assert!(matches!(doubt(&err), Doubt::Older { .. }), "{err:?}");
    assert!(err.to_string().contains("before the upload began"), "{err}");
}

#[test]
fn a_lost_complete_with_no_destination_is_unconfirmed() {
    let mut service = Service::new(15);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &[], &[], Some(5));
    let (id, _) = run.pending[0].clone();
    job.handle(id, Err(failure(FailureKind::Retryable, 500)), MS);
    service.uploads.clear();
    let err = finish(&mut job, &mut service).result.unwrap().unwrap_err();
    assert!(matches!(doubt(&err), Doubt::Missing), "{err:?}");
}

#[test]
fn cancel_while_confirming_lets_the_head_decide() {
    let mut service = Service::new(15);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    // The lost Complete, then its retry meets NoSuchUpload and the HEAD goes out.
    let run = drive(&mut job, &mut service, &LOSE_THE_COMPLETE, &[], Some(7));
    let [(id, Operation::HeadDestination)] = &run.pending[..] else {
        panic!("{:?}", run.pending)
    };
    job.cancel();
    assert!(drain(&mut job, MS).sends.is_empty());
    let reply = service.apply(&Operation::HeadDestination);
    job.handle(*id, reply, MS);
    let outcome = drain(&mut job, MS).finished.unwrap().unwrap();
    assert_eq!(outcome.confirmed, Some(Evidence::Crc64));

    // The same, but the HEAD fails and is not retried after the cancellation.
    let mut service = Service::new(15);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &LOSE_THE_COMPLETE, &[], Some(7));
    let (id, _) = run.pending[0].clone();
    job.cancel();
    job.handle(id, Err(failure(FailureKind::Retryable, 503)), MS);
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(err, JobError::CompletionUnconfirmed { .. }), "{err:?}");

    // Cancelled while the HEAD waits out a backoff: it is not sent again.
    let mut service = Service::new(15);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let run = drive(&mut job, &mut service, &LOSE_THE_COMPLETE, &[], Some(7));
    let (id, _) = run.pending[0].clone();
    job.handle(id, Err(failure(FailureKind::Retryable, 503)), MS);
    assert!(drain(&mut job, MS).sends.is_empty(), "backing off");
    job.cancel();
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(doubt(&err), Doubt::Cancelled), "{err:?}");
}

#[test]
fn cancel_while_confirming_an_in_place_put_copy_lets_the_head_decide() {
    let mut spec = spec();
    spec.in_place = true;
    spec.storage_class = Some("ARCHIVE".into());
    let faults = [Fault::None, Fault::LostReply];
    // Stop as soon as the confirming HEAD is out.
    let (mut job, mut service, id) = (1..40)
        .find_map(|steps| {
            let mut service = Service::new(5);
            service.in_place = true;
            let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
            let run = drive(&mut job, &mut service, &faults, &[], Some(steps));
            match &run.pending[..] {
                [(id, Operation::HeadDestination)] => Some((job, service, *id)),
                _ => None,
            }
        })
        .expect("the HEAD goes out");
    job.cancel();
    assert!(drain(&mut job, MS).sends.is_empty());
    let reply = service.apply(&Operation::HeadDestination);
    job.handle(id, reply, MS);
    let outcome = drain(&mut job, MS).finished.unwrap().unwrap();
    assert_eq!(outcome.confirmed, Some(Evidence::Crc64));
}

/// A resume that found the upload gone and the destination completed: it sent only HEAD of the
/// source, GET of its tags (unless `in_place`: the source found is the copy), List Parts and HEAD
/// of the destination — no part copy, no Complete.
fn assert_resumed_by_confirming(run: &common::Run, in_place: bool) {
    let sent = run.ops();
    let listed = if in_place { &sent[1..] } else { &sent[2..] };
    assert!(
        matches!(sent[0], Operation::HeadSource)
            && (in_place || matches!(sent[1], Operation::GetSourceTagging))
            && matches!(listed, [Operation::ListParts { .. }, Operation::HeadDestination]),
        "{sent:?}"
    );
}

/// A resumable run sends Complete, which takes effect, and is stopped before it hears back
/// (killed between Complete and removing its checkpoint): the journal records every part.
fn completed_then_stopped(service: &mut Service) -> Vec<Record> {
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    let run = drive(&mut job, service, &LOSE_THE_COMPLETE, &[], Some(6));
    assert!(run.result.is_none());
    assert_eq!(service.completions, 1);
    run.records
}

#[test]
fn resume_after_a_stop_past_complete_copies_nothing_again() {
    for report_crc64 in [true, false] {
        let mut service = Service::new(15);
        service.report_crc64 = report_crc64;
        let records = completed_then_stopped(&mut service);
        let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        let outcome = run.result.clone().unwrap().unwrap();
        let evidence = if report_crc64 {
            Evidence::Crc64
        } else {
            Evidence::ModifiedAfterInitiate
        };
        assert_eq!(outcome.confirmed, Some(evidence));
        assert_eq!(outcome.restart, None);
        assert_eq!((outcome.parts, outcome.resumed_parts), (2, 2));
        assert_eq!(outcome.etag, service.object.clone().unwrap().etag);
        assert_resumed_by_confirming(&run, false);
        assert_eq!(service.completions, 1);
    }
}

#[test]
fn resume_in_place_after_a_stop_past_complete_copies_nothing_again() {
    for (report_crc64, evidence) in [
        (true, Evidence::Crc64),
        // No CRC-64 recorded in the checkpoint: the dates decide.
        (false, Evidence::ModifiedAfterInitiate),
    ] {
        // In place the completed copy is the source itself: HEAD finds it "changed".
        let mut service = Service::new(15);
        service.report_crc64 = report_crc64;
        let records = completed_then_stopped(&mut service);
        let Record::Header(header) = &records[0] else {
            panic!("{records:?}")
        };
        assert_eq!(header.crc64.is_some(), report_crc64);
        service.source = service.object.clone().unwrap().info(report_crc64);
        let mut spec = spec();
        spec.in_place = true;
        let mut job = CopyJob::resume(records.clone(), spec.clone(), config(true)).unwrap();
        let run = finish(&mut job, &mut service.clone());
        let outcome = run.result.clone().unwrap().unwrap();
        assert_eq!(outcome.confirmed, Some(evidence));
        assert_eq!((outcome.restart, outcome.resumed_parts), (None, 2));
        assert_resumed_by_confirming(&run, true);
        // Asked for other options now, the completed copy (with the first run's) is not taken:
        // the object is copied in place again, with the new ones.
        let mut other = spec.clone();
        other.storage_class = Some("ARCHIVE".into());
        let mut job = CopyJob::resume(records.clone(), other, config(true)).unwrap();
        let run = finish(&mut job, &mut service.clone());
        let outcome = run.result.clone().unwrap().unwrap();
        assert_eq!(outcome.confirmed, None);
        assert_eq!(outcome.restart.unwrap().reason, RestartReason::OptionsChanged);
        assert!(run.ops().iter().any(|op| matches!(
            op,
            Operation::Initiate { storage_class: Some(class), .. } if class == "ARCHIVE"
        )));
        // Not in place, the same journal and service mean the source changed: start over.
        spec.in_place = false;
        let mut job = CopyJob::resume(records, spec, config(true)).unwrap();
        let outcome = finish(&mut job, &mut service).result.unwrap().unwrap();
        assert_eq!(outcome.restart.unwrap().reason, RestartReason::SourceChanged);
    }
}

#[test]
fn a_lost_put_copy_answer_in_place_is_judged_not_taken_for_a_changed_source() {
    // The first PUT-Copy rewrites the object (a new ETag) but its answer is lost; the retry's
    // If-Match fails, and the HEAD shows the rewritten object: the copy is done.
    let mut spec = spec();
    spec.in_place = true;
    spec.storage_class = Some("ARCHIVE".into());
    // The first PUT-Copy's answer lost, on an in-place service reporting CRC-64s or not.
    let lose_the_put_copy = |report_crc64: bool| {
        let mut service = Service::new(5);
        service.in_place = true;
        service.report_crc64 = report_crc64;
        let mut job = CopyJob::new(spec.clone(), config(false)).unwrap();
        drive(
            &mut job,
            &mut service,
            &[Fault::None, Fault::LostReply],
            &[],
            None,
        )
    };
    let run = lose_the_put_copy(true);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.confirmed, Some(Evidence::Crc64));
    assert_eq!(outcome.mode, CopyMode::Single);
    let sent = run.ops();
    assert!(
        matches!(
            sent[..],
            [
                Operation::HeadSource,
                Operation::PutCopy { .. },
                Operation::PutCopy { .. },
                Operation::HeadDestination
            ]
        ),
        "{sent:?}"
    );

    // Without a CRC-64 nothing can show it: reported, not claimed, and not as a changed source.
    let err = lose_the_put_copy(false).result.unwrap().unwrap_err();
    assert_eq!(
        err,
        JobError::CopyUnconfirmed {
            doubt: Doubt::NoEvidence
        }
    );
    assert!(err.to_string().contains("onto itself was retried"), "{err}");

    // Not in place, a 412 after a lost answer is the source changing, as before.
    spec.in_place = false;
    let mut service = Service::new(5);
    let mut job = CopyJob::new(spec, config(false)).unwrap();
    let faults = [Fault::None, Fault::Transport, Fault::Precondition];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    assert!(matches!(run.result.unwrap(), Err(JobError::SourceChanged { .. })));
}

#[test]
fn resume_in_place_of_an_object_replaced_before_complete_starts_over() {
    let mut service = Service::new(95);
    let mut spec = spec();
    spec.in_place = true;
    let records = interrupted(&mut service, spec.clone(), 4);
    let Record::Header(old) = &records[0] else {
        panic!()
    };
    let old = old.clone();
    service.change_source(95);
    let mut job = CopyJob::resume(records, spec, config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    // The upload was still there, so its Complete never ran: the object really was replaced.
    assert_eq!(outcome.confirmed, None);
    let restart = outcome.restart.unwrap();
    assert_eq!(
        (restart.reason, restart.old_upload_id),
        (RestartReason::SourceChanged, old.upload_id.clone())
    );
    assert!(run.sent.iter().any(|(_, op)| *op
        == Operation::Abort {
            upload_id: old.upload_id.clone()
        }));
    assert_eq!(
        count(&run, |op| matches!(op, Operation::UploadPartCopy { .. })),
        10
    );
    assert_eq!(count(&run, |op| matches!(op, Operation::HeadDestination)), 0);
}

#[test]
fn resume_in_place_whose_upload_is_gone_with_parts_missing_starts_over_against_the_new_source() {
    // The upload vanished (aborted by someone) before every part was recorded, and the object was
    // replaced: a fresh copy of the new object, whose lost Complete is then judged against it.
    let mut service = Service::new(95);
    let mut spec = spec();
    spec.in_place = true;
    let records = interrupted(&mut service, spec.clone(), 4);
    service.uploads.clear();
    service.change_source(95);
    let mut job = CopyJob::resume(records, spec, config(true)).unwrap();
    let faults = [Fault::None; 14]
        .into_iter()
        .chain([Fault::LostReply])
        .collect::<Vec<_>>();
    let run = drive(&mut job, &mut service, &faults, &[], None);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.restart.unwrap().reason, RestartReason::UploadGone);
    assert_eq!(outcome.confirmed, Some(Evidence::Crc64), "{:?}", run.sent);
}

#[test]
fn resume_whose_upload_is_gone_and_destination_stale_starts_over() {
    for report_crc64 in [true, false] {
        let mut service = Service::new(15);
        service.report_crc64 = report_crc64;
        let records = completed_then_stopped(&mut service);
        // Someone overwrote the copy with an older object since.
        service.object = Some(stale_object(&service));
        let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        let outcome = run.result.clone().unwrap().unwrap();
        assert_eq!(outcome.confirmed, None);
        assert_eq!(outcome.restart.unwrap().reason, RestartReason::UploadGone);
        assert_eq!(
            count(&run, |op| matches!(op, Operation::UploadPartCopy { .. })),
            2
        );
        assert_eq!(service.completions, 2);
    }
}

#[test]
fn resume_from_a_version_1_journal_without_crc64_starts_over() {
    // No Initiate date (format 1) and no CRC-64: nothing can tell the copy from an older object.
    let mut service = Service::new(15);
    service.report_crc64 = false;
    let mut records = completed_then_stopped(&mut service);
    if let Record::Header(header) = &mut records[0] {
        header.initiated = None;
    }
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.restart.unwrap().reason, RestartReason::UploadGone);
    assert_eq!(count(&run, |op| matches!(op, Operation::HeadDestination)), 1);
}

#[test]
fn resume_of_a_gone_upload_missing_parts_does_not_head_the_destination() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    service.uploads.clear();
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    assert_eq!(count(&run, |op| matches!(op, Operation::HeadDestination)), 0);
}

#[test]
fn missing_source_and_oversized_source() {
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    job.handle(d.sends[0].0, Err(failure(FailureKind::NoSuchKey, 404)), MS);
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(err, JobError::SourceNotFound { .. }));
    assert!(err.to_string().starts_with("source object not found"));

    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    let huge = common::source_info(2_000_000, "\"e\"");
    job.handle(d.sends[0].0, Ok(Reply::Head(Box::new(huge))), MS);
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::Plan {
            source: PlanError::ObjectTooLarge { .. },
            ..
        }
    ));
}

#[test]
fn a_wrong_reply_is_an_error_not_a_panic() {
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    job.handle(d.sends[0].0, Ok(Reply::Aborted), MS);
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::UnexpectedReply {
            operation: OperationKind::HeadSource,
            ..
        }
    ));
}

#[test]
fn invalid_options_are_refused_up_front() {
    let mut spec = spec();
    spec.plan.threshold = Some(11);
    assert!(matches!(
        CopyJob::new(spec.clone(), config(false)),
        Err(PlanError::ThresholdTooLarge { .. })
    ));
    spec.plan.threshold = None;
    spec.plan.part_size = Some(0);
    assert!(matches!(
        CopyJob::new(spec, config(false)),
        Err(PlanError::PartTooSmall { .. })
    ));
}

#[test]
fn progress_counts_bytes_and_parts() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(false)).unwrap();
    let now = answer_turns(&mut job, &mut service, 3);
    let d = drain(&mut job, now);
    let p = job.progress();
    assert_eq!(p.phase, partcopy_core::Phase::CopyingParts);
    assert_eq!((p.parts_total, p.parts_done, p.parts_in_flight), (3, 0, 2));
    assert_eq!((p.bytes_total, p.bytes_done), (25, 0));
    answer_all(&mut job, &mut service, &d, now);
    let p = job.progress();
    assert_eq!((p.parts_done, p.bytes_done), (2, 20));
    assert!(p.upload_id.is_some());
}

#[test]
fn a_source_deleted_before_resume_gets_its_upload_aborted() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let d = drain(&mut job, Duration::ZERO);
    job.handle(d.sends[0].0, Err(failure(FailureKind::NoSuchKey, 404)), MS);
    let d = drain(&mut job, MS);
    assert!(
        matches!(d.sends[..], [(_, Operation::Abort { .. })]),
        "{:?}",
        d.sends
    );
    answer_all(&mut job, &mut service, &d, MS);
    let err = drain(&mut job, MS).finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::SourceNotFound {
            upload: UploadFate::Aborted { .. },
            ..
        }
    ));
    assert!(service.uploads.is_empty());
}

#[test]
fn a_source_deleted_mid_copy_aborts_even_a_resumable_upload() {
    let mut service = Service::new(25);
    let mut job = CopyJob::new(spec(), config(true)).unwrap();
    let now = answer_turns(&mut job, &mut service, 3);
    let d = drain(&mut job, now);
    job.handle(d.sends[0].0, Err(failure(FailureKind::NoSuchKey, 404)), now);
    answer_all(
        &mut job,
        &mut service,
        &Drained {
            sends: d.sends[1..].to_vec(),
            ..Drained::default()
        },
        now,
    );
    let d = drain(&mut job, now);
    assert!(
        matches!(d.sends[..], [(_, Operation::Abort { .. })]),
        "{:?}",
        d.sends
    );
    answer_all(&mut job, &mut service, &d, now);
    let err = drain(&mut job, now).finished.unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::SourceNotFound {
            upload: UploadFate::Aborted { .. },
            ..
        }
    ));
}

#[test]
fn a_resumed_source_that_grew_past_the_limit_gets_its_upload_aborted() {
    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 2);
    service.change_source(2_000_000);
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let err = run.result.clone().unwrap().unwrap_err();
    assert!(matches!(
        err,
        JobError::Plan {
            source: PlanError::ObjectTooLarge { .. },
            upload: UploadFate::Aborted { .. }
        }
    ));
    assert!(service.uploads.is_empty());
}

#[test]
fn ten_thousand_parts() {
    let mut service = Service::new(10_000 * 10);
    let mut job = CopyJob::new(
        spec(),
        JobConfig {
            concurrency: 64,
            ..config(true)
        },
    )
    .unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.parts, 10_000);
    // HEAD, tagging, initiate, the parts, complete: nothing more.
    assert_eq!(outcome.requests, 10_004);
    assert_eq!(run.max_parts_in_flight, 64);
    assert_eq!(run.records.len(), 10_001);
}

#[test]
fn throttling_halves_the_window_once_per_round_then_it_grows_back() {
    let mut service = Service::new(1000);
    let mut job = CopyJob::new(
        spec(),
        JobConfig {
            concurrency: 8,
            ..config(false)
        },
    )
    .unwrap();
    let mut now = answer_turns(&mut job, &mut service, 3);
    let d = drain(&mut job, now);
    assert_eq!(d.sends.len(), 8);
    // All eight are throttled at once: one cut, not eight.
    for (id, _) in &d.sends {
        job.handle(*id, Err(failure(FailureKind::Throttled, 503)), now);
    }
    assert_eq!(job.progress().window, 4);
    let mut max_seen = 0;
    loop {
        let d = drain(&mut job, now);
        if let Some(result) = d.finished {
            assert!(result.is_ok());
            break;
        }
        max_seen = max_seen.max(job.progress().parts_in_flight);
        if d.sends.is_empty() && job.progress().parts_in_flight == 0 {
            now = d.wait.unwrap().unwrap();
            continue;
        }
        answer_all(&mut job, &mut service, &d, now);
        now += MS;
        if job.progress().window == 4 {
            assert!(max_seen <= 4);
        }
    }
    assert_eq!(job.progress().window, 8, "grown back after enough successes");
}

#[test]
fn the_window_stays_put_when_not_adaptive() {
    let mut service = Service::new(1000);
    let mut job = CopyJob::new(
        spec(),
        JobConfig {
            concurrency: 8,
            adaptive_window: false,
            ..config(false)
        },
    )
    .unwrap();
    let faults = [Fault::None, Fault::None, Fault::None, Fault::Throttled(None)];
    let run = drive(&mut job, &mut service, &faults, &[], None);
    assert!(run.result.unwrap().is_ok());
    assert_eq!(job.progress().window, 8);
}

#[test]
fn only_records_after_the_last_header_count() {
    let mut service = Service::new(95);
    let real = interrupted(&mut service, spec(), 2);
    let Record::Header(header) = &real[0] else {
        panic!()
    };
    let mut older = header.clone();
    older.upload_id = "an-older-upload".into();
    let mut records = vec![
        Record::Header(older),
        Record::Part {
            number: 5,
            etag: "\"stale\"".into(),
        },
    ];
    assert!(!real.contains(&Record::Part {
        number: 5,
        etag: "\"stale\"".into()
    }));
    records.extend(real.iter().cloned());
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    let outcome = run.result.clone().unwrap().unwrap();
    assert_eq!(outcome.restart, None);
    assert_eq!(outcome.resumed_parts, 2);
    assert_eq!(outcome.upload_id.as_ref(), Some(&header.upload_id));
    let Some(Operation::Complete { parts, .. }) = run.sent.last().map(|(_, op)| op) else {
        panic!()
    };
    assert!(parts.iter().all(|p| p.etag != "\"stale\""));
}

/// A fresh copy of a source whose data is offline until restored stops after the HEAD, sending
/// nothing for the copy, single or multipart; a resumed one goes on as recorded (the simulated
/// service reads it anyway: the rule is the job's, not the service's).
#[test]
fn an_unrestored_archived_source_is_refused_before_anything_is_sent() {
    for size in [5, 95] {
        let mut service = Service::new(size);
        service.source.needs_restore = true;
        service.source.storage_class = Some("ARCHIVE".into());
        let mut job = CopyJob::new(spec(), config(true)).unwrap();
        let run = finish(&mut job, &mut service);
        assert_eq!(run.ops(), vec![&Operation::HeadSource], "{size} bytes");
        let error = run.result.clone().unwrap().unwrap_err();
        assert_eq!(
            error,
            JobError::SourceNeedsRestore {
                storage_class: "ARCHIVE".into()
            }
        );
        assert!(
            error
                .to_string()
                .contains("ARCHIVE storage class and not restored"),
            "{error}"
        );
        assert!(run.records.is_empty());
    }

    let mut service = Service::new(95);
    let records = interrupted(&mut service, spec(), 4);
    service.source.needs_restore = true;
    let mut job = CopyJob::resume(records, spec(), config(true)).unwrap();
    let run = finish(&mut job, &mut service);
    assert_eq!(run.result.clone().unwrap().unwrap().resumed_parts, 4);
}
