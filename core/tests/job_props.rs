//! Property tests of `CopyJob` against the simulated service, with faults chosen by proptest.

mod common;

use std::collections::BTreeSet;

use common::{count, drive, drive_with, Fault, Run, Service};
use partcopy_core::checkpoint::{self, Record};
use partcopy_core::job::{CopyJob, CopyMode, JobConfig, JobError, JobSpec, UploadFate};
use partcopy_core::ops::{MetadataDirective, Operation};
use partcopy_core::plan::{self, Limits, Plan, PlanOptions};
use proptest::prelude::*;

fn limits() -> Limits {
    Limits {
        single_copy_max: 64,
        min_part_size: 1,
        max_part_size: 1 << 20,
        max_parts: 10_000,
        max_object_size: 1 << 30,
    }
}

#[derive(Debug, Clone)]
struct Setup {
    size: u64,
    part_size: u64,
    threshold: u64,
    concurrency: u32,
    max_attempts: u32,
    resumable: bool,
    replace: bool,
    page: Option<u32>,
    seed: u64,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        0u64..160,
        5u64..=40,
        0u64..=64,
        1u32..=4,
        2u32..=5,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(1u32..=4),
        any::<u64>(),
    )
        .prop_map(
            |(size, part_size, threshold, concurrency, max_attempts, resumable, replace, page, seed)| Setup {
                size,
                part_size,
                threshold,
                concurrency,
                max_attempts,
                resumable,
                replace,
                page,
                seed,
            },
        )
}

impl Setup {
    fn spec(&self) -> JobSpec {
        let mut spec = JobSpec::new("cos://src-125/key", "cos://dst-125/key", limits());
        spec.plan = PlanOptions {
            part_size: Some(self.part_size),
            threshold: Some(self.threshold),
        };
        if self.replace {
            spec.directive = MetadataDirective::Replace;
            spec.metadata.content_type = Some("text/plain".into());
        }
        spec.storage_class = Some("STANDARD_IA".into());
        spec
    }

    fn config(&self) -> JobConfig {
        JobConfig {
            concurrency: self.concurrency,
            max_attempts: self.max_attempts,
            jitter_seed: self.seed,
            resumable: self.resumable,
            list_parts_page: self.page,
            ..JobConfig::default()
        }
    }

    /// The simulated service; one setup in three reports no CRC-64s, so that a lost Complete is
    /// confirmed by dates instead.
    fn service(&self) -> Service {
        let mut service = Service::new(self.size);
        service.report_crc64 = !self.seed.is_multiple_of(3);
        service
    }

    fn plan(&self) -> Plan {
        plan::plan(self.size, &limits(), &self.spec().plan).unwrap()
    }
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        12 => Just(Fault::None),
        2 => Just(Fault::Retryable),
        1 => prop::option::of(0u16..50).prop_map(Fault::Throttled),
        1 => Just(Fault::Transport),
        1 => Just(Fault::LostReply),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::Fatal),
        1 => Just(Fault::Precondition),
    ]
}

fn retryable_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::Retryable),
        1 => prop::option::of(0u16..50).prop_map(Fault::Throttled),
        1 => Just(Fault::Transport),
        1 => Just(Fault::LostReply),
        1 => Just(Fault::Duplicate),
    ]
}

/// Checks a successful multipart or single copy against the service.
fn check_success(setup: &Setup, run: &Run, service: &Service) {
    let Some(Ok(outcome)) = &run.result else {
        panic!("not a success: {:?}", run.result);
    };
    let object = service.object.as_ref().expect("no destination object");
    assert_eq!(object.etag, outcome.etag);
    assert_eq!(object.size, setup.size);
    assert_eq!(outcome.size, setup.size);
    match setup.plan() {
        Plan::Single { .. } => {
            assert_eq!(outcome.mode, CopyMode::Single);
            assert_eq!(object.parts, None);
            assert_eq!(count(run, |op| matches!(op, Operation::Initiate { .. })), 0);
            for (_, op) in &run.sent {
                if let Operation::PutCopy {
                    source_etag,
                    storage_class,
                    directive,
                    ..
                } = op
                {
                    assert_eq!(source_etag.as_deref(), Some(service.source.etag.as_str()));
                    assert_eq!(storage_class.as_deref(), Some("STANDARD_IA"));
                    assert_eq!(*directive == MetadataDirective::Replace, setup.replace);
                }
            }
        }
        plan @ Plan::Multipart { .. } => {
            let parts: Vec<_> = plan.parts().collect();
            assert_eq!(outcome.mode, CopyMode::Multipart);
            assert_eq!(service.completions, 1, "completed exactly once");
            let completes: Vec<&Operation> = run
                .ops()
                .into_iter()
                .filter(|op| matches!(op, Operation::Complete { .. }))
                .collect();
            assert!(!completes.is_empty());
            // Every Complete sent (retries included) names the same parts.
            assert!(completes.windows(2).all(|w| w[0] == w[1]));
            let Operation::Complete { parts: completed, .. } = completes[0] else {
                unreachable!()
            };
            let numbers: Vec<u32> = completed.iter().map(|p| p.number).collect();
            let planned: Vec<u32> = parts.iter().map(|p| p.number).collect();
            assert_eq!(numbers, planned, "every planned part exactly once, ascending");
            // The service accepted them, so each ETag is the one it returned for that part, and
            // the object is made of the planned ranges in order.
            let ranges: Vec<_> = parts.iter().map(|p| p.range).collect();
            assert_eq!(object.parts.as_ref(), Some(&ranges));
            assert!(run.parts_in_flight_at_complete.iter().all(|&n| n == 0));
            // Part copies are pinned to the source's ETag.
            for (_, op) in &run.sent {
                if let Operation::UploadPartCopy { source_etag, .. } = op {
                    assert_eq!(source_etag, &service.source.etag);
                }
                if let Operation::Initiate {
                    metadata,
                    tags,
                    storage_class,
                    ..
                } = op
                {
                    assert_eq!(storage_class.as_deref(), Some("STANDARD_IA"));
                    if setup.replace {
                        assert_eq!(metadata.content_type.as_deref(), Some("text/plain"));
                        assert!(tags.is_empty());
                    } else {
                        assert_eq!(metadata, &service.source.metadata);
                        assert_eq!(tags, &service.source_tags);
                    }
                }
            }
            assert_eq!(
                count(run, |op| matches!(op, Operation::GetSourceTagging)) > 0,
                !setup.replace
            );
        }
    }
}

fn check_failure(setup: &Setup, run: &Run, service: &Service) {
    let Some(Err(error)) = &run.result else {
        panic!("not a failure: {:?}", run.result);
    };
    // A message for people, never empty.
    assert!(!error.to_string().is_empty());
    let completes = count(run, |op| matches!(op, Operation::Complete { .. }));
    match error {
        JobError::CompletionUnconfirmed { .. } => {
            // An earlier Complete took effect but its reply was lost.
            assert_eq!(service.completions, 1);
            return;
        }
        JobError::Service {
            operation: partcopy_core::job::OperationKind::Complete,
            ..
        } => {
            // A failure after a Complete whose reply was lost: it may have taken effect.
            assert!(service.completions <= 1);
        }
        _ => {
            assert_eq!(completes, 0, "Complete sent by a failed job: {error}");
            assert_eq!(service.completions, 0);
        }
    }
    if matches!(setup.plan(), Plan::Single { .. }) {
        assert_eq!(count(run, |op| matches!(op, Operation::Initiate { .. })), 0);
        return;
    }
    let aborts: Vec<&String> = run
        .sent
        .iter()
        .filter_map(|(_, op)| match op {
            Operation::Abort { upload_id } => Some(upload_id),
            _ => None,
        })
        .collect();
    let known = run.records.iter().rev().find_map(|r| match r {
        Record::Header(h) => Some(h.upload_id.clone()),
        Record::Part { .. } => None,
    });
    match error
        .upload()
        .expect("a failed multipart job says what became of its upload")
    {
        UploadFate::Aborted { upload_id } => {
            assert!(aborts.contains(&upload_id));
            assert!(!service.uploads.contains_key(upload_id));
        }
        UploadFate::AbortFailed { upload_id, .. } => assert!(aborts.contains(&upload_id)),
        UploadFate::Kept { upload_id } => {
            assert!(setup.resumable, "a non-resumable job kept its upload");
            assert!(aborts.is_empty());
            // (Unless a Complete whose reply was lost took effect.)
            assert!(service.uploads.contains_key(upload_id) || service.completions == 1);
            assert!(!matches!(error, JobError::SourceChanged { .. }));
            assert_eq!(known.as_ref(), Some(upload_id), "kept upload has a header");
        }
        UploadFate::None => {
            // No upload the job knew of remains.
            if let Some(upload_id) = &known {
                assert!(!service.uploads.contains_key(upload_id), "{error}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        .. ProptestConfig::default()
    })]

    /// The job always terminates; success and failure leave the service as promised; the
    /// concurrency window holds.
    #[test]
    fn job_against_faulty_service(
        setup in setup(),
        faults in prop::collection::vec(fault(), 0..48),
        choices in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut service = setup.service();
        let mut job = CopyJob::new(setup.spec(), setup.config()).unwrap();
        let run = drive(&mut job, &mut service, &faults, &choices, None);
        prop_assert!(run.max_parts_in_flight <= setup.concurrency as usize);
        match &run.result {
            Some(Ok(_)) => check_success(&setup, &run, &service),
            Some(Err(_)) => check_failure(&setup, &run, &service),
            None => prop_assert!(false, "the run did not finish"),
        }
        let progress = job.progress();
        prop_assert_eq!(progress.parts_in_flight, 0);
        prop_assert_eq!(progress.requests as usize, run.sent.len());
        if let Some(Ok(outcome)) = &run.result {
            prop_assert_eq!(progress.bytes_done, setup.size);
            prop_assert_eq!(outcome.requests as usize, run.sent.len());
        }
    }

    /// Without fatal faults (and with enough attempts) a job always succeeds.
    #[test]
    fn job_succeeds_through_retryable_faults(
        setup in setup(),
        faults in prop::collection::vec(retryable_fault(), 0..48),
        choices in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut service = setup.service();
        let config = JobConfig { max_attempts: 64, ..setup.config() };
        let mut job = CopyJob::new(setup.spec(), config).unwrap();
        let run = drive(&mut job, &mut service, &faults, &choices, None);
        match &run.result {
            // Even a Complete whose reply was lost: the HEAD of the destination confirms it.
            Some(Ok(outcome)) => {
                check_success(&setup, &run, &service);
                if outcome.confirmed.is_some() {
                    prop_assert!(faults.contains(&Fault::LostReply));
                }
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Interrupt a resumable job anywhere (replies in flight may or may not have taken effect, the
    /// journal's last record may be torn), rebuild it from the journal and finish it: nothing the
    /// journal shows finished is copied again, and the object is the same.
    #[test]
    fn resume_after_interruption(
        setup in setup(),
        faults in prop::collection::vec(retryable_fault(), 0..32),
        choices in prop::collection::vec(any::<u8>(), 0..64),
        stop_after in 0usize..40,
        applied in prop::collection::vec(any::<bool>(), 8),
        torn in 0usize..16,
        change_source in prop::bool::weighted(0.25),
    ) {
        let setup = Setup { resumable: true, ..setup };
        let config = JobConfig { max_attempts: 64, ..setup.config() };
        let mut service = setup.service();
        let mut first = CopyJob::new(setup.spec(), config.clone()).unwrap();
        let run = drive(&mut first, &mut service, &faults, &choices, Some(stop_after));
        // Requests in flight at the interruption may have reached the service.
        for (i, (_, op)) in run.pending.iter().enumerate() {
            if applied[i % applied.len()] {
                let _ = service.apply(op);
            }
        }
        // The journal as written, maybe with its last record torn.
        let mut bytes: Vec<u8> = run.records.iter().flat_map(checkpoint::encode).collect();
        let last_len = run.records.last().map_or(0, |r| checkpoint::encode(r).len());
        if torn > 0 && last_len > 0 && run.records.len() > 1 {
            bytes.truncate(bytes.len() - torn.min(last_len));
        }
        let records = match checkpoint::decode_journal(&bytes) {
            Ok((records, _)) => records,
            Err(e) => panic!("journal unreadable: {e}"),
        };
        let journal_parts: BTreeSet<u32> = records
            .iter()
            .filter_map(|r| match r {
                Record::Part { number, .. } => Some(*number),
                Record::Header(_) => None,
            })
            .collect();
        let completed_before = service.completions;
        let old_upload = records.iter().rev().find_map(|r| match r {
            Record::Header(h) => Some(h.upload_id.clone()),
            Record::Part { .. } => None,
        });
        if change_source {
            service.change_source(setup.size);
        }
        let mut second = match CopyJob::resume(records.clone(), setup.spec(), config.clone()) {
            Ok(job) => job,
            Err(partcopy_core::job::ResumeError::NoHeader) => {
                prop_assert!(records.is_empty());
                CopyJob::new(setup.spec(), config).unwrap()
            }
            Err(e) => panic!("cannot resume: {e}"),
        };
        let run2 = drive(&mut second, &mut service, &[], &choices, None);
        prop_assert!(matches!(run2.result, Some(Ok(_))), "{:?}", run2.result);
        let outcome = run2.result.as_ref().unwrap().as_ref().unwrap();
        match &outcome.restart {
            Some(restart) if change_source => {
                prop_assert_eq!(restart.reason, partcopy_core::job::RestartReason::SourceChanged);
                prop_assert_eq!(Some(&restart.old_upload_id), old_upload.as_ref());
                prop_assert!(!service.uploads.contains_key(&restart.old_upload_id));
                prop_assert_eq!(outcome.resumed_parts, 0);
                let copies = count(&run2, |op| matches!(op, Operation::UploadPartCopy { .. }));
                prop_assert_eq!(copies as u32, setup.plan().part_count());
            }
            None if change_source => {
                // Nothing to restart: no header survived, or a single copy.
                prop_assert!(old_upload.is_none());
            }
            None => {
                for (_, op) in &run2.sent {
                    if let Operation::UploadPartCopy { part_number, .. } = op {
                        prop_assert!(
                            !journal_parts.contains(part_number),
                            "part {} copied again", part_number
                        );
                    }
                }
                prop_assert!(outcome.resumed_parts as usize >= journal_parts.len());
            }
            Some(restart) => {
                // Only legitimate when the first run's upload is gone (it completed) and the
                // journal lacks a part, so the job could not know Complete had been sent.
                prop_assert_eq!(restart.reason, partcopy_core::job::RestartReason::UploadGone);
                prop_assert_eq!(completed_before, 1);
                prop_assert!(journal_parts.len() < setup.plan().part_count() as usize);
            }
        }
        if outcome.confirmed.is_some() {
            // The first run's Complete took effect: nothing is copied or completed again.
            prop_assert_eq!(completed_before, 1);
            prop_assert_eq!(service.completions, 1);
            prop_assert_eq!(count(&run2, |op| matches!(op, Operation::UploadPartCopy { .. })), 0);
            prop_assert_eq!(count(&run2, |op| matches!(op, Operation::Complete { .. })), 0);
            prop_assert_eq!(outcome.resumed_parts, setup.plan().part_count());
        } else if completed_before == 1 && !change_source {
            // Completed, but the journal could not show it: copied again, from scratch.
            prop_assert!(outcome.restart.is_some());
        }
        // The same result as an uninterrupted run.
        let object = service.object.clone().unwrap();
        prop_assert_eq!(&object.etag, &outcome.etag);
        prop_assert_eq!(object.size, setup.size);
        let expected: Option<Vec<_>> = match setup.plan() {
            Plan::Single { .. } => None,
            plan @ Plan::Multipart { .. } => Some(plan.parts().map(|p| p.range).collect()),
        };
        prop_assert_eq!(object.parts, expected);
        prop_assert!(run2.max_parts_in_flight <= setup.concurrency as usize);
    }

    /// Cancel anywhere: nothing new but an Abort (and a confirming HEAD) is sent afterwards; the job ends cancelled (or
    /// done, if the last request won the race) with the upload aborted, or kept and resumable.
    #[test]
    fn cancel_anywhere(
        setup in setup(),
        faults in prop::collection::vec(retryable_fault(), 0..32),
        choices in prop::collection::vec(any::<u8>(), 0..64),
        cancel_after in 0usize..40,
    ) {
        let config = JobConfig { max_attempts: 64, ..setup.config() };
        let mut service = setup.service();
        let mut job = CopyJob::new(setup.spec(), config.clone()).unwrap();
        let run = drive_with(&mut job, &mut service, &faults, &choices, None, Some(cancel_after));
        let Some(before) = run.sent_before_cancel else {
            // Finished before the cancellation point.
            let finished = matches!(
                run.result,
                Some(Ok(_)) | Some(Err(JobError::CompletionUnconfirmed { .. }))
            );
            prop_assert!(finished, "{:?}", run.result);
            return Ok(());
        };
        // An Abort; and if that finds the upload gone after a Complete whose reply was lost, a
        // HEAD of the destination to learn whether the copy is done.
        for (_, op) in &run.sent[before..] {
            prop_assert!(
                matches!(op, Operation::Abort { .. } | Operation::HeadDestination),
                "sent {:?} after cancel", op
            );
        }
        match run.result.clone().unwrap() {
            Ok(_) => check_success(&setup, &run, &service),
            // "Probably completed": a Complete failed in a way that may have taken effect.
            Err(JobError::CompletionUnconfirmed { .. }) => prop_assert!(service.completions <= 1),
            Err(JobError::Cancelled { upload }) => {
                match upload {
                    UploadFate::Kept { upload_id } => {
                        prop_assert!(setup.resumable);
                        // Kept, unless a Complete whose reply was lost took effect.
                        let completed = service.completions == 1;
                        prop_assert!(service.uploads.contains_key(&upload_id) || completed);
                        // And it resumes to the right object.
                        let mut again =
                            CopyJob::resume(run.records.clone(), setup.spec(), config).unwrap();
                        let run2 = drive(&mut again, &mut service, &[], &choices, None);
                        let outcome = run2.result.clone().unwrap().unwrap();
                        // Complete is sent only once every part is journaled, so a completed
                        // upload is confirmed on resume, not copied again.
                        prop_assert_eq!(outcome.restart, None);
                        prop_assert_eq!(outcome.confirmed.is_some(), completed);
                        prop_assert_eq!(service.object.as_ref().map(|o| o.size), Some(setup.size));
                    }
                    UploadFate::Aborted { upload_id } => {
                        prop_assert!(!setup.resumable);
                        // Not completed, unless both the Complete and the first Abort were lost
                        // in transit (then "aborted" is the job's best guess).
                        let aborts = count(&run, |op| matches!(op, Operation::Abort { .. }));
                        prop_assert!(service.completions == 0 || aborts > 1);
                        prop_assert!(!service.uploads.contains_key(&upload_id));
                    }
                    UploadFate::None => {
                        prop_assert_eq!(service.completions, 0);
                        // No upload the job knew of.
                        prop_assert!(!run.records.iter().any(|r| matches!(r, Record::Header(_))));
                    }
                    other => prop_assert!(false, "{:?}", other),
                }
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    /// In place (the destination is the source, so a copy that lands changes the source), a job
    /// through retryable faults succeeds, and rewrites the object exactly once. The one way it may
    /// fail: a PUT-Copy whose answer was lost, on a service that reports no CRC-64, cannot be told
    /// from a change of the object, and is reported, not claimed.
    #[test]
    fn in_place_succeeds_through_retryable_faults(
        setup in setup(),
        faults in prop::collection::vec(retryable_fault(), 0..48),
        choices in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut service = setup.service();
        service.in_place = true;
        let original = service.source.clone();
        let mut spec = setup.spec();
        spec.in_place = true;
        let config = JobConfig { max_attempts: 64, ..setup.config() };
        let mut job = CopyJob::new(spec, config).unwrap();
        let run = drive(&mut job, &mut service, &faults, &choices, None);
        let object = service.object.clone();
        match &run.result {
            Some(Ok(outcome)) => {
                let object = object.expect("no object written");
                prop_assert_eq!(&object.etag, &outcome.etag);
                prop_assert_eq!(object.size, setup.size);
                prop_assert_eq!(&service.source.etag, &object.etag, "the copy is the object now");
                prop_assert_eq!(object.crc64, original.crc64.unwrap(), "the same bytes");
                prop_assert_eq!(object.storage_class.as_deref(), Some("STANDARD_IA"));
                if matches!(setup.plan(), Plan::Multipart { .. }) {
                    prop_assert_eq!(service.completions, 1);
                }
                if outcome.confirmed.is_some() {
                    prop_assert!(faults.contains(&Fault::LostReply));
                }
            }
            Some(Err(JobError::CopyUnconfirmed { .. })) => {
                prop_assert!(!service.report_crc64 && faults.contains(&Fault::LostReply));
                let single = matches!(setup.plan(), Plan::Single { .. });
                prop_assert!(single, "only a single copy cannot be confirmed by dates");
                prop_assert!(object.is_some(), "reported only after the copy landed");
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
