//! `cargo xtask sdk-check`: proves the emulator faithful by driving it with the vendors' official
//! Python SDKs (cos-python-sdk-v5, oss2, alibabacloud-oss-v2).
//!
//! Steps: create a venv under the target directory (`python3 -m venv`; `pip install --target` where
//! venv is unavailable), pip-install the pinned SDKs (once per pin set), build and start `partcopy-emulator` on ephemeral ports with the buckets the
//! script asks for, run `emulator/sdk-check/check.py` against its admin API, then report the
//! emulator's peak resident memory and fail if it reached [`MAX_RSS_BYTES`]. Needs only python3 with
//! venv and pip; reads no stdin.

use crate::paths::{target_dir, workspace_root};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The SDK versions the check installs.
const PINS: &[&str] = &[
    "cos-python-sdk-v5==1.9.44",
    "oss2==2.19.1",
    "alibabacloud-oss-v2==1.4.1",
];

/// The emulator's peak RSS must stay below this (the 50 GiB copies included).
const MAX_RSS_BYTES: u64 = 100 * 1024 * 1024;

fn status(cmd: &mut Command, what: &str) -> Result<(), String> {
    eprintln!("$ {what}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed with {status}"))
    }
}

/// A Python interpreter with the SDKs importable: the interpreter and extra `PYTHONPATH`, if any.
pub(crate) struct Python {
    exe: PathBuf,
    path: Option<PathBuf>,
}

impl Python {
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.exe);
        if let Some(path) = &self.path {
            cmd.env("PYTHONPATH", path);
        }
        cmd
    }
}

/// Installs the pinned SDKs unless a marker says this pin set is there: into a venv
/// (`python3 -m venv`), or, where venv is unavailable (no ensurepip), with
/// `pip install --target` into a directory put on `PYTHONPATH`.
pub(crate) fn ensure_sdks(dir: &Path) -> Result<Python, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let marker_name = format!("partcopy-pins-{}", PINS.join(",").replace(['=', ','], "_"));
    let pip_args = ["-m", "pip", "install", "--disable-pip-version-check", "-q"];

    let venv = dir.join("venv");
    let venv_python = venv.join("bin").join("python");
    let venv_ready = venv_python.exists()
        || status(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            &format!("python3 -m venv {}", venv.display()),
        )
        .is_ok();
    if venv_ready && venv_python.exists() {
        let marker = venv.join(&marker_name);
        if !marker.exists() {
            status(
                Command::new(&venv_python)
                    .args(pip_args)
                    .args(PINS)
                    .env("PIP_NO_INPUT", "1"),
                &format!("pip install {}", PINS.join(" ")),
            )?;
            std::fs::write(&marker, PINS.join("\n"))
                .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
        }
        return Ok(Python {
            exe: venv_python,
            path: None,
        });
    }

    eprintln!("sdk-check: python3 -m venv is unavailable; installing with pip --target instead");
    let _ = std::fs::remove_dir_all(&venv);
    let site = dir.join("site");
    let marker = site.join(&marker_name);
    if !marker.exists() {
        status(
            Command::new("python3")
                .args(pip_args)
                .arg("--target")
                .arg(&site)
                .args(PINS)
                .env("PIP_NO_INPUT", "1"),
            &format!("pip install --target {} {}", site.display(), PINS.join(" ")),
        )?;
        std::fs::write(&marker, PINS.join("\n"))
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }
    Ok(Python {
        exe: PathBuf::from("python3"),
        path: Some(site),
    })
}

/// Kills the emulator when the check ends, however it ends.
pub(crate) struct Emulator(pub(crate) Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the emulator binary and returns it with its admin URL (read from its stdout).
pub(crate) fn start_emulator(binary: &Path, buckets: &[String]) -> Result<(Emulator, String), String> {
    let mut cmd = Command::new(binary);
    cmd.args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]);
    for bucket in buckets {
        cmd.args(["--bucket", bucket]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take();
    let emulator = Emulator(child);
    let mut admin = None;
    if let Some(stdout) = stdout {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading the emulator's output: {e}"))?;
            if line.contains("secret") {
                eprintln!("emulator: {} <redacted>", line.split(' ').next().unwrap_or(""));
            } else {
                eprintln!("emulator: {line}");
            }
            if let Some(url) = line.strip_prefix("admin ") {
                admin = Some(url.trim().to_string());
            }
            if line == "ready" {
                break;
            }
        }
    }
    let admin = admin.ok_or("the emulator exited before printing its admin endpoint")?;
    Ok((emulator, admin))
}

/// Peak resident set size of a process, from /proc (Linux).
pub(crate) fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs the whole check.
///
/// # Errors
/// A message naming the step that failed.
pub fn sdk_check() -> Result<(), String> {
    let root = workspace_root();
    let target = target_dir(&root);
    let python = ensure_sdks(&target.join("sdk-check"))?;
    let script = root.join("emulator").join("sdk-check").join("check.py");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    status(
        Command::new(&cargo)
            .args(["build", "-p", "partcopy-emulator", "--bin", "partcopy-emulator"])
            .current_dir(&root),
        "cargo build -p partcopy-emulator --bin partcopy-emulator",
    )?;
    let binary = target.join("debug").join("partcopy-emulator");

    let buckets = python
        .command()
        .arg(&script)
        .arg("--buckets")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !buckets.status.success() {
        return Err(format!("{} --buckets failed", script.display()));
    }
    let buckets: Vec<String> = String::from_utf8_lossy(&buckets.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();

    let (emulator, admin) = start_emulator(&binary, &buckets)?;
    let result = status(
        python
            .command()
            .arg(&script)
            .arg(&admin)
            .env("PYTHONUNBUFFERED", "1"),
        &format!("python {} {admin}", script.display()),
    );
    let rss = peak_rss(emulator.0.id());
    drop(emulator);
    result?;
    match rss {
        Some(bytes) => {
            eprintln!(
                "sdk-check: emulator peak RSS {:.1} MiB (limit {} MiB)",
                bytes as f64 / (1024.0 * 1024.0),
                MAX_RSS_BYTES / (1024 * 1024)
            );
            if bytes >= MAX_RSS_BYTES {
                return Err(format!("the emulator used {bytes} bytes of memory"));
            }
        }
        None => eprintln!("sdk-check: peak RSS unavailable (no /proc)"),
    }
    Ok(())
}
