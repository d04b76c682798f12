//! `cargo xtask bench [--smoke] [--no-peers] [--no-micro]`: partcopy's benchmarks and targets (issue 7).
//!
//! 1. Micro: the criterion benches (`core/benches/plan.rs`, `protocol/benches/sign.rs` beside reqsign,
//!    `protocol/benches/parse.rs`, `transport-hyper/benches/journal.rs`), with short measurement
//!    times; their mean point estimates are read back from `<target>/criterion/**/new/estimates.json`.
//! 2. End to end: the release emulator with a fixed latency on Upload Part - Copy only, and the
//!    release `partcopy` binary copying a virtual object of N parts of 1 MiB (a COS copy across
//!    regions, with `--checkpoint-dir`) at several concurrencies. Each run is a child process reaped
//!    with `wait4`, which gives its user+sys CPU time and peak RSS.
//! 3. Scale: the same at several part counts and one concurrency. Then the HTTP exchanges alone
//!    (`xtask/floor`): as many requests through the same transport, window and latency, without the
//!    copy, whose CPU per request is the floor under partcopy's CPU per part.
//! 4. Peers: cos-python-sdk-v5 `CosS3Client.copy` and alibabacloud-oss-v2 `Copier`
//!    (`xtask/bench/peers.py`, in the venv `sdk-check` manages) against partcopy on the same object,
//!    part size and concurrency.
//!
//! The table is printed and written to `<target>/bench-report.md`. Nothing here asserts timings:
//! targets are reported as met or missed. `--smoke` shrinks everything to run in seconds (after the
//! builds), to keep the bench from rotting.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::paths::{target_dir, workspace_root};
use crate::sdk_check::{ensure_sdks, start_emulator, Python};

const MIB: u64 = 1024 * 1024;
const PART_SIZE: u64 = MIB;
const COS_SRC: &str = "far-1250000000";
const COS_SRC_REGION: &str = "ap-beijing";
const COS_DST: &str = "dst-1250000000";
const COS_DST_REGION: &str = "ap-guangzhou";
const OSS_SRC: &str = "src";
const OSS_DST: &str = "dst";
const OSS_REGION: &str = "cn-hangzhou";

/// What one `bench` invocation measures.
struct Settings {
    smoke: bool,
    peers: bool,
    micro: bool,
    latency_ms: u64,
    /// Part count of the concurrency runs.
    parts: u32,
    concurrencies: Vec<u32>,
    scale_parts: Vec<u32>,
    scale_concurrency: u32,
    /// Part count of the peer comparison: alibabacloud-oss-v2's `Copier` doubles its part size at
    /// 10,000 parts or more (`>= MAX_UPLOAD_PARTS`), so a full run compares at 9,999.
    peer_parts: u32,
    /// How many times each partcopy copy runs; its figures are the medians (the machine is shared
    /// and a single run's CPU time varies by ±30%).
    repeat: usize,
}

impl Settings {
    fn from_args(args: &[String]) -> Result<Settings, String> {
        let mut settings = Settings {
            smoke: false,
            peers: true,
            micro: true,
            latency_ms: 20,
            parts: 10_000,
            concurrencies: vec![16, 64, 256],
            scale_parts: vec![100, 1_000, 10_000],
            scale_concurrency: 64,
            peer_parts: 9_999,
            repeat: 3,
        };
        // Applied last, so that it overrides `--smoke`'s single run wherever it is written.
        let mut repeat = None;
        for arg in args {
            match arg.as_str() {
                "--smoke" => {
                    settings.smoke = true;
                    settings.latency_ms = 5;
                    settings.parts = 40;
                    settings.concurrencies = vec![4, 16];
                    settings.scale_parts = vec![10, 40];
                    settings.scale_concurrency = 16;
                    settings.peer_parts = 40;
                    settings.repeat = 1;
                }
                "--no-peers" => settings.peers = false,
                "--no-micro" => settings.micro = false,
                other => match other.strip_prefix("--repeat=").map(str::parse::<usize>) {
                    Some(Ok(n @ 1..)) => repeat = Some(n),
                    Some(_) => {
                        return Err(format!(
                            "bench: {other}: the repeat count must be a whole number of 1 or more"
                        ))
                    }
                    None => {
                        return Err(format!(
                            "bench: unknown option {other} (--smoke, --no-peers, --no-micro, --repeat=N)"
                        ))
                    }
                },
            }
        }
        if let Some(n) = repeat {
            settings.repeat = n;
        }
        Ok(settings)
    }
}

/// Runs the whole benchmark.
///
/// # Errors
/// A message naming the step that failed (a build, a bench, a copy that did not copy).
pub fn bench(args: &[String]) -> Result<(), String> {
    let settings = Settings::from_args(args)?;
    let root = workspace_root();
    let target = target_dir(&root);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let started = SystemTime::now();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "# partcopy bench{}\n\nMachine: {} CPUs, load average {} at start (shared machine: figures are noisy).\n",
        if settings.smoke { " (smoke: tiny sizes, figures meaningless)" } else { "" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into()),
    );

    let mut targets = Vec::new();
    let mut result = Ok(());
    if settings.micro {
        result = micro(
            &settings,
            &root,
            &target,
            &cargo,
            started,
            &mut report,
            &mut targets,
        );
    }
    if result.is_ok() {
        result = end_to_end(&settings, &root, &target, &cargo, &mut report, &mut targets);
    }
    if let Err(error) = &result {
        let _ = writeln!(report, "**The bench stopped early:** {error}\n");
    }

    let _ = writeln!(report, "## Targets (issue 7)\n");
    for (met, what) in &targets {
        let _ = writeln!(report, "- {} {what}", if *met { "met:   " } else { "MISSED:" });
    }
    println!("{report}");
    let path = target.join("bench-report.md");
    std::fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("bench: report written to {}", path.display());
    result
}

// ------------------------------------------------------------------------------------------ micro

fn micro(
    settings: &Settings,
    root: &Path,
    target: &Path,
    cargo: &str,
    started: SystemTime,
    report: &mut String,
    targets: &mut Vec<(bool, String)>,
) -> Result<(), String> {
    let times: &[&str] = if settings.smoke {
        &[
            "--warm-up-time",
            "0.1",
            "--measurement-time",
            "0.2",
            "--sample-size",
            "10",
        ]
    } else {
        &[
            "--warm-up-time",
            "0.5",
            "--measurement-time",
            "2",
            "--sample-size",
            "30",
        ]
    };
    let benches = [
        ("partcopy-core", "plan"),
        ("partcopy-protocol", "sign"),
        ("partcopy-protocol", "parse"),
        ("partcopy-transport-hyper", "journal"),
    ];
    for (package, name) in benches {
        let mut cmd = Command::new(cargo);
        cmd.args(["bench", "-p", package, "--bench", name, "--"])
            .args(times)
            .current_dir(root);
        run_quiet(&mut cmd, &format!("cargo bench -p {package} --bench {name}"))?;
    }
    let estimates = read_estimates(&target.join("criterion"), started)?;
    let _ = writeln!(
        report,
        "## Micro (criterion mean)\n\n| benchmark | mean |\n|---|---:|"
    );
    for (name, ns) in &estimates {
        let _ = writeln!(report, "| {name} | {} |", format_ns(*ns));
    }
    report.push('\n');
    for signer in ["cos", "oss_v1", "oss_v4"] {
        let get = |f: &str| {
            estimates
                .iter()
                .find(|(name, _)| name.contains(signer) && name.ends_with(f))
                .map(|(_, ns)| *ns)
        };
        if let (Some(ours), Some(render), Some(theirs)) =
            (get("/ours_sign"), get("/ours_render_sign"), get("/reqsign_sign"))
        {
            let ratio = theirs / ours;
            targets.push((
                ratio >= 1.5,
                format!(
                    "signing {signer}: {ratio:.2}× reqsign (ours {}, reqsign {}; rendering + signing {}), target ≥ 1.5×",
                    format_ns(ours),
                    format_ns(theirs),
                    format_ns(render)
                ),
            ));
        } else {
            targets.push((false, format!("signing {signer}: no estimate found")));
        }
    }
    Ok(())
}

/// The mean point estimates (ns) of every criterion benchmark written since `since`, by name.
fn read_estimates(dir: &Path, since: SystemTime) -> Result<BTreeMap<String, f64>, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let is_new_estimate = path.file_name().is_some_and(|n| n == "estimates.json")
                && path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "new");
            let fresh = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if !(is_new_estimate && fresh) {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let Some(mean) = value["mean"]["point_estimate"].as_f64() else {
                continue;
            };
            let name = path
                .parent()
                .and_then(Path::parent)
                .and_then(|p| p.strip_prefix(dir).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            found.insert(name, mean);
        }
    }
    if found.is_empty() {
        return Err(format!("no fresh criterion estimates under {}", dir.display()));
    }
    Ok(found)
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

// ------------------------------------------------------------------------------------ end to end

/// One measured child process.
#[derive(Debug, Clone, Copy)]
struct Measured {
    wall: Duration,
    /// User + system CPU time.
    cpu: Duration,
    /// The system (kernel) share of `cpu`.
    sys: Duration,
    max_rss_kib: u64,
    success: bool,
    /// The share of the machine's CPU time the hypervisor took while the process ran, per mille
    /// (from /proc/stat): a busy host slows every process and moves every figure.
    steal_permille: Option<u64>,
}

/// One partcopy or peer run against the emulator.
#[derive(Debug, Clone)]
struct Run {
    parts: u32,
    concurrency: u32,
    process: Measured,
    /// Time inside the copy, as the program itself reports it.
    inner_ms: Option<u64>,
    requests: Option<u64>,
    max_in_flight: u64,
    /// The emulator's CPU time (user+sys) during the run, from /proc.
    server_cpu: Option<Duration>,
    /// How late the emulator served its injected latency: median, mean and max overshoot, µs.
    overshoot_us: Option<(u64, u64, u64)>,
    /// How long the emulator took over the Complete (receiving its body of every part's number and
    /// ETag, checking and composing them), µs: the ideal allows it one round trip.
    complete_us: Option<u64>,
    /// How long connections sat between an answer and their next request (the emulator's
    /// `turnaround`): median and mean, µs.
    turnaround_us: Option<(u64, u64)>,
    /// For a median of several runs, the least and most of their wall and CPU times.
    spread: Option<Spread>,
}

/// How far apart the runs behind a median were: the noise a reader should allow for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spread {
    /// The shortest and longest wall time.
    wall: (Duration, Duration),
    /// The least and most CPU time (user+sys).
    cpu: (Duration, Duration),
}

/// `run`'s spread as `wall/ideal min–max, CPU/part min–max`, or `–` for a single run.
fn spread_text(run: &Run, ideal: Duration) -> String {
    let Some(spread) = run.spread else {
        return "–".into();
    };
    let ratio = |wall: Duration| wall.as_secs_f64() / ideal.as_secs_f64().max(f64::MIN_POSITIVE);
    format!(
        "{:.3}–{:.3}, {:.1}–{:.1} µs",
        ratio(spread.wall.0),
        ratio(spread.wall.1),
        per_part_us(spread.cpu.0, run.parts),
        per_part_us(spread.cpu.1, run.parts)
    )
}

/// The emulator, its admin API and what is needed to drive it.
struct Bench {
    admin: String,
    endpoint: String,
    cos_key: (String, String),
    oss_key: (String, String),
    partcopy: PathBuf,
    /// `xtask/floor`'s `exchange-floor`: HTTP exchanges alone, through the same transport.
    floor: PathBuf,
    scratch: PathBuf,
    counter: u32,
    emulator_pid: u32,
    /// Runs per partcopy figure ([`Settings::repeat`]).
    repeat: usize,
}

fn end_to_end(
    settings: &Settings,
    root: &Path,
    target: &Path,
    cargo: &str,
    report: &mut String,
    targets: &mut Vec<(bool, String)>,
) -> Result<(), String> {
    let python = if settings.peers {
        Some(ensure_sdks(&target.join("sdk-check"))?)
    } else {
        None
    };
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "-p",
        "partcopy",
        "-p",
        "partcopy-emulator",
        "-p",
        "xtask-floor",
    ])
    .current_dir(root);
    run_quiet(
        &mut cmd,
        "cargo build --release -p partcopy -p partcopy-emulator -p xtask-floor",
    )?;
    let release = target.join("release");
    let buckets = [
        format!("cos:{COS_SRC}:{COS_SRC_REGION}"),
        format!("cos:{COS_DST}:{COS_DST_REGION}"),
        format!("oss:{OSS_SRC}:{OSS_REGION}"),
        format!("oss:{OSS_DST}:{OSS_REGION}"),
    ];
    let (emulator, admin) = start_emulator(&release.join("partcopy-emulator"), &buckets)?;
    let info = admin_call(&admin, "GET", "/info", None)?;
    let key = |provider: &str| -> Result<(String, String), String> {
        info["credentials"]
            .as_array()
            .and_then(|list| list.iter().find(|c| c["provider"] == provider))
            .and_then(|c| {
                Some((
                    c["access_key_id"].as_str()?.to_string(),
                    c["secret"].as_str()?.to_string(),
                ))
            })
            .ok_or_else(|| format!("the emulator's /info has no {provider} credentials"))
    };
    let scratch = target.join("bench-scratch");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let mut bench = Bench {
        admin: admin.clone(),
        endpoint: info["endpoint"].as_str().unwrap_or_default().to_string(),
        cos_key: key("cos")?,
        oss_key: key("oss")?,
        partcopy: release.join("partcopy"),
        floor: release.join("exchange-floor"),
        scratch,
        counter: 0,
        emulator_pid: emulator.0.id(),
        repeat: settings.repeat,
    };
    let result = measure_all(settings, &mut bench, python.as_ref(), report, targets);
    let emulator_rss = crate::sdk_check::peak_rss(emulator.0.id());
    drop(emulator);
    if let Some(rss) = emulator_rss {
        let _ = writeln!(report, "Emulator peak RSS: {:.1} MiB.\n", rss as f64 / MIB as f64);
    }
    result
}

fn measure_all(
    settings: &Settings,
    bench: &mut Bench,
    python: Option<&Python>,
    report: &mut String,
    targets: &mut Vec<(bool, String)>,
) -> Result<(), String> {
    let latency = Duration::from_millis(settings.latency_ms);
    let rtt = bench.round_trip()?;
    let _ = writeln!(
        report,
        "## End to end\n\nEmulator (release) with {} ms fixed latency on Upload Part - Copy only; `partcopy` (release), \
         COS copy across regions ({COS_SRC_REGION} → {COS_DST_REGION}), parts of 1 MiB, `--checkpoint-dir`. \
         Ideal = ceil(parts / concurrency) × latency + 3 round trips (HEAD, Initiate, Complete), a round trip \
         measured as the median of unsigned HEADs on one loopback connection: {:.0} µs (so the ideal leaves out \
         process start-up and signing, and the ratio is conservative). Wall is the child process's, start-up \
         included; `in-copy` is the `elapsed_ms` partcopy reports. CPU is user+sys of the whole process (wait4), \
         its kernel (sys) share in brackets; \
         journal bytes come from a separate run of the same copy whose Complete fails (partcopy removes the \
         journal after a successful copy). The emulator runs on the same cores: its CPU per request (from /proc) \
         is shown because client and server together must fit in the latency window at high concurrency. The \
         overshoot is how much later than asked the emulator resumed its delayed requests (from their arrival): \
         under load it grows with the CPU both processes need. Host steal is the share of the machine's CPU time \
         the hypervisor took during the run (/proc/stat): a few per cent of it disturbs every figure. \
         The emulator's Complete is how long it took over the Complete request, from its head's arrival to \
         its answer (the body of every part's number and ETag received, parsed, checked and composed): \
         the ideal allows it one round trip, so this much of wall − ideal is the server's. \
         Answer → next request is the time a connection sat between the emulator's answer being ready \
         and the next request's head arriving on it (the emulator's `turnaround`: writing the answer, the \
         client's reading it and sending the next, the emulator's reading that), median and mean; the \
         ideal counts it as nothing. Each of a copy's ceil(parts / concurrency) rounds lasts the latency \
         plus a mean overshoot plus a mean answer → next request, so `rounds × (overshoot + answer → \
         next)` is what the rounds themselves add to the ideal, by the server's clock: compare it with \
         wall − ideal (the rest is start-up, the first window's connections, the journal's creation and \
         Complete). \
         Each partcopy figure is the median of {} run(s) of the same copy; the last column is the range the runs \
         spanned (wall/ideal and CPU per part, least to most), the noise to allow for when comparing figures.\n",
        settings.latency_ms,
        rtt.as_secs_f64() * 1e6,
        settings.repeat
    );

    let mut journal_bytes = BTreeMap::new();
    let mut all_parts: Vec<u32> = settings.scale_parts.clone();
    all_parts.push(settings.parts);
    all_parts.sort_unstable();
    all_parts.dedup();
    for &parts in &all_parts {
        bench.create_source(parts)?;
        journal_bytes.insert(parts, bench.journal_bytes(parts)?);
    }

    let header = "| parts | concurrency | wall | in-copy | ideal | wall/ideal | CPU/part (kernel) | peak RSS | journal bytes | server max in-flight (part copies) | requests | emulator CPU/request | latency overshoot p50/mean/max | answer → next request p50/mean | rounds × (overshoot + answer → next) | emulator's Complete | host steal | runs' range: wall/ideal, CPU/part |\n\
                  |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    let row = |run: &Run| {
        let ideal = ideal(run.parts, run.concurrency, latency, rtt);
        format!(
            "| {} | {} | {:.3} s | {} | {:.3} s | {:.3} | {:.1} µs ({:.1}) | {:.1} MiB | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.parts,
            run.concurrency,
            run.process.wall.as_secs_f64(),
            run.inner_ms
                .map_or("?".into(), |ms| format!("{:.3} s", ms as f64 / 1000.0)),
            ideal.as_secs_f64(),
            run.process.wall.as_secs_f64() / ideal.as_secs_f64(),
            cpu_per_part_us(run),
            sys_per_part_us(run),
            run.process.max_rss_kib as f64 / 1024.0,
            journal_bytes.get(&run.parts).map_or("?".into(), u64::to_string),
            run.max_in_flight,
            run.requests.map_or("?".into(), |r| r.to_string()),
            server_cpu_per_request_us(run),
            overshoot_text(run),
            turnaround_text(run),
            rounds_overhead_text(run),
            run.complete_us
                .map_or("?".into(), |us| format!("{:.1} ms", us as f64 / 1000.0)),
            steal_percent(run),
            spread_text(run, ideal),
        )
    };

    let _ = writeln!(report, "### Concurrency ({} parts)\n\n{header}", settings.parts);
    let mut runs = Vec::new();
    for &concurrency in &settings.concurrencies {
        let run = bench.partcopy_cos(settings.parts, concurrency, settings.latency_ms)?;
        let _ = writeln!(report, "{}", row(&run));
        runs.push(run);
    }
    let _ = writeln!(
        report,
        "\n### Scale (concurrency {})\n\n{header}",
        settings.scale_concurrency
    );
    for &parts in &settings.scale_parts {
        let existing = runs
            .iter()
            .find(|r| r.parts == parts && r.concurrency == settings.scale_concurrency)
            .cloned();
        let run = match existing {
            Some(run) => run,
            None => {
                let run = bench.partcopy_cos(parts, settings.scale_concurrency, settings.latency_ms)?;
                runs.push(run.clone());
                run
            }
        };
        let _ = writeln!(report, "{}", row(&run));
    }
    report.push('\n');
    let floors = floor(settings, bench, &runs, latency, report)?;

    for run in runs.iter().filter(|r| r.parts == settings.parts) {
        let ratio =
            run.process.wall.as_secs_f64() / ideal(run.parts, run.concurrency, latency, rtt).as_secs_f64();
        let bare = floors
            .iter()
            .find(|(concurrency, _)| *concurrency == run.concurrency)
            .map_or(String::new(), |(_, bare)| {
                format!("; the HTTP exchanges alone: {bare:.3}")
            });
        targets.push((
            ratio <= 1.05,
            format!(
                "wall/ideal at concurrency {}: {ratio:.3} (target ≤ 1.05{bare})",
                run.concurrency
            ),
        ));
    }
    // CPU and memory targets are about large copies: the 100-part run is dominated by start-up.
    for run in runs.iter().filter(|r| r.parts == settings.parts) {
        let cpu = cpu_per_part_us(run);
        targets.push((
            cpu <= 20.0,
            format!(
                "CPU per part, {} parts at concurrency {}: {cpu:.1} µs (target ≤ 20 µs)",
                run.parts, run.concurrency
            ),
        ));
        let mib = run.process.max_rss_kib as f64 / 1024.0;
        targets.push((
            mib <= 16.0,
            format!(
                "peak RSS, {} parts at concurrency {}: {mib:.1} MiB (target ≤ 16 MiB)",
                run.parts, run.concurrency
            ),
        ));
    }

    if let Some(python) = python {
        peers(settings, bench, python, &runs, report, targets)?;
    }
    Ok(())
}

/// The HTTP exchanges alone: as many requests as the concurrency runs copied parts, through the
/// same transport with the same window and latency, without rendering, signing, parsing, job or
/// journal (`xtask/floor`). Their CPU per request is the floor under partcopy's CPU per part.
/// Returns each concurrency's wall/ideal of the exchanges alone.
fn floor(
    settings: &Settings,
    bench: &mut Bench,
    runs: &[Run],
    latency: Duration,
    report: &mut String,
) -> Result<Vec<(u32, f64)>, String> {
    let _ = writeln!(
        report,
        "### HTTP exchanges alone ({} requests)\n\n\
         The same transport, configured and driven as `partcopy` does (one thread, a pooled connection \
         per request in flight), sends unsigned HEADs that the emulator answers (403, a small XML body) \
         after the same {} ms: no rendering, signing, parsing, job or journal. Its CPU per request is \
         what the HTTP stack and the kernel cost per exchange; partcopy's CPU per part above it is what \
         the copy itself costs. Ideal = ceil(requests / concurrency) × latency.\n\n\
         | concurrency | wall | ideal | wall/ideal | CPU/request (kernel) | peak RSS | partcopy CPU/part | partcopy − floor | latency overshoot p50/mean/max | answer → next request p50/mean | rounds × (overshoot + answer → next) | host steal | runs' range: wall/ideal, CPU/request |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        settings.parts, settings.latency_ms
    );
    let mut ratios = Vec::new();
    for &concurrency in &settings.concurrencies {
        let mut measured = Vec::new();
        for _ in 0..bench.repeat.max(1) {
            measured.push(bench.floor_once(settings.parts, concurrency, latency)?);
        }
        let run = median_run(measured);
        // No round trips outside the window: every request is one of the window's.
        let ideal = ideal(settings.parts, concurrency, latency, Duration::ZERO);
        let ours = runs
            .iter()
            .find(|r| r.parts == settings.parts && r.concurrency == concurrency)
            .map(cpu_per_part_us);
        let ratio = run.process.wall.as_secs_f64() / ideal.as_secs_f64();
        ratios.push((concurrency, ratio));
        let _ = writeln!(
            report,
            "| {concurrency} | {:.3} s | {:.3} s | {:.3} | {:.1} µs ({:.1}) | {:.1} MiB | {} | {} | {} | {} | {} | {} | {} |",
            run.process.wall.as_secs_f64(),
            ideal.as_secs_f64(),
            ratio,
            cpu_per_part_us(&run),
            sys_per_part_us(&run),
            run.process.max_rss_kib as f64 / 1024.0,
            ours.map_or("?".into(), |us| format!("{us:.1} µs")),
            ours.map_or("?".into(), |us| format!("{:.1} µs", us - cpu_per_part_us(&run))),
            overshoot_text(&run),
            turnaround_text(&run),
            rounds_overhead_text(&run),
            steal_percent(&run),
            spread_text(&run, ideal),
        );
    }
    report.push('\n');
    Ok(ratios)
}

fn peers(
    settings: &Settings,
    bench: &mut Bench,
    python: &Python,
    runs: &[Run],
    report: &mut String,
    targets: &mut Vec<(bool, String)>,
) -> Result<(), String> {
    let parts = settings.peer_parts;
    let concurrency = settings.scale_concurrency;
    bench.create_source(parts)?;
    let ours_cos = match runs
        .iter()
        .find(|r| r.parts == parts && r.concurrency == concurrency)
    {
        Some(run) => run.clone(),
        None => bench.partcopy_cos(parts, concurrency, settings.latency_ms)?,
    };
    let cos = bench.peer(python, "cos", parts, concurrency, settings.latency_ms)?;
    let ours_oss = bench.partcopy_oss(parts, concurrency, settings.latency_ms)?;
    let oss = bench.peer(python, "oss", parts, concurrency, settings.latency_ms)?;
    let _ = writeln!(
        report,
        "## Peers ({parts} parts of 1 MiB, concurrency {concurrency}, same emulator and latency)\n\n\
         | tool | wall | in-copy | CPU/part | peak RSS | server max in-flight | requests | emulator CPU/request | partcopy wall ratio | CPU ratio | RSS ratio |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let line = |name: &str, run: &Run, ours: &Run| {
        format!(
            "| {name} | {:.3} s | {} | {:.1} µs | {:.1} MiB | {} | {} | {} | {:.3} | {:.3} | {:.3} |",
            run.process.wall.as_secs_f64(),
            run.inner_ms
                .map_or("?".into(), |ms| format!("{:.3} s", ms as f64 / 1000.0)),
            cpu_per_part_us(run),
            run.process.max_rss_kib as f64 / 1024.0,
            run.max_in_flight,
            run.requests.map_or("?".into(), |r| r.to_string()),
            server_cpu_per_request_us(run),
            ours.process.wall.as_secs_f64() / run.process.wall.as_secs_f64(),
            ours.process.cpu.as_secs_f64() / run.process.cpu.as_secs_f64(),
            ours.process.max_rss_kib as f64 / run.process.max_rss_kib as f64,
        )
    };
    let _ = writeln!(report, "{}", line("partcopy (COS)", &ours_cos, &ours_cos));
    let _ = writeln!(
        report,
        "{}",
        line("cos-python-sdk-v5 CosS3Client.copy", &cos, &ours_cos)
    );
    let _ = writeln!(report, "{}", line("partcopy (OSS)", &ours_oss, &ours_oss));
    let _ = writeln!(report, "{}", line("alibabacloud-oss-v2 Copier", &oss, &ours_oss));
    let _ = writeln!(
        report,
        "\nRatios are partcopy ÷ peer (below 1 is partcopy better). The peers' wall and CPU include the \
         Python interpreter's start-up and imports; `in-copy` is the time inside the copy call alone.\n"
    );
    for (name, ours, theirs) in [
        ("CosS3Client.copy", &ours_cos, &cos),
        ("oss-v2 Copier", &ours_oss, &oss),
    ] {
        targets.push((
            ours.process.wall <= theirs.process.wall,
            format!(
                "not slower than {name}: partcopy {:.3} s, {name} {:.3} s",
                ours.process.wall.as_secs_f64(),
                theirs.process.wall.as_secs_f64()
            ),
        ));
    }
    Ok(())
}

fn ideal(parts: u32, concurrency: u32, latency: Duration, rtt: Duration) -> Duration {
    latency * parts.div_ceil(concurrency) + rtt * 3
}

/// A run whose every figure is the median of `runs`' (the upper median for an even count), with
/// the spread of their wall and CPU times when there is more than one.
fn median_run(mut runs: Vec<Run>) -> Run {
    fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
        values.sort_unstable();
        values[values.len() / 2]
    }
    /// The median of a figure every run has; `None` if any run lacks it.
    fn median_of_all<T: Ord + Copy>(values: impl Iterator<Item = Option<T>>) -> Option<T> {
        values.collect::<Option<Vec<_>>>().map(median)
    }
    let wall = median(runs.iter().map(|r| r.process.wall).collect());
    let cpu = median(runs.iter().map(|r| r.process.cpu).collect());
    let sys = median(runs.iter().map(|r| r.process.sys).collect());
    let rss = median(runs.iter().map(|r| r.process.max_rss_kib).collect());
    let inner = median_of_all(runs.iter().map(|r| r.inner_ms));
    let server = median_of_all(runs.iter().map(|r| r.server_cpu));
    let max_in_flight = median(runs.iter().map(|r| r.max_in_flight).collect());
    let complete = median_of_all(runs.iter().map(|r| r.complete_us));
    // The median of one part of a figure made of several.
    let part = |figure: fn(&Run) -> Option<u64>| median_of_all(runs.iter().map(figure));
    let turnaround = part(|r| Some(r.turnaround_us?.0)).zip(part(|r| Some(r.turnaround_us?.1)));
    let overshoot = part(|r| Some(r.overshoot_us?.0))
        .zip(part(|r| Some(r.overshoot_us?.1)))
        .zip(part(|r| Some(r.overshoot_us?.2)))
        .map(|((p50, mean), max)| (p50, mean, max));
    let steal = median_of_all(runs.iter().map(|r| r.process.steal_permille));
    let spread = (runs.len() > 1).then(|| {
        let walls = runs.iter().map(|r| r.process.wall);
        let cpus = runs.iter().map(|r| r.process.cpu);
        Spread {
            wall: (
                walls.clone().min().unwrap_or_default(),
                walls.max().unwrap_or_default(),
            ),
            cpu: (
                cpus.clone().min().unwrap_or_default(),
                cpus.max().unwrap_or_default(),
            ),
        }
    });
    let mut run = runs.swap_remove(0);
    run.spread = spread;
    run.process.steal_permille = steal;
    run.process.wall = wall;
    run.process.cpu = cpu;
    run.process.sys = sys;
    run.process.max_rss_kib = rss;
    run.inner_ms = inner;
    run.server_cpu = server;
    run.max_in_flight = max_in_flight;
    run.overshoot_us = overshoot;
    run.complete_us = complete;
    run.turnaround_us = turnaround;
    run
}

/// The latency overshoot figures of a run, for a table.
fn overshoot_text(run: &Run) -> String {
    run.overshoot_us
        .map_or("?".into(), |(p50, mean, max)| format!("{p50}/{mean}/{max} µs"))
}

/// The answer-to-next-request figures of a run, for a table.
fn turnaround_text(run: &Run) -> String {
    run.turnaround_us
        .map_or("?".into(), |(p50, mean)| format!("{p50}/{mean} µs"))
}

/// [`rounds_overhead_ms`] for a table.
fn rounds_overhead_text(run: &Run) -> String {
    rounds_overhead_ms(run).map_or("?".into(), |ms| format!("{ms:.0} ms"))
}

/// `time` spread over `parts` parts, in µs each.
fn per_part_us(time: Duration, parts: u32) -> f64 {
    time.as_secs_f64() * 1e6 / f64::from(parts.max(1))
}

fn cpu_per_part_us(run: &Run) -> f64 {
    per_part_us(run.process.cpu, run.parts)
}

fn sys_per_part_us(run: &Run) -> f64 {
    per_part_us(run.process.sys, run.parts)
}

impl Bench {
    fn source_key(parts: u32) -> String {
        format!("bench/object-{parts}")
    }

    /// Creates the virtual source objects of `parts` parts in both clouds.
    fn create_source(&self, parts: u32) -> Result<(), String> {
        for bucket in [COS_SRC, OSS_SRC] {
            let body = json!({
                "bucket": bucket,
                "key": Bench::source_key(parts),
                "size": u64::from(parts) * PART_SIZE,
                "seed": 7,
                "headers": {"content-type": "application/x-bench"},
            });
            admin_call(&self.admin, "POST", "/objects", Some(&body))?;
        }
        Ok(())
    }

    /// Injects `latency_ms` on operation `op` alone (an emulator operation name) and resets the
    /// emulator's statistics.
    fn set_latency(&self, op: &str, latency_ms: u64) -> Result<(), String> {
        let plan = json!({"ops": {op: {"latency_ms": latency_ms}}, "overwrite": null});
        admin_call(&self.admin, "PUT", "/faults", Some(&plan))?;
        admin_call(&self.admin, "POST", "/stats/reset", None)?;
        Ok(())
    }

    fn next_dir(&mut self) -> Result<PathBuf, String> {
        self.counter += 1;
        let dir = self.scratch.join(format!("run-{}", self.counter));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(dir)
    }

    fn partcopy_command(
        &self,
        cos: bool,
        parts: u32,
        concurrency: u32,
        dst_key: &str,
        checkpoint: &Path,
    ) -> Command {
        let mut cmd = Command::new(&self.partcopy);
        cmd.arg("cp");
        if cos {
            cmd.arg(format!("cos://{COS_SRC}/{}", Bench::source_key(parts)))
                .arg(format!("cos://{COS_DST}/{dst_key}"))
                .args(["--src-region", COS_SRC_REGION, "--dst-region", COS_DST_REGION])
                .env("COS_SECRET_ID", &self.cos_key.0)
                .env("COS_SECRET_KEY", &self.cos_key.1);
        } else {
            cmd.arg(format!("oss://{OSS_SRC}/{}", Bench::source_key(parts)))
                .arg(format!("oss://{OSS_DST}/{dst_key}"))
                .args(["--region", OSS_REGION])
                .env("OSS_ACCESS_KEY_ID", &self.oss_key.0)
                .env("OSS_ACCESS_KEY_SECRET", &self.oss_key.1);
        }
        cmd.args(["--endpoint", &self.endpoint])
            .args([
                "--part-size",
                &PART_SIZE.to_string(),
                "--threshold",
                &PART_SIZE.to_string(),
            ])
            .args(["-j", &concurrency.to_string()])
            .arg("--checkpoint-dir")
            .arg(checkpoint)
            .args(["--json", "--no-progress"]);
        cmd
    }

    fn partcopy_cos(&mut self, parts: u32, concurrency: u32, latency_ms: u64) -> Result<Run, String> {
        self.partcopy(true, parts, concurrency, latency_ms)
    }

    fn partcopy_oss(&mut self, parts: u32, concurrency: u32, latency_ms: u64) -> Result<Run, String> {
        self.partcopy(false, parts, concurrency, latency_ms)
    }

    /// Runs the same partcopy copy `repeat` times; each figure of the result is the median.
    fn partcopy(&mut self, cos: bool, parts: u32, concurrency: u32, latency_ms: u64) -> Result<Run, String> {
        let mut runs = Vec::new();
        for _ in 0..self.repeat.max(1) {
            runs.push(self.partcopy_once(cos, parts, concurrency, latency_ms)?);
        }
        Ok(median_run(runs))
    }

    fn partcopy_once(
        &mut self,
        cos: bool,
        parts: u32,
        concurrency: u32,
        latency_ms: u64,
    ) -> Result<Run, String> {
        let what = format!(
            "partcopy {} {parts} parts at concurrency {concurrency}",
            if cos { "COS" } else { "OSS" }
        );
        eprintln!("bench: {what}");
        self.set_latency("UploadPartCopy", latency_ms)?;
        let dir = self.next_dir()?;
        let dst_key = format!("bench/copy-{}", self.counter);
        let mut cmd = self.partcopy_command(cos, parts, concurrency, &dst_key, &dir);
        let server_before = process_cpu(self.emulator_pid);
        let (process, stdout) = measure(&mut cmd, &what)?;
        let server_cpu = process_cpu(self.emulator_pid)
            .zip(server_before)
            .map(|(a, b)| a.saturating_sub(b));
        let summary: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        if !process.success || summary["status"] != "copied" {
            return Err(format!("{what} failed: {}", stdout.trim()));
        }
        let (src, dst) = if cos {
            (COS_SRC, COS_DST)
        } else {
            (OSS_SRC, OSS_DST)
        };
        self.check_copy(src, &Bench::source_key(parts), dst, &dst_key, parts, &what)?;
        let stats = admin_call(&self.admin, "GET", "/stats", None)?;
        Ok(Run {
            parts,
            concurrency,
            process,
            inner_ms: summary["elapsed_ms"].as_u64(),
            requests: summary["requests"].as_u64(),
            max_in_flight: part_copies_in_flight(&stats),
            server_cpu,
            overshoot_us: overshoot_us(&stats),
            complete_us: complete_us(&stats),
            turnaround_us: turnaround_us(&stats),
            spread: None,
        })
    }

    /// One run of `exchange-floor`: `requests` HEADs at `concurrency`, each delayed by `latency`.
    fn floor_once(&mut self, requests: u32, concurrency: u32, latency: Duration) -> Result<Run, String> {
        let what = format!("exchange-floor {requests} requests at concurrency {concurrency}");
        eprintln!("bench: {what}");
        self.set_latency("HeadObject", latency.as_millis() as u64)?;
        let url = format!("{}/{COS_DST}/bench/floor", self.endpoint.trim_end_matches('/'));
        let mut cmd = Command::new(&self.floor);
        cmd.args([url, requests.to_string(), concurrency.to_string()]);
        let (process, stdout) = measure(&mut cmd, &what)?;
        let stats = admin_call(&self.admin, "GET", "/stats", None)?;
        admin_call(&self.admin, "DELETE", "/faults", None)?;
        let summary: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        if !process.success || summary["requests"].as_u64() != Some(u64::from(requests)) {
            return Err(format!("{what} failed: {}", stdout.trim()));
        }
        Ok(Run {
            parts: requests,
            concurrency,
            process,
            inner_ms: summary["elapsed_ms"].as_u64(),
            requests: Some(u64::from(requests)),
            max_in_flight: 0,
            server_cpu: None,
            overshoot_us: overshoot_us(&stats),
            complete_us: None,
            turnaround_us: turnaround_us(&stats),
            spread: None,
        })
    }

    /// The journal bytes of a copy of `parts` parts: the copy runs without latency and its Complete
    /// fails (500s until partcopy gives up), which leaves the journal in place to be measured.
    fn journal_bytes(&mut self, parts: u32) -> Result<u64, String> {
        eprintln!("bench: journal size of {parts} parts (Complete made to fail)");
        let plan = json!({"ops": {"CompleteMultipartUpload": {"internal_error": 1.0}}, "overwrite": null});
        admin_call(&self.admin, "PUT", "/faults", Some(&plan))?;
        let dir = self.next_dir()?;
        let dst_key = format!("bench/journal-{}", self.counter);
        let output = self
            .partcopy_command(true, parts, 64, &dst_key, &dir)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run partcopy: {e}"))?;
        admin_call(&self.admin, "DELETE", "/faults", None)?;
        if output.status.success() {
            return Err("partcopy succeeded although every Complete failed".into());
        }
        let mut total = 0;
        for entry in std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
        {
            total += entry.metadata().map_or(0, |m| m.len());
        }
        if total == 0 {
            return Err(format!("no journal left in {}", dir.display()));
        }
        Ok(total)
    }

    fn peer(
        &mut self,
        python: &Python,
        which: &str,
        parts: u32,
        concurrency: u32,
        latency_ms: u64,
    ) -> Result<Run, String> {
        let what = format!("{which} SDK copy helper, {parts} parts at concurrency {concurrency}");
        eprintln!("bench: {what}");
        self.set_latency("UploadPartCopy", latency_ms)?;
        self.counter += 1;
        let dst_key = format!("bench/peer-{}", self.counter);
        let (src, src_region, dst) = if which == "cos" {
            (COS_SRC, COS_SRC_REGION, COS_DST)
        } else {
            (OSS_SRC, OSS_REGION, OSS_DST)
        };
        let script = workspace_root().join("xtask").join("bench").join("peers.py");
        let mut cmd = python.command();
        cmd.arg(&script)
            .args([
                which,
                &self.admin,
                src,
                src_region,
                &Bench::source_key(parts),
                dst,
                &dst_key,
            ])
            .arg(PART_SIZE.to_string())
            .arg(concurrency.to_string());
        let server_before = process_cpu(self.emulator_pid);
        let (process, stdout) = measure(&mut cmd, &what)?;
        let server_cpu = process_cpu(self.emulator_pid)
            .zip(server_before)
            .map(|(a, b)| a.saturating_sub(b));
        if !process.success {
            return Err(format!("{what} failed: {}", stdout.trim()));
        }
        self.check_copy(src, &Bench::source_key(parts), dst, &dst_key, parts, &what)?;
        let stats = admin_call(&self.admin, "GET", "/stats", None)?;
        let requests = stats["requests"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum::<u64>());
        let summary: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        Ok(Run {
            parts,
            concurrency,
            process,
            inner_ms: summary["elapsed_ms"].as_u64(),
            requests,
            max_in_flight: part_copies_in_flight(&stats),
            server_cpu,
            overshoot_us: overshoot_us(&stats),
            complete_us: complete_us(&stats),
            turnaround_us: turnaround_us(&stats),
            spread: None,
        })
    }

    /// Fails unless the destination holds the source's content in `parts` parts.
    fn check_copy(
        &self,
        src: &str,
        src_key: &str,
        dst: &str,
        dst_key: &str,
        parts: u32,
        what: &str,
    ) -> Result<(), String> {
        let same = admin_call(
            &self.admin,
            "POST",
            "/same-content",
            Some(&json!({"a": {"bucket": src, "key": src_key}, "b": {"bucket": dst, "key": dst_key}})),
        )?;
        if same["same"] != true {
            return Err(format!("{what}: the copy's content differs from the source"));
        }
        let path = format!("/object?bucket={dst}&key={}", dst_key.replace('/', "%2F"));
        let info = admin_call(&self.admin, "GET", &path, None)?;
        let etag = info["etag"].as_str().unwrap_or_default();
        if !etag.trim_matches('"').ends_with(&format!("-{parts}")) {
            return Err(format!("{what}: expected a {parts}-part object, ETag {etag}"));
        }
        Ok(())
    }

    /// Median round trip of an unsigned HEAD (answered 403) on one loopback connection.
    fn round_trip(&self) -> Result<Duration, String> {
        let host = self
            .endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let mut stream = TcpStream::connect(&host).map_err(|e| format!("cannot connect to {host}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let request = format!("HEAD /{COS_DST}/bench/none HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut samples = Vec::new();
        for _ in 0..41 {
            let start = Instant::now();
            stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("the emulator closed the connection".into());
                }
                if line == "\r\n" {
                    break;
                }
            }
            samples.push(start.elapsed());
        }
        samples.sort_unstable();
        Ok(samples[samples.len() / 2])
    }
}

/// CPU time (user+sys) a process has used so far, from `/proc/<pid>/stat` (Linux).
#[allow(unsafe_code)]
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .ok()
        .filter(|&t| t > 0)?;
    Some(Duration::from_micros(ticks * 1_000_000 / per_second))
}

/// The machine's stolen and total CPU time so far, in ticks, from `/proc/stat`.
fn host_cpu() -> Option<(u64, u64)> {
    parse_host_cpu(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// The `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq steal …; returns
/// (steal, the sum of the first eight).
fn parse_host_cpu(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    (ticks.len() == 8).then(|| (ticks[7], ticks.iter().sum()))
}

/// The stolen share of the CPU time between two `/proc/stat` readings, per mille.
fn steal_permille(before: Option<(u64, u64)>, after: Option<(u64, u64)>) -> Option<u64> {
    let ((steal0, total0), (steal1, total1)) = (before?, after?);
    let total = total1.checked_sub(total0).filter(|&t| t > 0)?;
    Some(steal1.saturating_sub(steal0) * 1000 / total)
}

fn steal_percent(run: &Run) -> String {
    run.process
        .steal_permille
        .map_or("?".into(), |p| format!("{}.{} %", p / 10, p % 10))
}

fn server_cpu_per_request_us(run: &Run) -> String {
    match (run.server_cpu, run.requests) {
        (Some(cpu), Some(requests)) if requests > 0 => {
            format!("{:.0} µs", cpu.as_secs_f64() * 1e6 / requests as f64)
        }
        _ => "?".into(),
    }
}

/// The injected latency's overshoot (median, mean, max, µs), from `/stats`.
fn overshoot_us(stats: &Value) -> Option<(u64, u64, u64)> {
    let delays = &stats["delays"];
    Some((
        delays["p50_overshoot_us"].as_u64()?,
        delays["mean_overshoot_us"].as_u64()?,
        delays["max_overshoot_us"].as_u64()?,
    ))
}

/// How long connections sat between an answer and their next request (median, mean, µs), from
/// `/stats`.
fn turnaround_us(stats: &Value) -> Option<(u64, u64)> {
    let turnaround = &stats["turnaround"];
    Some((turnaround["p50_us"].as_u64()?, turnaround["mean_us"].as_u64()?))
}

/// What the rounds of a copy spent beyond the latency, by the emulator's figures, in ms: the
/// ideal counts each of its ceil(parts / concurrency) rounds as exactly the latency, but each
/// request also waited its overshoot and, before it, the time between its predecessor's answer
/// and its own arrival (the means of both).
fn rounds_overhead_ms(run: &Run) -> Option<f64> {
    let (_, overshoot, _) = run.overshoot_us?;
    let (_, turnaround) = run.turnaround_us?;
    let rounds = run.parts.div_ceil(run.concurrency.max(1));
    Some(f64::from(rounds) * (overshoot + turnaround) as f64 / 1000.0)
}

/// How long the emulator took over the run's Complete, µs, from `/stats` (`None` if it had none).
fn complete_us(stats: &Value) -> Option<u64> {
    stats["max_service_us_by_op"]["CompleteMultipartUpload"].as_u64()
}

/// Peak in-flight Upload Part - Copy requests, from `/stats` (overall peak if not broken down).
fn part_copies_in_flight(stats: &Value) -> u64 {
    stats["max_in_flight_by_op"]["UploadPartCopy"]
        .as_u64()
        .or_else(|| stats["max_in_flight"].as_u64())
        .unwrap_or(0)
}

/// Runs `cmd` to completion and measures it: wall time from spawn to reaping, and the child's
/// resource usage from `wait4`. Returns its stdout; its stderr is shown only if it fails.
fn measure(cmd: &mut Command, what: &str) -> Result<(Measured, String), String> {
    let host_before = host_cpu();
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let stderr = child.stderr.take();
    let stderr_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            let _ = s.read_to_string(&mut text);
        }
        text
    });
    let mut stdout = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    let mut measured = reap(&child, start)?;
    measured.steal_permille = steal_permille(host_before, host_cpu());
    let stderr = stderr_thread.join().unwrap_or_default();
    if !measured.success {
        eprintln!("{what}: stderr:\n{stderr}");
    }
    Ok((measured, stdout))
}

/// Waits for `child` with `wait4`, which returns its rusage (CPU time, peak RSS) with its status.
#[allow(unsafe_code)]
fn reap(child: &Child, start: Instant) -> Result<Measured, String> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is a plain C struct for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, exclusive pointers for the call's duration; the
        // pid is our own child, which std has not reaped (we never call `Child::wait`).
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if got == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {error}"));
        }
    }
    let wall = start.elapsed();
    let tv =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Ok(Measured {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        sys: tv(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        steal_permille: None,
    })
}

/// Runs a command with its output shown only on failure.
fn run_quiet(cmd: &mut Command, what: &str) -> Result<(), String> {
    eprintln!("$ {what}");
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed with {}:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// One request to the emulator's admin API (`http://host:port`): the JSON answer.
fn admin_call(admin: &str, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let host = admin.trim_start_matches("http://").trim_end_matches('/');
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(host).map_err(|e| format!("admin {host}: {e}"))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("admin {method} {path}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("admin {method} {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("admin {method} {path}: malformed answer"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked")
    });
    let payload = if chunked { dechunk(rest) } else { rest.to_string() };
    if !(200..300).contains(&status) {
        return Err(format!("admin {method} {path}: {status} {payload}"));
    }
    if payload.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&payload).map_err(|e| format!("admin {method} {path}: {e}: {payload}"))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn repeat_count_is_read_and_checked() {
        assert_eq!(Settings::from_args(&args(&[])).unwrap().repeat, 3);
        assert_eq!(Settings::from_args(&args(&["--smoke"])).unwrap().repeat, 1);
        assert_eq!(
            Settings::from_args(&args(&["--repeat=5", "--smoke"]))
                .unwrap()
                .repeat,
            5
        );
        assert_eq!(
            Settings::from_args(&args(&["--smoke", "--repeat=2"]))
                .unwrap()
                .repeat,
            2
        );
        for bad in ["--repeat=0", "--repeat=x", "--repeat="] {
            let error = Settings::from_args(&args(&[bad])).err().unwrap();
            assert!(error.contains("whole number"), "{bad}: {error}");
        }
        assert!(Settings::from_args(&args(&["--fast"]))
            .err()
            .unwrap()
            .contains("--repeat=N"));
    }

    #[test]
    fn host_steal_is_the_stolen_share_between_two_readings() {
        let before = "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n";
        let after = "cpu  160 0 80 1505 10 0 10 235 7 0\ncpu0 80 0 40 750 5 0 5 118 3 0\n";
        assert_eq!(parse_host_cpu(before), Some((35, 1000)));
        assert_eq!(parse_host_cpu(after), Some((235, 2000)));
        // 200 of the 1,000 ticks between the readings were stolen.
        assert_eq!(
            steal_permille(parse_host_cpu(before), parse_host_cpu(after)),
            Some(200)
        );
        assert_eq!(steal_permille(parse_host_cpu(after), parse_host_cpu(after)), None);
        assert_eq!(parse_host_cpu("cpu  1 2 3\n"), None, "too few fields");
        assert_eq!(parse_host_cpu("intr 5\n"), None);
    }

    fn run(wall_ms: u64, cpu_ms: u64, rss: u64, inner: Option<u64>) -> Run {
        Run {
            parts: 10,
            concurrency: 2,
            process: Measured {
                wall: Duration::from_millis(wall_ms),
                cpu: Duration::from_millis(cpu_ms),
                sys: Duration::from_millis(cpu_ms / 2),
                max_rss_kib: rss,
                success: true,
                steal_permille: Some(cpu_ms * 10),
            },
            inner_ms: inner,
            requests: Some(14),
            max_in_flight: 2,
            server_cpu: Some(Duration::from_millis(cpu_ms * 2)),
            overshoot_us: Some((wall_ms, cpu_ms, rss)),
            complete_us: Some(wall_ms * 100),
            turnaround_us: Some((cpu_ms * 3, wall_ms * 3)),
            spread: None,
        }
    }

    #[test]
    fn the_rounds_overhead_is_rounds_times_mean_overshoot_and_turnaround() {
        let mut r = run(10, 5, 700, None);
        // 10 parts at concurrency 2: 5 rounds of (200 + 300) µs.
        r.overshoot_us = Some((150, 200, 900));
        r.turnaround_us = Some((250, 300));
        assert_eq!(rounds_overhead_ms(&r), Some(2.5));
        r.concurrency = 3; // ceil(10 / 3) = 4 rounds
        assert_eq!(rounds_overhead_ms(&r), Some(2.0));
        assert_eq!(rounds_overhead_text(&r), "2 ms");
        r.turnaround_us = None;
        assert_eq!(rounds_overhead_ms(&r), None, "an old emulator without the figure");
        assert_eq!(rounds_overhead_text(&r), "?");
    }

    #[test]
    fn each_figure_of_a_repeated_run_is_its_own_median() {
        let m = median_run(vec![
            run(30, 5, 900, Some(29)),
            run(10, 9, 700, Some(9)),
            run(20, 7, 800, Some(19)),
        ]);
        assert_eq!(m.process.wall, Duration::from_millis(20));
        assert_eq!(m.process.cpu, Duration::from_millis(7));
        assert_eq!(m.process.sys, Duration::from_millis(3));
        assert_eq!(m.process.max_rss_kib, 800);
        assert_eq!(m.inner_ms, Some(19));
        assert_eq!(m.server_cpu, Some(Duration::from_millis(14)));
        assert_eq!(m.overshoot_us, Some((20, 7, 800)));
        assert_eq!(m.complete_us, Some(2_000));
        assert_eq!(m.turnaround_us, Some((21, 60)));
        assert_eq!(m.process.steal_permille, Some(70));
        // The spread is the least and most of the runs', whichever run each came from.
        let ms = Duration::from_millis;
        assert_eq!(
            m.spread,
            Some(Spread {
                wall: (ms(10), ms(30)),
                cpu: (ms(5), ms(9)),
            })
        );
        // 10 parts, an ideal of 20 ms: wall/ideal 0.5–1.5, CPU 500–900 µs per part.
        assert_eq!(spread_text(&m, ms(20)), "0.500–1.500, 500.0–900.0 µs");
        // One run has no spread to show.
        let single = median_run(vec![run(5, 5, 5, None)]);
        assert_eq!(single.spread, None);
        assert_eq!(spread_text(&single, ms(20)), "–");
        // A figure missing from any run is missing from the median.
        let m = median_run(vec![run(1, 1, 1, None), run(2, 2, 2, Some(2))]);
        assert_eq!(m.inner_ms, None);
        assert_eq!(m.process.wall, Duration::from_millis(2));
    }
}
