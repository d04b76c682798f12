//! The command line, as clap parses it: `partcopy cp SRC DST [options]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::{parse_age, parse_duration};
use crate::meta::parse_meta;
use crate::size::parse_size;

/// Server-side copies of any size on Tencent Cloud COS and Alibaba Cloud OSS.
#[derive(Debug, Parser)]
#[command(name = "partcopy", version, propagate_version = true)]
#[command(after_help = CREDENTIALS_HELP)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const CREDENTIALS_HELP: &str = "\
Credentials come from the environment:
  COS: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (optional)
  OSS: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN (optional)
Exit status: 0 done; 1 the copy (or the service) failed; 2 bad usage or input; 130 interrupted
(Ctrl-C).";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy one object (or, with -r, every object under a prefix) to another place in the same
    /// cloud, server-side.
    #[command(after_help = CP_EXAMPLES)]
    Cp(Box<CpArgs>),
    /// List the multipart uploads in progress for DST: those a kept, failed or abandoned copy left.
    #[command(after_help = UPLOADS_EXAMPLES)]
    Uploads(UploadsArgs),
    /// Abort a multipart upload: free the parts an interrupted or abandoned copy left at DST.
    #[command(after_help = ABORT_EXAMPLES)]
    Abort(AbortArgs),
}

const UPLOADS_EXAMPLES: &str = "\
Examples:
  partcopy uploads cos://dst-1250000000/big.iso --region ap-guangzhou
  partcopy uploads oss://dst/2024.tar --region cn-hangzhou --json
  partcopy uploads oss://dst/backups/ --region cn-hangzhou --prefix
  partcopy uploads cos://dst-1250000000/ --region ap-guangzhou --prefix --older-than 7d
Each upload holds the parts copied so far (billed as storage) until it is completed, aborted
(partcopy abort) or removed by a lifecycle rule. Only uploads of exactly DST's key are listed,
unless --prefix (an empty key then lists the whole bucket's).
Credentials come from the environment:
  COS: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (optional)
  OSS: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN (optional)
Exit status: 0 listed (none is not an error); 1 the service refused; 2 bad usage or input.";

const ABORT_EXAMPLES: &str = "\
Examples:
  partcopy abort cos://dst-1250000000/big.iso 1700000000a1b2c3 --region ap-guangzhou
  partcopy abort oss://dst/2024.tar 0004B9894A22E5B1888A1E29F823**** --region cn-hangzhou
  partcopy abort oss://dst/2024.tar --all --older-than 7d --region cn-hangzhou
  partcopy abort cos://dst-1250000000/ --all --prefix --older-than 30d --region ap-guangzhou
partcopy names the upload of a copy it kept (a failure with --checkpoint-dir, Ctrl-C) in its
messages and in --json (\"upload_id\"); partcopy uploads lists them all. A checkpoint whose
upload is aborted starts over when the copy is run again.
Credentials come from the environment:
  COS: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (optional)
  OSS: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN (optional)
Exit status: 0 aborted; 1 the service refused or no such upload; 2 bad usage or input.";

/// The object whose multipart uploads `uploads` and `abort` work on, and how to reach it.
#[derive(Debug, Args)]
pub struct UploadTarget {
    /// The object the uploads would create: cos://<bucket>-<appid>/<key> or oss://<bucket>/<key>.
    #[arg(value_name = "DST")]
    pub destination: String,
    /// Region of DST (e.g. ap-guangzhou, cn-hangzhou).
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// Service endpoint override; an IP or localhost makes path-style requests.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Most attempts per request when the service answers with a server error or the connection
    /// fails.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Longest time one request may take, its answer included.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
    /// OSS signing version.
    #[arg(long, value_enum, value_name = "v4|v1", default_value_t = OssSignatureArg::V4)]
    pub oss_signature: OssSignatureArg,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Accept any TLS certificate (local test endpoints only; warns every time).
    #[arg(long, hide = true)]
    pub insecure_skip_verify: bool,
}

/// `partcopy uploads` options.
#[derive(Debug, Args)]
pub struct UploadsArgs {
    /// DST and how to reach it.
    #[command(flatten)]
    pub target: UploadTarget,
    /// Take DST's key as a prefix: list the uploads of every key that starts with it (an empty
    /// key, as in cos://bucket-1250000000/, lists the whole bucket's).
    #[arg(long)]
    pub prefix: bool,
    /// Only uploads initiated at least this long ago (e.g. 7d, 36h, 30m).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<std::time::Duration>,
}

/// `partcopy abort` options.
#[derive(Debug, Args)]
pub struct AbortArgs {
    /// DST and how to reach it.
    #[command(flatten)]
    pub target: UploadTarget,
    /// The multipart upload's id.
    #[arg(
        value_name = "UPLOAD_ID",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub upload_id: Option<String>,
    /// Abort every upload in progress for DST's key (as `partcopy uploads DST` lists them) —
    /// another writer's too, if one is uploading that key now: --older-than spares recent ones.
    #[arg(long)]
    pub all: bool,
    /// With --all: take DST's key as a prefix and abort the uploads of every key that starts with
    /// it (an empty key: the whole bucket's). Needs --older-than, as the uploads of other keys may
    /// be other writers' in progress (--older-than 0s takes every one).
    #[arg(long)]
    pub prefix: bool,
    /// With --all: only uploads initiated at least this long ago (e.g. 7d, 36h, 30m).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<std::time::Duration>,
    /// With --all: most aborts in flight at once.
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub concurrency: u32,
}

const CP_EXAMPLES: &str = "\
Examples:
  partcopy cp cos://src-1250000000/big.iso cos://dst-1250000000/big.iso --region ap-guangzhou
  partcopy cp oss://src/logs/2024.tar oss://dst/2024.tar --region cn-hangzhou -j 32 --part-size 256MiB
  partcopy cp cos://a-1250000000/k cos://b-1250000000/k --src-region ap-beijing --dst-region ap-shanghai
  partcopy cp oss://b/k oss://b/k2 --region cn-hangzhou --metadata-directive replace --meta owner=alice
  partcopy cp cos://a-1250000000/k cos://b-1250000000/k --region ap-guangzhou --src-sse-c-key-file k.bin
  partcopy cp oss://b/big.tar oss://b2/big.tar --region cn-hangzhou --skip-identical --checkpoint-dir ~/.partcopy
  partcopy cp -r oss://b/photos/ oss://b2/2026/photos/ --region cn-hangzhou --skip-identical --jobs 16
  partcopy cp -r oss://b/2025/ oss://b/archive/2025/ --region cn-hangzhou --move
Sizes: 64MiB, 5G (powers of 1024), 1GB (powers of 1000), or plain bytes.
Credentials come from the environment:
  COS: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (optional)
  OSS: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN (optional)
Exit status: 0 copied; 1 the copy failed; 2 bad usage or input; 130 interrupted (Ctrl-C).";

/// `partcopy cp` options, as DESIGN.md's CLI contract lists them.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Source object: cos://<bucket>-<appid>/<key> or oss://<bucket>/<key> (key taken verbatim);
    /// with -r, a key prefix (cos://<bucket>-<appid>/ for a whole bucket).
    #[arg(value_name = "SRC")]
    pub source: String,
    /// Destination object, in the same cloud as the source; the source itself rewrites it in place
    /// (with --storage-class, --acl, --tag or --metadata-directive replace).
    #[arg(value_name = "DST")]
    pub destination: String,

    /// SRC and DST are key prefixes (either may be a whole bucket): copy every object whose key
    /// starts with SRC's, at any depth, to DST's key followed by the rest of its key —
    /// cos://a/photos/x.jpg to cos://b/2026/photos/x.jpg for SRC cos://a/photos/ and DST
    /// cos://b/2026/photos/ (a folder, ending in / or a whole bucket, goes to a folder). --jobs
    /// objects at a time; one object's failure does not stop the others (exit 1 at the end when
    /// any failed).
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// With --recursive: copy only the objects whose key after SRC's prefix matches PATTERN
    /// (repeatable: any of them). Shell-style: * and ? within one path segment, ** across
    /// segments, a set of characters in brackets; e.g. '*.jpg' (top level), '**/*.jpg' (any depth).
    #[arg(long, value_name = "PATTERN", requires = "recursive")]
    pub include: Vec<String>,
    /// With --recursive: skip the objects whose key after SRC's prefix matches PATTERN
    /// (repeatable; wins over --include).
    #[arg(long, value_name = "PATTERN", requires = "recursive")]
    pub exclude: Vec<String>,
    /// With --recursive: copy only the objects of at least SIZE (e.g. 1MiB), as the listing gives
    /// their sizes (nothing is sent for the others)
    #[arg(long, value_name = "SIZE", requires = "recursive", value_parser = parse_size)]
    pub min_size: Option<u64>,
    /// With --recursive: copy only the objects of at most SIZE (e.g. 5GiB)
    #[arg(long, value_name = "SIZE", requires = "recursive", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// With --recursive: copy only the objects last modified at least AGE ago (e.g. 30d, 12h),
    /// as the listing dates them
    #[arg(long, value_name = "AGE", requires = "recursive", value_parser = parse_age)]
    pub older_than: Option<std::time::Duration>,
    /// With --recursive: copy only the objects last modified less than AGE ago (e.g. 1d: the last
    /// day's)
    #[arg(long, value_name = "AGE", requires = "recursive", value_parser = parse_age)]
    pub newer_than: Option<std::time::Duration>,
    /// With --recursive: most objects copied at once, each with up to -j requests in flight
    /// [default: 8].
    #[arg(long, value_name = "N", requires = "recursive",
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: Option<u32>,

    /// Region of both ends, e.g. ap-guangzhou (COS) or cn-hangzhou (OSS).
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// Region of the source (overrides --region).
    #[arg(long, value_name = "R")]
    pub src_region: Option<String>,
    /// Region of the destination (overrides --region).
    #[arg(long, value_name = "R")]
    pub dst_region: Option<String>,

    /// Service endpoint of both ends, e.g. https://cos.ap-guangzhou.myqcloud.com; an IP address or
    /// localhost means path-style addressing.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Endpoint of the source (overrides --endpoint).
    #[arg(long, value_name = "URL")]
    pub src_endpoint: Option<String>,
    /// Endpoint of the destination (overrides --endpoint).
    #[arg(long, value_name = "URL")]
    pub dst_endpoint: Option<String>,

    /// Part size of a multipart copy, e.g. 64MiB (raised automatically past 10,000 parts).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Largest object copied with one PUT-Copy (default: COS 5GiB, OSS 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub threshold: Option<u64>,
    /// Most part copies in flight at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// Keep a checkpoint here so that rerunning the same command resumes an interrupted copy.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Most attempts per request, the first included; retryable failures (5xx, throttling,
    /// timeouts, dropped connections) back off exponentially with jitter between attempts.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Longest time one request may take, its answer included (e.g. 30s, 10m); a part copy of a
    /// large part is a long server-side operation, so keep it generous.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,

    /// Copy the source's metadata, or replace it with --meta / --content-type.
    #[arg(long, value_enum, value_name = "copy|replace", default_value_t = Directive::Copy)]
    pub metadata_directive: Directive,
    /// User metadata key=value for the destination (repeatable; needs --metadata-directive replace).
    #[arg(long = "meta", value_name = "K=V", value_parser = parse_meta)]
    pub meta: Vec<(String, String)>,
    /// Content-Type of the destination (needs --metadata-directive replace).
    #[arg(long, value_name = "T")]
    pub content_type: Option<String>,
    /// Storage class of the destination, e.g. STANDARD_IA (COS) or IA (OSS).
    #[arg(long, value_name = "C")]
    pub storage_class: Option<String>,

    /// A tag of the destination, KEY=VALUE (repeatable, at most 10): the copy gets exactly these
    /// tags instead of the source's, under either metadata directive.
    #[arg(long = "tag", value_name = "K=V", value_parser = crate::tags::parse_tag)]
    pub tags: Vec<(String, String)>,

    /// Canned ACL of the destination: default, private or public-read (COS); also
    /// public-read-write (OSS). Without it the copy gets the bucket's ACL: the source's is not
    /// carried.
    #[arg(long, value_name = "ACL")]
    pub acl: Option<String>,

    /// Copy this version of the source (a bucket with versioning) instead of its current one;
    /// onto the source's own key, this restores it
    #[arg(long, value_name = "ID")]
    pub src_version_id: Option<String>,

    /// Server-side encryption of the copy instead of the source's: AES256 or cos/kms (COS), AES256,
    /// KMS or SM4 (OSS). Without it the copy is encrypted as its source is (or not at all); onto
    /// the source itself it encrypts an object in place
    #[arg(long, value_name = "ALG")]
    pub sse: Option<String>,
    /// The KMS key for --sse cos/kms (COS) or --sse KMS (OSS); without it the service's default
    /// KMS key
    #[arg(long, value_name = "ID", requires = "sse")]
    pub sse_kms_key_id: Option<String>,
    /// OSS: the algorithm KMS encrypts the copy's data with under --sse KMS: SM4 (without it,
    /// AES256)
    #[arg(long, value_name = "ALG", requires = "sse")]
    pub sse_data_encryption: Option<String>,

    /// COS: the file holding the source's customer-provided encryption key (SSE-C): 32 raw bytes,
    /// or their base64. The copy is encrypted with the same key unless --sse-c-key-file names
    /// another.
    #[arg(long, value_name = "FILE")]
    pub src_sse_c_key_file: Option<PathBuf>,
    /// COS: the file holding the key to encrypt the copy with (SSE-C): 32 raw bytes, or their
    /// base64.
    #[arg(long, value_name = "FILE")]
    pub sse_c_key_file: Option<PathBuf>,
    /// COS: store the copy without a customer key (decrypted), though --src-sse-c-key-file opens
    /// the source; the bucket's default encryption, if any, still applies.
    #[arg(long, conflicts_with = "sse_c_key_file")]
    pub no_sse_c: bool,

    /// Never replace an existing DST: when it exists nothing is copied (exit 0, "skipped"), and the
    /// service is asked to refuse a DST that appears during the copy (not in a bucket with
    /// versioning, which keeps the old object as a version anyway).
    #[arg(long)]
    pub no_overwrite: bool,
    /// Copy nothing when DST already is what the copy would make: same size and CRC-64 (the data),
    /// the metadata, tags and storage class the copy would give it (exit 0, "skipped"). A rerun of
    /// a finished copy — or of a rewrite in place — then costs two HEADs and two tag reads; a DST
    /// that cannot be shown the same (no CRC-64, tags unreadable, absent) is copied.
    #[arg(long, conflicts_with_all = ["no_overwrite", "acl"])]
    pub skip_identical: bool,
    /// Delete SRC once its copy is done and checked (implies --verify): the object moves to DST.
    /// A destination found identical by --skip-identical counts as done; one kept by
    /// --no-overwrite does not, and SRC then stays. Not in place, not with --src-version-id.
    #[arg(long = "move")]
    pub move_source: bool,

    /// HEAD both ends afterwards and compare size, metadata and CRC-64 where given, the tags,
    /// and the storage class when --storage-class is.
    #[arg(long)]
    pub verify: bool,
    /// Print the plan (HEADs the source for its size) and copy nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// OSS signing version.
    #[arg(long, value_enum, value_name = "v4|v1", default_value_t = OssSignatureArg::V4)]
    pub oss_signature: OssSignatureArg,
    /// Print one JSON summary object on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar (shown on stderr otherwise, when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Accept any TLS certificate. Only for a local test endpoint with a self-signed certificate;
    /// partcopy warns on stderr every time it is used.
    #[arg(long, hide = true)]
    pub insecure_skip_verify: bool,
}

/// `--metadata-directive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Directive {
    /// Keep the source's metadata and tags.
    Copy,
    /// Use --meta / --content-type instead, and no tags.
    Replace,
}

/// `--oss-signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OssSignatureArg {
    /// OSS4-HMAC-SHA256.
    V4,
    /// The older HMAC-SHA1 scheme (being retired by Alibaba Cloud).
    V1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_every_option() {
        let cli = Cli::try_parse_from([
            "partcopy",
            "-vv",
            "cp",
            "cos://a-1/k",
            "cos://b-1/k",
            "--region",
            "ap-guangzhou",
            "--dst-region",
            "ap-beijing",
            "--endpoint",
            "http://127.0.0.1:9000",
            "--part-size",
            "64MiB",
            "--threshold",
            "1GB",
            "-j",
            "32",
            "--checkpoint-dir",
            "/tmp/cp",
            "--metadata-directive",
            "replace",
            "--meta",
            "A=1",
            "--meta",
            "b=2",
            "--content-type",
            "text/plain",
            "--storage-class",
            "STANDARD_IA",
            "--verify",
            "--dry-run",
            "--oss-signature",
            "v1",
            "--json",
            "--no-progress",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        let Command::Cp(cp) = cli.command else {
            panic!("not cp")
        };
        assert_eq!(cp.part_size, Some(64 << 20));
        assert_eq!(cp.threshold, Some(1_000_000_000));
        assert_eq!(cp.concurrency, 32);
        assert_eq!(cp.metadata_directive, Directive::Replace);
        assert_eq!(cp.meta, vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(cp.oss_signature, OssSignatureArg::V1);
        assert!(cp.verify && cp.dry_run && cp.json && cp.no_progress);
    }

    #[test]
    fn rejects_bad_values_at_parse_time() {
        for argv in [
            &["partcopy", "cp", "a"][..],
            &["partcopy", "cp", "a", "b", "--part-size", "lots"],
            &["partcopy", "cp", "a", "b", "-j", "0"],
            &["partcopy", "cp", "a", "b", "--meta", "novalue"],
            &["partcopy", "cp", "a", "b", "--metadata-directive", "merge"],
            &["partcopy", "cp", "a", "b", "--oss-signature", "v2"],
            &["partcopy", "mv", "a", "b"],
        ] {
            let error = Cli::try_parse_from(argv).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{argv:?}");
        }
    }
}
