//! Tidy checks: core stays sans-IO. `cargo test` runs them like any other test.

use std::path::Path;

/// The only crates core may depend on: none of them does I/O, reads a clock, draws random numbers
/// or brings HTTP types.
const ALLOWED: [&str; 2] = [
    // Error types.
    "thiserror",
    // Parsing HTTP dates (`Last-Modified`, `Date`) into `SystemTime` values: no dependencies, and
    // no clock read (`partcopy_core::confirm` compares two dates the service gave).
    "httpdate",
];

/// core depends on [`ALLOWED`] crates and nothing else (no http, tokio, clock or RNG crates).
#[test]
fn core_depends_only_on_pure_crates() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("read core/Cargo.toml");
    let mut section = String::new();
    let mut dependencies = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        // Normal and build dependencies, target-specific ones included; dev-dependencies are free.
        let counts = (section.ends_with("dependencies") && !section.ends_with("dev-dependencies"))
            || section.starts_with("dependencies.")
            || section.contains(".dependencies.");
        if counts && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            dependencies.push(name.to_string());
        }
        if section.starts_with("dependencies.") || section.contains(".dependencies.") {
            let name = section.rsplit('.').next().unwrap_or("").to_string();
            dependencies.push(name);
        }
    }
    dependencies.sort();
    dependencies.dedup();
    assert!(
        dependencies.iter().all(|d| ALLOWED.contains(&d.as_str())),
        "core must depend only on {ALLOWED:?}, found {dependencies:?}"
    );
}

/// No clock, file, network, thread or process access in core's sources.
#[test]
fn core_sources_do_no_io() {
    let forbidden = [
        "Instant::now",
        "SystemTime::now",
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
        "std::env",
    ];
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut offences = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source directory") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            for word in forbidden {
                if text.contains(word) {
                    offences.push(format!("{}: {word}", path.display()));
                }
            }
        }
    }
    assert!(offences.is_empty(), "{offences:#?}");
}
