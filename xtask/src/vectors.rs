//! `cargo xtask vectors`: regenerate protocol's golden signing vectors with the vendors' own SDKs.
//!
//! Creates a Python venv under the target directory, installs the pinned SDKs from PyPI and runs
//! `protocol/testdata/vectors/generate.py`, which rewrites the JSON files beside it. Tests only read
//! the committed files; this needs Python 3 and network access to PyPI.

use std::process::Command;

use crate::paths::{target_dir, workspace_root};
use crate::sdk_check::ensure_sdks;

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

/// Installs the pinned SDKs (once, shared with `sdk-check`) and regenerates the vectors.
pub fn vectors() -> Result<(), String> {
    let root = workspace_root();
    let python = ensure_sdks(&target_dir(&root).join("sdk-check"))?;
    let dir = root.join("protocol").join("testdata").join("vectors");
    run(python.command().arg(dir.join("generate.py")).arg(&dir))?;
    eprintln!("vectors written to {}", dir.display());
    Ok(())
}
