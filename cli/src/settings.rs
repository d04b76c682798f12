//! Checks the parsed command line as a whole and turns it into [`Settings`] for one copy.
//!
//! Everything that can be refused without asking the service is refused here, with exit status 2:
//! malformed URLs, a copy between clouds, a missing region, an OSS copy across regions, metadata
//! options that contradict the directive, out-of-range sizes.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::args::{CpArgs, Directive, OssSignatureArg};
use crate::error::CliError;
use crate::meta::check_meta;
use crate::url::{parse_object_url, parse_prefix_url, ObjectUrl, Provider};
use partcopy_core::ops::Encryption;
use partcopy_protocol::customer_key::CustomerKey;

/// One end of the copy: the object and where its service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// The object.
    pub url: ObjectUrl,
    /// Its region, when known (`ap-guangzhou`, `cn-hangzhou`).
    pub region: Option<String>,
    /// An endpoint override, as given (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    /// The version to read (source only, `--src-version-id`).
    pub version_id: Option<String>,
    /// Its SSE-C key (COS only; `--src-sse-c-key-file`, `--sse-c-key-file`). `Debug` shows only
    /// the key's MD5.
    pub customer_key: Option<CustomerKey>,
}

/// Everything one `partcopy cp` needs, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cloud both ends are in.
    pub provider: Provider,
    /// Where to copy from.
    pub source: End,
    /// Where to copy to.
    pub destination: End,
    /// `--part-size`.
    pub part_size: Option<u64>,
    /// `--threshold`.
    pub threshold: Option<u64>,
    /// `-j`.
    pub concurrency: u32,
    /// `--checkpoint-dir`.
    pub checkpoint_dir: Option<PathBuf>,
    /// `--max-attempts`.
    pub max_attempts: u32,
    /// `--request-timeout`.
    pub request_timeout: std::time::Duration,
    /// `--metadata-directive`.
    pub directive: Directive,
    /// `--content-type`.
    pub content_type: Option<String>,
    /// `--meta`, checked and sorted.
    pub meta: Vec<(String, String)>,
    /// `--storage-class`.
    pub storage_class: Option<String>,
    /// `--acl`, checked against the provider's canned ACLs.
    pub acl: Option<String>,
    /// `--tag`, checked and sorted: the copy's tags instead of the source's (`None` without any).
    pub tags: Option<Vec<(String, String)>>,
    /// `--sse` (with `--sse-kms-key-id`), checked for the provider: the copy's encryption instead
    /// of the source's.
    pub encryption: Option<Encryption>,
    /// `--verify`.
    pub verify: bool,
    /// `--no-overwrite`.
    pub no_overwrite: bool,
    /// `--skip-identical`.
    pub skip_identical: bool,
    /// `--move`: delete the source once the copy is done and checked.
    pub move_source: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--oss-signature`.
    pub oss_signature: OssSignatureArg,
    /// `--no-progress`.
    pub no_progress: bool,
    /// The hidden `--insecure-skip-verify`.
    pub insecure_skip_verify: bool,
    /// SRC and DST are the same object: the copy rewrites it in place (see
    /// `partcopy_core::job::JobSpec::in_place`). Under `--recursive`: the same prefix, so every
    /// object is rewritten in place.
    pub in_place: bool,
    /// `--recursive`: the ends' keys are prefixes (see [`Settings::object`]).
    pub recursive: bool,
    /// The source key came from a listing (one object's copy under `--recursive`): a missing
    /// source was deleted or renamed since.
    pub listed: bool,
    /// `--jobs`: objects copied at once under `--recursive`.
    pub jobs: u32,
    /// `--include` / `--exclude`: which listed objects `--recursive` copies.
    pub filter: KeyFilter,
    /// `--min-size`, `--max-size`, `--older-than`, `--newer-than`: which listed objects
    /// `--recursive` copies by their listed size and date.
    pub bounds: ObjectBounds,
}

/// `--min-size`, `--max-size`, `--older-than` and `--newer-than`, checked: which listed objects
/// `--recursive` copies, judged by the size and `LastModified` the listing gives (so nothing is
/// sent for the others).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectBounds {
    min_size: Option<u64>,
    max_size: Option<u64>,
    /// Only objects last modified at or before this (`--older-than`, counted from the start).
    modified_by: Option<SystemTime>,
    /// Only objects last modified after this (`--newer-than`).
    modified_after: Option<SystemTime>,
}

impl ObjectBounds {
    /// The bounds asked for, ages counted back from `now` (the command's start).
    ///
    /// # Errors
    /// [`CliError::Usage`] when they select nothing: a minimum size above the maximum, or an
    /// object asked to be both newer than one age and older than a longer one.
    pub fn new(
        min_size: Option<u64>,
        max_size: Option<u64>,
        older_than: Option<Duration>,
        newer_than: Option<Duration>,
        now: SystemTime,
    ) -> Result<ObjectBounds, CliError> {
        if let (Some(min), Some(max)) = (min_size, max_size) {
            if min > max {
                return Err(CliError::Usage(format!(
                    "--min-size {min} is above --max-size {max}: no object is both; give a \
                     minimum at most the maximum"
                )));
            }
        }
        if let (Some(older), Some(newer)) = (older_than, newer_than) {
            if newer <= older {
                let (newer, older) = (newer.as_secs(), older.as_secs());
                return Err(CliError::Usage(format!(
                    "--newer-than {newer}s and --older-than {older}s: no object was modified less \
                     than {newer}s and at least {older}s ago; --newer-than must be the longer age \
                     (older than 30d and newer than 90d: --older-than 30d --newer-than 90d)"
                )));
            }
        }
        // An age reaching back before 1970 leaves the epoch as the bound.
        let back = |age: Duration| now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(ObjectBounds {
            min_size,
            max_size,
            modified_by: older_than.map(back),
            modified_after: newer_than.map(back),
        })
    }

    /// Whether an object of `size` bytes, last modified at `last_modified` (the listing's ISO
    /// 8601 text), is copied. Under an age bound, an object the listing does not date readably is
    /// not: its age cannot be told.
    pub fn admits(&self, size: u64, last_modified: Option<&str>) -> bool {
        if self.min_size.is_some_and(|min| size < min) || self.max_size.is_some_and(|max| size > max) {
            return false;
        }
        if self.modified_by.is_none() && self.modified_after.is_none() {
            return true;
        }
        let Some(at) = last_modified.and_then(crate::duration::listed_time) else {
            tracing::warn!(
                last_modified,
                "a listed object's LastModified is missing or unreadable: it is not copied under \
                 --older-than / --newer-than"
            );
            return false;
        };
        self.modified_by.is_none_or(|by| at <= by) && self.modified_after.is_none_or(|after| at > after)
    }
}

/// `--include` and `--exclude`, checked: which keys under SRC's prefix `--recursive` copies.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
}

impl KeyFilter {
    /// Patterns matched against the rest of a key after SRC's prefix: `*` and `?` stay within a
    /// path segment, `**` crosses them.
    const OPTIONS: glob::MatchOptions = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };

    /// Checks the patterns.
    ///
    /// # Errors
    /// [`CliError::Usage`] naming the pattern that does not parse and why.
    pub fn new(include: &[String], exclude: &[String]) -> Result<KeyFilter, CliError> {
        let parse = |flag: &str, patterns: &[String]| {
            patterns
                .iter()
                .map(|p| {
                    glob::Pattern::new(p).map_err(|e| {
                        CliError::Usage(format!(
                            "{flag} '{p}' is not a pattern: {} at character {}",
                            e.msg, e.pos
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(KeyFilter {
            include: parse("--include", include)?,
            exclude: parse("--exclude", exclude)?,
        })
    }

    /// Whether the object whose key is `rest` after SRC's prefix is copied: it matches an
    /// `--include` (or there is none) and no `--exclude`.
    pub fn admits(&self, rest: &str) -> bool {
        let matches = |p: &glob::Pattern| p.matches_with(rest, KeyFilter::OPTIONS);
        (self.include.is_empty() || self.include.iter().any(matches)) && !self.exclude.iter().any(matches)
    }
}

impl Settings {
    /// Under `--recursive`, the settings of one listed object's copy: from `key` (under the
    /// source's prefix) to the destination's prefix followed by the rest of `key`.
    ///
    /// # Errors
    /// [`CliError::Usage`] when that destination key is empty or too long for the provider.
    pub fn object(&self, key: &str) -> Result<Settings, CliError> {
        let rest = key.strip_prefix(self.source.url.key.as_str()).unwrap_or(key);
        let dest_key = format!("{}{rest}", self.destination.url.key);
        if dest_key.is_empty() {
            return Err(CliError::Usage(format!(
                "{key:?} is SRC's prefix itself, and DST is a whole bucket: its copy would have an \
                 empty key"
            )));
        }
        if dest_key.len() > self.provider.max_key_len() {
            return Err(CliError::Usage(format!(
                "the copy of {key:?} would be {:?}, {} bytes long: {} keys are at most {} bytes",
                dest_key,
                dest_key.len(),
                self.provider.name(),
                self.provider.max_key_len()
            )));
        }
        let mut one = self.clone();
        one.source.url.key = key.to_string();
        one.destination.url.key = dest_key;
        one.recursive = false;
        one.listed = true;
        Ok(one)
    }
}

/// Objects copied at once under `--recursive` unless `--jobs` says.
pub const DEFAULT_JOBS: u32 = 8;

/// Checks `args` and builds the settings.
///
/// # Errors
/// [`CliError`] with exit status 2, saying what to change.
pub fn from_args(args: CpArgs) -> Result<Settings, CliError> {
    let parse = match args.recursive {
        true => parse_prefix_url,
        false => parse_object_url,
    };
    let source = parse(&args.source).map_err(|e| CliError::Url {
        which: "SRC",
        error: e,
    })?;
    let destination = parse(&args.destination).map_err(|e| CliError::Url {
        which: "DST",
        error: e,
    })?;
    if args.recursive {
        check_recursive(&args, &source, &destination)?;
    }
    if args.move_source && args.src_version_id.is_some() {
        return Err(CliError::Usage(
            "--move with --src-version-id would delete that version for good: copy it without \
             --move, then delete the version with the cloud's own tools if you mean to"
                .to_string(),
        ));
    }
    if args.move_source && source == destination {
        return Err(CliError::Usage(
            "--move deletes SRC after copying it to DST, and SRC and DST are the same: that would \
             delete the object; rewrite it in place without --move"
                .to_string(),
        ));
    }
    if source.provider != destination.provider {
        return Err(CliError::Usage(format!(
            "SRC is on {} and DST on {}: partcopy copies server-side within one cloud, and no \
             service can copy between the two; download and upload instead",
            source.provider.name(),
            destination.provider.name()
        )));
    }
    let provider = source.provider;
    if let Some(version) = &args.src_version_id {
        if version.is_empty() || !version.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(CliError::Usage(
                "--src-version-id must be a version id as the service gave it (printable ASCII, \
                 no spaces)"
                    .to_string(),
            ));
        }
    }
    let source_key = read_key(
        provider,
        "--src-sse-c-key-file",
        args.src_sse_c_key_file.as_deref(),
    )?;
    if args.no_sse_c && source_key.is_none() {
        return Err(CliError::Usage(
            "--no-sse-c stores a copy of an SSE-C source decrypted: give the source's key with \
             --src-sse-c-key-file (a copy of a source without one has no customer key anyway)"
                .to_string(),
        ));
    }
    // A copy keeps its source's key unless told otherwise, as it keeps a managed encryption.
    let dest_key = match read_key(provider, "--sse-c-key-file", args.sse_c_key_file.as_deref())? {
        Some(key) => Some(key),
        None if args.no_sse_c => None,
        None => source_key.clone(),
    };
    // The same object at both ends rewrites it in place, which only makes sense when something
    // changes: its metadata, its storage class, its ACL, its tags or its customer key. (An older
    // version copied onto its own key restores it: that is not in place.)
    let in_place = source == destination && args.src_version_id.is_none();
    let rekeyed =
        source_key.as_ref().map(CustomerKey::key_md5) != dest_key.as_ref().map(CustomerKey::key_md5);
    let encryption = check_sse(
        provider,
        args.sse.as_deref(),
        args.sse_kms_key_id.as_deref(),
        args.sse_data_encryption.as_deref(),
    )?;
    if encryption.is_some() && dest_key.is_some() {
        let why = match args.sse_c_key_file {
            Some(_) => "--sse-c-key-file asks for a customer key",
            None => "the copy keeps the source's customer key (--src-sse-c-key-file)",
        };
        return Err(CliError::Usage(format!(
            "--sse and a customer key (SSE-C) are two encryptions of the copy, and an object has \
             one: {why}; add --no-sse-c to store the copy under --sse instead"
        )));
    }
    if in_place
        && args.metadata_directive == Directive::Copy
        && args.storage_class.is_none()
        && args.acl.is_none()
        && args.tags.is_empty()
        && encryption.is_none()
        && !rekeyed
    {
        return Err(CliError::Usage(
            "SRC and DST are the same object and nothing would change: to rewrite it in place, \
             give --storage-class, --acl, --tag, --sse, another --sse-c-key-file (or --no-sse-c), \
             or --metadata-directive replace with --meta / --content-type"
                .to_string(),
        ));
    }
    if in_place && args.no_overwrite {
        return Err(CliError::Usage(
            "SRC and DST are the same object, which exists: a copy in place always replaces it, so \
             it cannot be combined with --no-overwrite"
                .to_string(),
        ));
    }
    let src_region = args.src_region.or_else(|| args.region.clone());
    let dst_region = args.dst_region.or(args.region);
    let src_endpoint = args.src_endpoint.or_else(|| args.endpoint.clone());
    let dst_endpoint = args.dst_endpoint.or(args.endpoint);
    for (which, region, endpoint) in [
        ("source", &src_region, &src_endpoint),
        ("destination", &dst_region, &dst_endpoint),
    ] {
        if let Some(region) = region {
            check_region(region)?;
        }
        if let Some(endpoint) = endpoint {
            check_endpoint(endpoint)?;
            // Once for both ends when they share it.
            let again = which == "destination" && src_endpoint.as_ref() == Some(endpoint);
            if let (Some(note), false) = (acceleration_note(endpoint), again) {
                eprintln!("partcopy: warning: {note}");
            }
        }
        // The region names the host and the COS copy source, and OSS V4 signs it: always needed,
        // even with a custom endpoint.
        if region.is_none() {
            let example = example_region(provider);
            return Err(CliError::Usage(format!(
                "the {which} needs a region: add --region {example} (or --src-region / --dst-region \
                 when the two ends differ)"
            )));
        }
    }
    if provider == Provider::Oss && src_region != dst_region {
        return Err(CliError::Usage(format!(
            "OSS copies objects only within one region, and the source is in {} while the \
             destination is in {}. Copy into a bucket in {} instead, then move the data across \
             regions with OSS cross-region replication (or download and upload).",
            src_region.as_deref().unwrap_or("?"),
            dst_region.as_deref().unwrap_or("?"),
            src_region.as_deref().unwrap_or("?"),
        )));
    }
    if args.metadata_directive == Directive::Copy && (!args.meta.is_empty() || args.content_type.is_some()) {
        return Err(CliError::Usage(
            "--meta and --content-type set the destination's metadata, which needs \
             --metadata-directive replace (with copy, the source's metadata is kept)"
                .to_string(),
        ));
    }
    let meta_limit = match provider {
        Provider::Cos => 2 << 10,
        Provider::Oss => 8 << 10,
    };
    let meta = check_meta(args.meta, meta_limit, provider.name())?;
    if let Some(content_type) = &args.content_type {
        if content_type.is_empty() || !content_type.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(CliError::Usage(
                "--content-type must be non-empty printable ASCII, e.g. text/plain".to_string(),
            ));
        }
    }
    if let Some(class) = &args.storage_class {
        let ok = !class.is_empty() && class.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            return Err(CliError::Usage(format!(
                "--storage-class '{class}' is not a storage class name (e.g. STANDARD_IA on COS, IA on OSS)"
            )));
        }
    }
    if let Some(acl) = &args.acl {
        let allowed: &[&str] = match provider {
            Provider::Cos => &["default", "private", "public-read"],
            Provider::Oss => &["default", "private", "public-read", "public-read-write"],
        };
        if !allowed.contains(&acl.as_str()) {
            return Err(CliError::Usage(format!(
                "--acl '{acl}' is not one of {}'s canned ACLs for objects: {}",
                provider.name(),
                allowed.join(", ")
            )));
        }
    }
    Ok(Settings {
        provider,
        source: End {
            url: source,
            region: src_region,
            endpoint: src_endpoint,
            version_id: args.src_version_id,
            customer_key: source_key,
        },
        destination: End {
            url: destination,
            region: dst_region,
            endpoint: dst_endpoint,
            version_id: None,
            customer_key: dest_key,
        },
        part_size: args.part_size,
        threshold: args.threshold,
        concurrency: args.concurrency,
        checkpoint_dir: args.checkpoint_dir,
        max_attempts: args.max_attempts,
        request_timeout: args.request_timeout,
        directive: args.metadata_directive,
        content_type: args.content_type,
        meta,
        storage_class: args.storage_class,
        acl: args.acl,
        tags: match args.tags.is_empty() {
            true => None,
            false => Some(crate::tags::check_tags(args.tags)?),
        },
        encryption,
        // A source is deleted only after its copy was checked.
        verify: args.verify || args.move_source,
        move_source: args.move_source,
        no_overwrite: args.no_overwrite,
        skip_identical: args.skip_identical,
        dry_run: args.dry_run,
        oss_signature: args.oss_signature,
        no_progress: args.no_progress,
        insecure_skip_verify: args.insecure_skip_verify,
        in_place,
        recursive: args.recursive,
        listed: false,
        jobs: args.jobs.unwrap_or(DEFAULT_JOBS),
        filter: KeyFilter::new(&args.include, &args.exclude)?,
        bounds: ObjectBounds::new(
            args.min_size,
            args.max_size,
            args.older_than,
            args.newer_than,
            SystemTime::now(),
        )?,
    })
}

/// What `--recursive` rules out: a version (each object has its own), and a DST inside SRC in
/// the same bucket, whose copies the listing (or the next run's) would copy again.
fn check_recursive(args: &CpArgs, source: &ObjectUrl, destination: &ObjectUrl) -> Result<(), CliError> {
    if args.src_version_id.is_some() {
        return Err(CliError::Usage(
            "--src-version-id names one object's version, and --recursive copies many: copy that \
             version without --recursive"
                .to_string(),
        ));
    }
    // The rest of each key is appended to DST's as is, so a folder (ending in `/`, or a whole
    // bucket) must go to a folder: `photos` to `backup/` would make `backup//a.jpg` and
    // `backup/ynthesis` of `photos/a.jpg` and `photosynthesis`.
    let folder = |key: &str| key.is_empty() || key.ends_with('/');
    if folder(&source.key) != folder(&destination.key) {
        let (src, dst) = (&source.key, &destination.key);
        let fix = if folder(src) {
            format!("end DST with a slash ('{dst}/')")
        } else {
            format!("end SRC with a slash ('{src}/') for the keys in that folder, or DST without one")
        };
        return Err(CliError::Usage(format!(
            "SRC's prefix '{src}' and DST's '{dst}' do not both name a folder (a key ending in '/', \
             or the whole bucket): each key's rest after SRC's is appended to DST's as is, so \
             {fix}"
        )));
    }
    if source.bucket == destination.bucket
        && destination.key != source.key
        && destination.key.starts_with(source.key.as_str())
    {
        return Err(CliError::Usage(format!(
            "DST {destination} is under SRC {source}: its copies would be listed and copied again              (now or on the next run); copy to a prefix outside SRC"
        )));
    }
    Ok(())
}

/// The encryption `--sse ALG` (with `--sse-kms-key-id KEY` and `--sse-data-encryption DATA`) ask
/// of `provider`, with the algorithms spelt as the service documents them; `None` without `--sse`.
fn check_sse(
    provider: Provider,
    sse: Option<&str>,
    key: Option<&str>,
    data: Option<&str>,
) -> Result<Option<Encryption>, CliError> {
    let Some(asked) = sse else {
        return Ok(None);
    };
    let (known, kms): (&[&str], &str) = match provider {
        Provider::Cos => (&["AES256", "cos/kms"], "cos/kms"),
        Provider::Oss => (&["AES256", "KMS", "SM4"], "KMS"),
    };
    let Some(algorithm) = known.iter().find(|k| k.eq_ignore_ascii_case(asked)) else {
        return Err(CliError::Usage(format!(
            "--sse {asked}: {} encrypts with {}",
            provider.name(),
            known.join(" or ")
        )));
    };
    if let Some(key) = key {
        if *algorithm != kms {
            return Err(CliError::Usage(format!(
                "--sse-kms-key-id names a KMS key: it goes with --sse {kms}, not {algorithm}"
            )));
        }
        if key.is_empty() || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(CliError::Usage(
                "--sse-kms-key-id must be a KMS key id (printable ASCII, no spaces)".to_string(),
            ));
        }
    }
    // OSS alone encrypts the data under KMS with an algorithm of its own (SM4; AES256 unless asked).
    let data_algorithm = match data {
        None => None,
        Some(_) if provider != Provider::Oss => {
            return Err(CliError::Usage(format!(
                "--sse-data-encryption: {} has no separate data algorithm under KMS, only OSS has \
                 (--sse KMS --sse-data-encryption SM4)",
                provider.name()
            )));
        }
        Some(_) if *algorithm != kms => {
            return Err(CliError::Usage(format!(
                "--sse-data-encryption is the algorithm of KMS-encrypted data: it goes with --sse \
                 {kms}, not {algorithm} (for SM4 without KMS, give --sse SM4)"
            )));
        }
        Some(asked) if asked.eq_ignore_ascii_case("SM4") => Some("SM4".to_string()),
        Some(asked) => {
            return Err(CliError::Usage(format!(
                "--sse-data-encryption {asked}: OSS encrypts KMS data with SM4 when asked (AES256 \
                 without the option)"
            )));
        }
    };
    Ok(Some(Encryption {
        algorithm: (*algorithm).to_string(),
        kms_key_id: key.map(str::to_string),
        data_algorithm,
    }))
}

/// The SSE-C key in the file `path` names, for `flag`; never shown in an error.
fn read_key(
    provider: Provider,
    flag: &str,
    path: Option<&std::path::Path>,
) -> Result<Option<CustomerKey>, CliError> {
    let Some(path) = path else {
        return Ok(None);
    };
    if provider == Provider::Oss {
        return Err(CliError::Usage(format!(
            "{flag}: OSS has no customer-provided encryption keys (SSE-C), only COS has; OSS \
             encrypts with its own or KMS keys, and partcopy carries the source's over by itself"
        )));
    }
    use std::io::Read as _;
    let cannot_read =
        |e: std::io::Error| CliError::Usage(format!("{flag}: cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    // A key is 32 bytes, or 44 characters of base64: read a little more than that, never a whole
    // (perhaps endless) file.
    let mut bytes = Vec::with_capacity(64);
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(CliError::Usage(format!(
            "{flag}: {} is not a key file: a key is 32 bytes, raw or in base64",
            path.display()
        )));
    }
    let key = CustomerKey::parse(&bytes)
        .map_err(|e| CliError::Usage(format!("{flag}: {}: {e}", path.display())))?;
    warn_if_shared(flag, path);
    Ok(Some(key))
}

/// The longest key file read: base64 of 32 bytes with room for line ends and spaces.
const MAX_KEY_FILE: u64 = 1024;

/// Warns when other users may read the key file (as ssh does for private keys).
fn warn_if_shared(flag: &str, path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "partcopy: warning: {flag}: {} may be read by other users (mode {:o}); \
                     `chmod 600` it: whoever has the key can read the object",
                    path.display(),
                    meta.permissions().mode() & 0o777
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (flag, path);
}

/// A region of `provider` to show in a message asking for one.
pub(crate) fn example_region(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "ap-guangzhou",
        Provider::Oss => "cn-hangzhou",
    }
}

pub(crate) fn check_region(region: &str) -> Result<(), CliError> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "'{region}' is not a region name: use lowercase letters, digits and hyphens, e.g. \
             ap-guangzhou or cn-hangzhou"
        )))
    }
}

/// What to tell someone who points partcopy at a transfer-acceleration host (COS
/// `cos.accelerate.myqcloud.com`, OSS `oss-accelerate[-overseas].aliyuncs.com`), or `None` for
/// any other endpoint. Acceleration speeds up data between a client and the service; a
/// server-side copy sends none, and COS refuses some requests on the accelerate host (a DELETE,
/// so `--move` and `abort`, gets `ActionAccelerateNotSupported`).
pub(crate) fn acceleration_note(endpoint: &str) -> Option<String> {
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .unwrap_or(endpoint);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .to_ascii_lowercase();
    let accelerated = [
        "cos.accelerate.myqcloud.com",
        "oss-accelerate.aliyuncs.com",
        "oss-accelerate-overseas.aliyuncs.com",
    ]
    .iter()
    .any(|suffix| host == *suffix || host.ends_with(&format!(".{suffix}")));
    accelerated.then(|| {
        format!(
            "{endpoint} is a transfer-acceleration endpoint, which speeds up only data between \
             this machine and the service: partcopy sends none (its copies are server-side), and \
             COS refuses some requests there (a DELETE, as --move and abort send, gets \
             ActionAccelerateNotSupported); leave --endpoint out to use the region's own endpoint"
        )
    })
}

pub(crate) fn check_endpoint(endpoint: &str) -> Result<(), CliError> {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"));
    let ok = rest.is_some_and(|host| {
        let host = host.strip_suffix('/').unwrap_or(host);
        !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) && host.is_ascii()
    });
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "'{endpoint}' is not an endpoint: write http(s)://host[:port] with no path, e.g. \
             https://cos.ap-guangzhou.myqcloud.com or http://127.0.0.1:9000"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    #[test]
    fn object_bounds_take_sizes_inclusively_and_ages_from_the_start() {
        use time::format_description::well_known::Rfc3339;
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let ago = |secs: u64| {
            time::OffsetDateTime::from(now - Duration::from_secs(secs))
                .format(&Rfc3339)
                .unwrap()
        };
        let day = Duration::from_secs(86_400);
        let none = ObjectBounds::new(None, None, None, None, now).unwrap();
        assert!(none.admits(0, None), "no bounds: everything, dated or not");
        let sized = ObjectBounds::new(Some(10), Some(20), None, None, now).unwrap();
        let admitted: Vec<u64> = (8..23).filter(|&n| sized.admits(n, None)).collect();
        assert_eq!(admitted, (10..=20).collect::<Vec<_>>(), "both ends included");
        // --older-than 1d: modified at least a day ago; --newer-than 2d: less than two days ago.
        let aged = ObjectBounds::new(None, None, Some(day), Some(2 * day), now).unwrap();
        let day_s = day.as_secs();
        assert!(!aged.admits(1, Some(&ago(day_s - 1))), "not a day old yet");
        assert!(aged.admits(1, Some(&ago(day_s))), "exactly a day old");
        assert!(aged.admits(1, Some(&ago(2 * day_s - 1))));
        assert!(
            !aged.admits(1, Some(&ago(2 * day_s))),
            "two days old is not newer than 2d"
        );
        // The listing's own form, with milliseconds.
        assert!(aged.admits(1, Some("2027-01-14T08:00:00.000Z")));
        // Undated or unreadable: its age cannot be told, so an age bound leaves it out.
        assert!(!aged.admits(1, None));
        assert!(!aged.admits(1, Some("yesterday")));
        // An age older than the epoch leaves nothing older than it.
        let ancient = ObjectBounds::new(None, None, Some(day * 100_000), None, now).unwrap();
        assert!(!ancient.admits(1, Some(&ago(day_s))));
        // Bounds that select nothing.
        let err = ObjectBounds::new(Some(2), Some(1), None, None, now).unwrap_err();
        assert!(
            err.to_string().contains("--min-size 2 is above --max-size 1"),
            "{err}"
        );
        let err = ObjectBounds::new(None, None, Some(day), Some(day), now).unwrap_err();
        assert!(
            err.to_string().contains("--newer-than must be the longer age"),
            "{err}"
        );
    }

    fn settings(extra: &[&str]) -> Result<Settings, CliError> {
        let mut argv = vec!["partcopy", "cp"];
        argv.extend_from_slice(extra);
        let Command::Cp(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not cp")
        };
        from_args(*args)
    }

    #[test]
    fn each_listed_object_maps_under_dst() {
        let s = settings(&[
            "-r",
            "oss://src-b/photos/",
            "oss://dst-b/",
            "--region",
            "cn-hangzhou",
        ])
        .unwrap();
        let one = s.object("photos/2026/a b.jpg").unwrap();
        assert_eq!(one.source.url.key, "photos/2026/a b.jpg");
        assert_eq!(one.destination.url.key, "2026/a b.jpg");
        assert!(!one.recursive);
        // The folder marker SRC names itself would have an empty key in a whole bucket.
        let error = s.object("photos/").unwrap_err().to_string();
        assert!(error.contains("empty key"), "{error}");
        let long = format!("photos/{}", "k".repeat(1000));
        assert!(s.object(&long).is_ok());
        let s = settings(&[
            "-r",
            "oss://src-b/p/",
            "oss://dst-b/longer/",
            "--region",
            "cn-hangzhou",
        ])
        .unwrap();
        let error = s
            .object(&format!("p/{}", "k".repeat(1020)))
            .unwrap_err()
            .to_string();
        assert!(error.contains("keys are at most 1023 bytes"), "{error}");
    }

    #[test]
    fn acceleration_endpoints_are_recognised() {
        for accelerated in [
            "https://cos.accelerate.myqcloud.com",
            "https://COS.Accelerate.myqcloud.com/",
            "http://oss-accelerate.aliyuncs.com:80",
            "https://oss-accelerate-overseas.aliyuncs.com",
            "https://b-1250000000.cos.accelerate.myqcloud.com",
        ] {
            let note = acceleration_note(accelerated).unwrap_or_else(|| panic!("{accelerated}"));
            assert!(note.starts_with(accelerated), "{note}");
            assert!(note.contains("leave --endpoint out"), "{note}");
        }
        for plain in [
            "https://cos.ap-guangzhou.myqcloud.com",
            "https://oss-cn-hangzhou.aliyuncs.com",
            "http://127.0.0.1:9000",
            "https://notcos.accelerate.myqcloud.com.example.com",
            "https://xcos.accelerate.myqcloud.com",
        ] {
            assert_eq!(acceleration_note(plain), None, "{plain}");
        }
    }

    #[test]
    fn regions_and_endpoints_default_to_the_shared_option() {
        let s = settings(&[
            "cos://a-1250000000/k",
            "cos://b-1250000000/k",
            "--region",
            "ap-guangzhou",
            "--dst-region",
            "ap-beijing",
        ])
        .unwrap();
        assert_eq!(s.source.region.as_deref(), Some("ap-guangzhou"));
        assert_eq!(s.destination.region.as_deref(), Some("ap-beijing"));
        let s = settings(&[
            "cos://a-1250000000/k",
            "cos://b-1250000000/k",
            "--endpoint",
            "http://127.0.0.1:9000",
            "--region",
            "ap-guangzhou",
            "--src-endpoint",
            "http://127.0.0.1:9001",
        ])
        .unwrap();
        assert_eq!(s.destination.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.source.endpoint.as_deref(), Some("http://127.0.0.1:9001"));
    }

    #[test]
    fn refuses_what_cannot_work_with_exit_status_2() {
        let cases: &[(&[&str], &str)] = &[
            (&["cos://a/k", "cos://b-1/k", "--region", "r"], "appid"),
            (
                &["cos://a-1/k", "oss://bbb/k", "--region", "r"],
                "within one cloud",
            ),
            (&["oss://aaa/k", "oss://bbb/k"], "needs a region"),
            (
                &["cos://a-1/k", "cos://b-1/k", "--endpoint", "http://127.0.0.1:1"],
                "needs a region",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--src-region",
                    "cn-hangzhou",
                    "--dst-region",
                    "cn-beijing",
                ],
                "only within one region",
            ),
            (
                &["oss://aaa/k", "oss://aaa/k", "--region", "cn-hangzhou"],
                "nothing would change",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--meta",
                    "a=b",
                ],
                "replace",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--content-type",
                    "x/y",
                ],
                "replace",
            ),
            (
                &["oss://aaa/k", "oss://bbb/k", "--region", "CN HZ"],
                "region name",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--endpoint",
                    "ftp://x",
                ],
                "endpoint",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--endpoint",
                    "http://h/p",
                ],
                "endpoint",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--storage-class",
                    "a b",
                ],
                "storage class",
            ),
            (
                &[
                    "oss://aaa/k",
                    "oss://bbb/k",
                    "--region",
                    "cn-hangzhou",
                    "--metadata-directive",
                    "replace",
                    "--meta",
                    "a=1",
                    "--meta",
                    "A=2",
                ],
                "more than once",
            ),
        ];
        for (argv, needle) in cases {
            let error = settings(argv).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{argv:?}: {error}");
            assert!(error.to_string().contains(needle), "{argv:?}: {error}");
        }
    }

    #[test]
    fn oss_cross_region_refusal_says_what_to_do() {
        let error = settings(&[
            "oss://aaa/k",
            "oss://bbb/k",
            "--src-region",
            "cn-hangzhou",
            "--dst-region",
            "cn-beijing",
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("cn-hangzhou") && error.contains("cn-beijing"));
        assert!(error.contains("replication"));
    }
}
