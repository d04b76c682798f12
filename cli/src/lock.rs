//! One run at a time per checkpoint: two runs of the same checkpointed copy (an overlapping cron
//! job, a second terminal) would resume the same upload side by side, copy the same parts twice and
//! append to one journal from two processes.
//!
//! The lock is an advisory exclusive lock (`flock`) on `<checkpoint>.lock` beside the checkpoint,
//! taken without waiting before the run reads the checkpoint or sends anything. The operating
//! system releases it when the process ends, however it ends, so a crashed run never blocks the
//! next; the file itself is removed when the run finishes (a killed run's empty file is reused).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The held lock of one checkpoint; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct CheckpointLock {
    path: PathBuf,
    // Held for its lock, which closing the file releases.
    _file: File,
}

impl CheckpointLock {
    /// Locks the checkpoint at `checkpoint`, or fails at once when another run holds it.
    ///
    /// # Errors
    /// [`CliError::Failed`] naming the checkpoint when another process holds its lock, or when the
    /// lock file cannot be created or locked.
    pub fn acquire(checkpoint: &Path) -> Result<CheckpointLock, CliError> {
        let path = checkpoint.with_extension("lock");
        let cannot = |e: std::io::Error| {
            CliError::Failed(format!("cannot lock the checkpoint with {}: {e}", path.display()))
        };
        loop {
            let mut options = OpenOptions::new();
            options.create(true).truncate(false).write(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let file = options.open(&path).map_err(cannot)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(CliError::Failed(format!(
                        "another partcopy is running this copy (it holds {}): wait for it to end, \
                         or stop it, and run the command again to resume from the checkpoint",
                        path.display()
                    )))
                }
                Err(TryLockError::Error(e)) => return Err(cannot(e)),
            }
            // The run that held the lock may have removed the file between our open and our lock:
            // then this is a lock nobody else sees, so take the one at the path instead.
            if is_at(&file, &path) {
                return Ok(CheckpointLock { path, _file: file });
            }
        }
    }
}

impl Drop for CheckpointLock {
    fn drop(&mut self) {
        // Removed while still locked, so that no other run takes this file after us (it would
        // find it gone from the path and open a new one).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether `file` is the file now at `path`.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("partcopy-lock-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("abc.ckpt")
    }

    #[test]
    fn a_second_lock_of_one_checkpoint_fails_until_the_first_is_dropped() {
        let checkpoint = scratch("twice");
        let first = CheckpointLock::acquire(&checkpoint).unwrap();
        let lock_file = checkpoint.with_extension("lock");
        assert!(lock_file.exists());
        let error = CheckpointLock::acquire(&checkpoint).unwrap_err().to_string();
        assert!(error.contains("another partcopy is running this copy"), "{error}");
        drop(first);
        assert!(!lock_file.exists(), "removed when released");
        let again = CheckpointLock::acquire(&checkpoint).unwrap();
        drop(again);
    }

    #[test]
    fn a_left_over_lock_file_does_not_block() {
        let checkpoint = scratch("stale");
        let lock_file = checkpoint.with_extension("lock");
        std::fs::write(&lock_file, b"").unwrap();
        let lock = CheckpointLock::acquire(&checkpoint).unwrap();
        drop(lock);
        assert!(!lock_file.exists());
    }
}
