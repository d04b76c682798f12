//! `cargo xtask vectors`: regenerate protocol's golden signing vectors with the vendors' own SDKs.
//!
//! Creates a Python venv under the target directory, installs the pinned SDKs from PyPI and runs
//! `protocol/testdata/vectors/generate.py`, which rewrites the JSON files beside it. Tests only read
//! the committed files; this needs Python 3 and network access to PyPI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The SDKs whose signing code makes the vectors, pinned.
pub const SDKS: &[&str] = &[
    "cos-python-sdk-v5==1.9.44",
    "oss2==2.19.1",
    "alibabacloud-oss-v2==1.4.1",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

/// Builds the venv (once) and regenerates the vectors.
pub fn vectors() -> Result<(), String> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let venv = target.join("vectors-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(SDKS))?;
    let dir = root.join("protocol").join("testdata").join("vectors");
    run(Command::new(&python).arg(dir.join("generate.py")).arg(&dir))?;
    eprintln!("vectors written to {}", dir.display());
    Ok(())
}
