//! Project automation for partcopy (`cargo xtask <command>`).
//!
//! Commands:
//! - `ci`: what `.ci/run` runs — formatting check, clippy and rustdoc with warnings denied, the
//!   test suite, the SDK check and a smoke of the benchmarks.
//! - `vectors`: regenerate protocol's golden signing vectors with the vendors' Python SDKs.
//! - `sdk-check`: drive the emulator with the vendors' Python SDKs.
//! - `bench`: benchmarks and the performance targets (`--smoke` for a quick run); see `bench.rs`.
//! - `demo`: the emulator in-process and the real `partcopy` binary copying 20 GiB, 3 GiB and 4 KiB.
//!
//! It is not part of any shipped crate; its only dependencies are the emulator and tokio (for `demo`).

mod bench;
mod demo;
mod paths;
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
    // Run with RUSTDOCFLAGS="-D warnings" (see `run`).
    &["cargo", "doc", "--workspace", "--no-deps"],
    &["cargo", "test", "--workspace"],
    &["cargo", "xtask", "sdk-check"],
    &["cargo", "xtask", "bench", "--smoke"],
];

fn run(argv: &[&str]) -> Result<(), String> {
    eprintln!("$ {}", argv.join(" "));
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]);
    if argv.get(1) == Some(&"doc") {
        command.env("RUSTDOCFLAGS", "-D warnings");
    }
    let status = command
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
        Some("demo") => demo::demo(),
        Some("bench") => bench::bench(&args[1..]),
        _ => Err("usage: cargo xtask <ci|bench|demo|sdk-check|vectors>".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CI_STEPS;

    /// `.ci/run` and `cargo xtask ci` must run the same cargo commands, in the same order.
    #[test]
    fn ci_script_and_ci_steps_agree() {
        let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/run")).unwrap();
        // Leading environment assignments (`RUSTDOCFLAGS="-D warnings" cargo doc …`) are `run`'s.
        let in_script: Vec<&str> = script
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.find("cargo ").map(|at| &line[at..]))
            .filter(|line| line.starts_with("cargo "))
            .collect();
        let in_steps: Vec<String> = CI_STEPS.iter().map(|step| step.join(" ")).collect();
        assert_eq!(
            in_script, in_steps,
            ".ci/run and CI_STEPS in xtask/src/main.rs differ"
        );
    }
}
