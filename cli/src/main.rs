//! `partcopy`, the command-line tool: copies objects server-side on COS and OSS at any size.
//!
//! This binary parses arguments, loads credentials from the environment and reports to people; the
//! copy logic lives in `partcopy-core`, the wire format in `partcopy-protocol`, sending in
//! `partcopy-transport-hyper`. Exit status: 0 copied, 1 the copy failed, 2 bad usage or input.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Temporary, while the copy is not wired to core and protocol yet.
#![allow(dead_code)]

mod args;
mod credentials;
mod error;
mod meta;
mod settings;
mod size;
mod url;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::CliError;

fn main() -> ExitCode {
    // clap exits with status 2 on a usage error, 0 for --help and --version.
    let cli = Cli::try_parse().unwrap_or_else(|error| error.exit());
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("partcopy: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let Command::Cp(args) = cli.command;
    let settings = settings::from_args(args)?;
    let _credentials = credentials::load(settings.provider, |name| std::env::var(name).ok())?;
    Err(CliError::Failed(
        "copying is not wired up yet in this build".to_string(),
    ))
}

/// Logs to stderr: `RUST_LOG` if set, otherwise warnings, raised by each `-v`.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info,partcopy=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose >= 2)
        .init();
}
