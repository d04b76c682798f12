//! Comparing the two ends of a copy: after it (`--verify`), and before it (`--skip-identical`).
//!
//! Both HEAD the source and the destination and compare what a HEAD shows — size, CRC-64, user
//! metadata and Content-Type, the storage class when one is asked for (or, in place, the object's
//! own), the source's encryption — and the tags (GET `?tagging`) where they should match. What
//! differs is listed; nothing here changes either end.

use partcopy_core::job::Outcome;
use partcopy_core::ops::{Encryption, Failure, FailureKind, ObjectMetadata, Operation, Reply};
use partcopy_transport_hyper::{HyperTransport, ProtocolWire, Wire};

use crate::args::Directive;
use crate::error::CliError;
use crate::run::{describe, send_once};
use crate::settings::Settings;
use crate::url::Provider;

/// What a comparison found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Each difference, for people.
    pub problems: Vec<String>,
    /// What was compared, for people (`size`, `metadata`, …).
    pub compared: Vec<&'static str>,
    /// Requests sent.
    pub requests: u64,
    /// The destination's size and ETag, when it could be read.
    pub destination: Option<(u64, String)>,
}

/// When the comparison runs, which decides what the source is compared as and how strict it is.
#[derive(Debug, Clone, Copy)]
pub enum When<'a> {
    /// After the copy (`--verify`): the source as the job found it, whose ETag the source must
    /// still have; a CRC-64 missing at either end is not compared.
    After(&'a Outcome),
    /// Before a copy (`--skip-identical`): the ends must be provably the same, so a CRC-64 missing
    /// at either end, or tags that cannot be read, count as differences.
    Before,
}

/// The tags of `wire`'s source (GET `?tagging`) when `wanted`, else none, without a request.
async fn tags_if(wanted: bool, transport: &HyperTransport, wire: &impl Wire) -> Result<Reply, Failure> {
    if wanted {
        send_once(transport, wire, &Operation::GetSourceTagging).await
    } else {
        Ok(Reply::Tagging(Vec::new()))
    }
}

/// `--verify`: compares the ends after the copy.
///
/// # Errors
/// [`CliError::Failed`] listing the differences, or saying which end could not be read.
pub async fn verify(
    settings: &Settings,
    transport: &HyperTransport,
    wire: &ProtocolWire,
    outcome: &Outcome,
) -> Result<(), CliError> {
    let Comparison {
        problems, compared, ..
    } = compare(settings, transport, wire, When::After(outcome)).await?;
    if problems.is_empty() {
        let (last, rest) = compared.split_last().unwrap_or((&"nothing", &[]));
        tracing::info!("verified: {} and {last} match", rest.join(", "));
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "verification failed: {}",
            problems.join("; ")
        )))
    }
}

/// HEADs both ends (and reads their tags where they are compared) and compares them.
///
/// # Errors
/// [`CliError::Failed`] when an end cannot be read; before a copy, a destination that cannot be
/// read is a difference instead (it is then simply copied).
pub async fn compare(
    settings: &Settings,
    transport: &HyperTransport,
    wire: &ProtocolWire,
    when: When<'_>,
) -> Result<Comparison, CliError> {
    // Read the destination's tags by swapping it in as the source (core has no operation for it).
    let dest_wire = ProtocolWire::new(
        wire.destination().clone(),
        wire.destination().clone(),
        wire.signer().clone(),
    )
    .with_clock(wire.service_clock().clone());
    let in_place = settings.in_place;
    // In place after the copy, the source is now the copy: compare with the source as the job
    // found it (its HEAD before copying). Its tags from before are not known, so under Copy they
    // are not compared. In place before a copy, the object is compared with what is asked of it.
    let before = match when {
        When::After(outcome) if in_place => Some(outcome.source.clone()),
        _ => None,
    };
    // Tags asked for with --tag are what the destination should have, in place too.
    let compare_tags = settings.tags.is_some() || !(in_place && settings.directive == Directive::Copy);
    // Under Replace the destination should have no tags: the source's are not needed.
    let copy_tags = settings.directive == Directive::Copy && compare_tags;
    let requests = 1
        + u64::from(before.is_none())
        + u64::from(settings.tags.is_none() && copy_tags)
        + u64::from(compare_tags);
    let (source, dest, source_tags, dest_tags) = tokio::join!(
        async {
            match before {
                Some(info) => Ok(Reply::Head(Box::new(info))),
                None => send_once(transport, wire, &Operation::HeadSource).await,
            }
        },
        send_once(transport, wire, &Operation::HeadDestination),
        async {
            match &settings.tags {
                Some(tags) => Ok(Reply::Tagging(tags.clone())),
                None => tags_if(copy_tags, transport, wire).await,
            }
        },
        tags_if(compare_tags, transport, &dest_wire),
    );
    let head = |r: Result<Reply, Failure>, which: &str| match r {
        Ok(Reply::Head(info)) => Ok(*info),
        Ok(_) => Err(format!("unexpected reply to HEAD {which}")),
        Err(f) => Err(format!("cannot HEAD the {which}: {}", describe(&f))),
    };
    let strict = matches!(when, When::Before);
    let label = if strict { "" } else { "verify: " };
    let source = head(source, "source").map_err(|m| CliError::Failed(format!("{label}{m}")))?;
    let dest = match head(dest, "destination") {
        Ok(dest) => dest,
        // Before a copy, a destination that cannot be read is one not shown the same.
        Err(m) if strict => {
            return Ok(Comparison {
                problems: vec![m],
                requests,
                ..Comparison::default()
            })
        }
        Err(m) => return Err(CliError::Failed(format!("{label}{m}"))),
    };
    let mut found = Comparison {
        requests,
        destination: Some((dest.size, dest.etag.clone())),
        ..Comparison::default()
    };
    let problems = &mut found.problems;
    if source.size != dest.size {
        problems.push(format!(
            "size {} at the source, {} at the destination",
            source.size, dest.size
        ));
    }
    if let When::After(outcome) = when {
        if !in_place && source.etag != outcome.source.etag {
            problems.push("the source changed after the copy started".to_string());
        }
    }
    match (source.crc64, dest.crc64) {
        (Some(a), Some(b)) if a != b => {
            problems.push(format!("CRC-64 {a} at the source, {b} at the destination"));
        }
        (Some(_), Some(_)) => {}
        _ if strict => problems.push("no CRC-64 at both ends to compare the data by".to_string()),
        _ => {}
    }
    let expected = match settings.directive {
        Directive::Copy => source.metadata.clone(),
        Directive::Replace => ObjectMetadata {
            content_type: settings.content_type.clone(),
            user: settings.meta.clone(),
            ..ObjectMetadata::default()
        },
    };
    if expected.user != dest.metadata.user {
        problems.push(format!(
            "user metadata differs: expected {:?}, found {:?}",
            expected.user, dest.metadata.user
        ));
    }
    if expected.content_type.is_some() && expected.content_type != dest.metadata.content_type {
        problems.push(format!(
            "Content-Type differs: expected {:?}, found {:?}",
            expected.content_type, dest.metadata.content_type
        ));
    }
    // The other HTTP metadata too: a copy carries (or, under replace, drops) each of them, and
    // losing them on the way is what copy tools are most often caught at.
    {
        let got = &dest.metadata;
        for (name, want, found) in [
            ("Cache-Control", &expected.cache_control, &got.cache_control),
            (
                "Content-Disposition",
                &expected.content_disposition,
                &got.content_disposition,
            ),
            (
                "Content-Encoding",
                &expected.content_encoding,
                &got.content_encoding,
            ),
            (
                "Content-Language",
                &expected.content_language,
                &got.content_language,
            ),
            ("Expires", &expected.expires, &got.expires),
        ] {
            if want != found {
                problems.push(format!("{name} differs: expected {want:?}, found {found:?}"));
            }
        }
    }
    // The class asked for; in place without one, the object's own (it must not have moved).
    let default_class = default_storage_class(wire.destination().provider);
    let own_class = match when {
        When::After(outcome) => outcome.source.storage_class.clone(),
        When::Before => source.storage_class.clone(),
    };
    let expected_class = match (&settings.storage_class, in_place) {
        (Some(asked), _) => Some(asked.clone()),
        (None, true) => Some(own_class.unwrap_or_else(|| default_class.to_string())),
        (None, false) => None,
    };
    if let Some(asked) = &expected_class {
        let found = dest.storage_class.as_deref().unwrap_or(default_class);
        if !asked.eq_ignore_ascii_case(found) {
            problems.push(format!("storage class differs: expected {asked}, found {found}"));
        }
    }
    // The encryption asked for (--sse), else the source's, must have come along (a destination
    // encrypted by its bucket's default while the source is not is fine).
    let (expected_encryption, whose) = match &settings.encryption {
        Some(asked) => (Some(asked), "--sse asks for"),
        None => (source.encryption.as_ref(), "the source is encrypted with"),
    };
    if let Some(wanted) = expected_encryption {
        // OSS's data algorithm under KMS: none said is AES256, the service's default.
        fn data(e: &Encryption) -> &str {
            e.data_algorithm.as_deref().unwrap_or("AES256")
        }
        let same = dest.encryption.as_ref().is_some_and(|found| {
            found.algorithm.eq_ignore_ascii_case(&wanted.algorithm)
                && (wanted.kms_key_id.is_none() || found.kms_key_id == wanted.kms_key_id)
                && data(found).eq_ignore_ascii_case(data(wanted))
        });
        if !same {
            let described = |e: &Encryption| -> String {
                let mut text = e.algorithm.clone();
                if let Some(key) = &e.kms_key_id {
                    text.push_str(&format!(" (key {key})"));
                }
                if let Some(data) = &e.data_algorithm {
                    text.push_str(&format!(" with {data} data"));
                }
                text
            };
            let found = dest
                .encryption
                .as_ref()
                .map_or_else(|| "none".to_string(), described);
            problems.push(format!(
                "encryption differs: {whose} {}, the destination has {found}",
                described(wanted),
            ));
        }
    }
    found.compared = vec!["size", "metadata"];
    if expected_class.is_some() {
        found.compared.push("storage class");
    }
    if expected_encryption.is_some() {
        found.compared.push("encryption");
    }
    match (tag_set(source_tags), tag_set(dest_tags)) {
        _ if !compare_tags => {
            tracing::info!("in place, the object keeps its own tags: not compared");
        }
        (Ok(expected), Ok(got)) => {
            found.compared.push("tags");
            if expected != got {
                found
                    .problems
                    .push(format!("tags differ: expected {expected:?}, found {got:?}"));
            }
        }
        (Err(f), _) | (_, Err(f)) if strict => {
            found
                .problems
                .push(format!("the tags cannot be read: {}", describe(&f)));
        }
        (Err(f), _) | (_, Err(f)) => {
            tracing::warn!("verify: tags not compared, they cannot be read: {}", describe(&f));
        }
    }
    found.compared.push("CRC-64");
    Ok(found)
}

/// The tags of a GET `?tagging` answer, sorted (their order means nothing).
fn tag_set(reply: Result<Reply, Failure>) -> Result<Vec<(String, String)>, Failure> {
    match reply? {
        Reply::Tagging(mut tags) => {
            tags.sort();
            Ok(tags)
        }
        other => Err(Failure {
            kind: FailureKind::Fatal,
            status: None,
            code: "UnexpectedReply".to_string(),
            message: format!("unexpected reply to GET ?tagging: {other:?}"),
            request_id: None,
            retry_after: None,
        }),
    }
}

/// The class an object has when a HEAD names none: COS leaves `x-cos-storage-class` out for
/// STANDARD objects (OSS always sends `x-oss-storage-class`).
fn default_storage_class(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "STANDARD",
        Provider::Oss => "Standard",
    }
}
