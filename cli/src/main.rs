//! `partcopy`, the command-line tool: copies objects server-side on COS and OSS at any size
//! (`cp`; every object under a prefix with `cp -r`), and lists and aborts the multipart uploads
//! copies leave (`uploads`, `abort`).
//!
//! This binary parses arguments, loads credentials from the environment and reports to people; the
//! copy logic lives in `partcopy-core`, the wire format in `partcopy-protocol`, sending in
//! `partcopy-transport-hyper`. Exit status: 0 done, 1 the copy (or the service) failed, 2 bad usage
//! or input, 130 interrupted (Ctrl-C).
//! Secrets are read from the environment and handed to the signer; they are never printed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The doc comments in `args` are clap's `--help` text, written for a terminal: `<bucket>` and bare
// URLs there are meant literally, not as HTML or links.
#![allow(rustdoc::invalid_html_tags, rustdoc::bare_urls)]

mod args;
mod compare;
mod credentials;
mod duration;
mod error;
#[cfg(test)]
mod input_props;
mod lock;
mod meta;
mod progress;
mod recursive;
mod run;
mod settings;
mod size;
mod summary;
mod tags;
mod uploads;
mod url;

use std::process::ExitCode;

use clap::Parser;
use partcopy_core::plan::{PartSpec, Plan};

use crate::args::{Cli, Command};
use crate::error::CliError;
use crate::run::{DryRun, Finished};
use crate::size::format_size;
use crate::summary::Summary;

fn main() -> ExitCode {
    // clap exits with status 2 on a usage error, 0 for --help and --version.
    let cli = Cli::try_parse().unwrap_or_else(|error| error.exit());
    init_logging(cli.verbose);
    match cli.command {
        Command::Cp(args) => cp(*args),
        Command::Uploads(args) => uploads::run_uploads(args),
        Command::Abort(args) => uploads::run_abort(args),
    }
}

/// `partcopy cp SRC DST`.
fn cp(args: args::CpArgs) -> ExitCode {
    let json = args.json;
    let settings = match settings::from_args(args) {
        Ok(settings) => settings,
        Err(error) => return fail(&error, None, json),
    };
    let mut summary = run::base_summary(&settings);
    let credentials = match credentials::load(settings.provider, |name| std::env::var(name).ok()) {
        Ok(credentials) => credentials,
        Err(error) => return fail(&error.into(), Some(summary), json),
    };
    if settings.recursive {
        return recursive::run(settings, credentials, json);
    }
    // One thread: the copy is many small request/response exchanges whose work (signing, parsing,
    // the job's bookkeeping) is microseconds each, so a second worker only adds cross-thread
    // wake-ups, work stealing and a second malloc arena. Measured with `cargo xtask bench`
    // (10,000 parts at -j64): ≈39 µs CPU per part on one thread against ≈61 µs on the default
    // multi-thread runtime, and ≈1 MiB less peak RSS.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                &CliError::Failed(format!("cannot start the async runtime: {e}")),
                Some(summary),
                json,
            )
        }
    };
    // The copy runs as a task, not as `block_on`'s own future: a task woken by a reply is polled
    // in the same turn of the scheduler, while a woken `block_on` future first costs the runtime a
    // non-blocking `epoll_wait` — about one extra system call for every second part at -j16.
    let copy = runtime.spawn(async move {
        let result = run::copy(&settings, credentials, &mut summary).await;
        (settings, summary, result)
    });
    let (settings, summary, result) = match runtime.block_on(copy) {
        Ok(done) => done,
        // A panic in the copy is a bug: let it end the process as it would have on this thread.
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => {
            return fail(
                &CliError::Failed(format!("the copy was cancelled: {join}")),
                None,
                json,
            )
        }
    };
    match result {
        Ok(Finished::Copied(summary) | Finished::Skipped(summary)) => {
            if json {
                println!("{}", summary.to_json());
            } else {
                println!("{}", summary.to_text());
            }
            ExitCode::from(error::EXIT_COPIED)
        }
        Ok(Finished::Planned(dry)) => {
            print_plan(&settings, &dry, summary, json);
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error, Some(summary), json),
    }
}

fn fail(error: &CliError, summary: Option<Summary>, json: bool) -> ExitCode {
    eprintln!("partcopy: {error}");
    if json {
        if let Some(mut summary) = summary {
            summary.status = "failed";
            summary.error = Some(error.to_string());
            println!("{}", summary.to_json());
        }
    }
    ExitCode::from(error.exit_code())
}

fn print_plan(settings: &settings::Settings, dry: &DryRun, mut summary: Summary, json: bool) {
    dry.describe(&mut summary);
    let range = |p: &PartSpec| format!("bytes={}-{}", p.range.first, p.range.last);
    // None for a single copy.
    let (first, last) = (dry.plan.parts().next(), dry.plan.parts().next_back());
    if json {
        println!("{}", summary.to_json());
        return;
    }
    println!("dry run: {} -> {}", settings.source.url, settings.destination.url);
    println!("size:      {} ({} bytes)", format_size(dry.size), dry.size);
    match &dry.plan {
        Plan::Single { .. } => println!("mode:      single (one PUT-Copy)"),
        Plan::Multipart { part_size, .. } => {
            println!("mode:      multipart");
            println!("part size: {} ({part_size} bytes)", format_size(*part_size));
            println!("parts:     {}", dry.plan.part_count());
            if let (Some(first), Some(last)) = (&first, &last) {
                println!("first:     part {} {}", first.number, range(first));
                println!("last:      part {} {}", last.number, range(last));
            }
        }
    }
    if let Some(class) = &dry.needs_restore {
        println!("restore:   needed first: the source is in {class} and not restored, so the copy would be refused");
    }
    match (dry.would_skip, settings.skip_identical) {
        (Some(true), false) => println!("skip:      yes, the destination exists (--no-overwrite)"),
        (Some(false), false) => println!("skip:      no, the destination was not found (--no-overwrite)"),
        (Some(true), true) => {
            println!("skip:      yes, the destination already holds the same object (--skip-identical)")
        }
        (Some(false), true) => {
            println!("skip:      no, the destination differs or cannot be shown the same (--skip-identical)")
        }
        (None, _) => {}
    }
}

/// Logs to stderr: `RUST_LOG` if set, otherwise warnings, raised by each `-v`.
///
/// `RUST_LOG` takes a comma-separated list of `level` and `target=level` directives (e.g.
/// `info,partcopy_transport_hyper=debug`); one that cannot be read is reported and the `-v`
/// default used. (`tracing-subscriber`'s `Targets` filter: its `EnvFilter`'s span and field
/// filters would bring a regular-expression engine into the binary for nothing a user of a copy
/// tool needs.)
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let from_env = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty());
    let filter = match from_env.as_deref().map(str::parse::<Targets>) {
        Some(Ok(filter)) => filter,
        Some(Err(error)) => {
            eprintln!(
                "partcopy: ignoring RUST_LOG ({error}); it takes directives like `info` or `partcopy=debug`"
            );
            Targets::new().with_default(default)
        }
        None => Targets::new().with_default(default),
    };
    let output = tracing_subscriber::fmt::layer()
        .with_writer(|| progress::LogWriter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(verbose >= 2);
    tracing_subscriber::registry().with(filter).with(output).init();
}
