//! Project automation for partcopy (`cargo xtask <command>`).
//!
//! Commands:
//! - `ci`: what `.ci/run` runs — formatting check, clippy with warnings denied, the test suite.
//! - `vectors`: regenerate protocol's golden signing vectors with the vendors' Python SDKs.
//!
//! It is not part of any shipped crate and has no dependencies of its own beyond std.

mod sdk_check;
mod vectors;

use std::process::{Command, ExitCode};

/// The steps of `cargo xtask ci`, in order; `.ci/run` runs the same.
const CI_STEPS: &[&[&str]] = &[
    &["cargo", "fmt", "--all", "--", "--check"],
    &[
        "cargo",
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ],
    &["cargo", "test", "--workspace"],
];

fn run(argv: &[&str]) -> Result<(), String> {
    eprintln!("$ {}", argv.join(" "));
    let status = Command::new(argv[0])
        .args(&argv[1..])
        .status()
        .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", argv.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    CI_STEPS.iter().try_for_each(|step| run(step))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("sdk-check") => sdk_check::sdk_check(),
        Some("vectors") => vectors::vectors(),
        _ => Err("usage: cargo xtask <ci|sdk-check|vectors>".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
