//! Where the driver persists a job's checkpoint records: the [`Journal`] trait and [`FileJournal`].
//!
//! # The file journal's guarantee
//! A [`FileJournal`] keeps one file per copy, in core's record format
//! ([`partcopy_core::checkpoint`]). A [`Record::Header`] (a multipart upload started) replaces the
//! file atomically: it is written to a temporary file, `fsync`ed, renamed over the journal and the
//! directory is `fsync`ed, all before the driver sends anything for that upload. The
//! [`Record::Part`]s the driver hands over in one turn of its loop are gathered in memory and
//! appended with one `write` when the driver is about to wait ([`Journal::idle`]) — microseconds
//! later, with no waiting in between — so a crash of the *process* loses at most the parts of
//! that turn. They reach the disk with `fdatasync` in batches: after
//! [`FileJournal::BATCH_RECORDS`] records, or when the driver has nothing else to do and
//! [`FileJournal::BATCH_INTERVAL`] has passed since the last sync, before the driver sends
//! Complete ([`Journal::sync`]), and always when the job finishes. After an OS crash or power loss the journal may therefore lack up to one batch of
//! finished parts. That costs at most a re-copy of those parts:
//! on resume the job lists the upload's parts and trusts the service over the journal, and a
//! torn final record is detected by its checksum and dropped. The file is created `0600` (it
//! names buckets, keys and an upload id; no secrets).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use partcopy_core::checkpoint::{decode_journal, encode, encode_into, JournalError, Record};

/// A sink for checkpoint records, called by the driver in the order the job emits them.
pub trait Journal: Send {
    /// Records `record`. It must be kept (at least in the OS) before the next [`Journal::idle`] or
    /// [`Journal::finish`] returns; a header must be kept before this returns, as the driver sends
    /// requests for its upload right after.
    ///
    /// # Errors
    /// When the record could not be written; the driver then cancels the job.
    fn append(&mut self, record: &Record) -> io::Result<()>;

    /// Called when the driver is about to wait for replies: records appended since the last call
    /// must be kept (in the OS at least) before this returns; a chance to make a batch durable.
    ///
    /// # Errors
    /// When syncing failed.
    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Makes every record appended so far durable now. The driver calls it before it sends
    /// Complete: a run stopped after that point then has every part on record, and the next run
    /// recognises the completed upload instead of copying the object again
    /// ([`partcopy_core::confirm`]).
    ///
    /// # Errors
    /// When writing or syncing failed.
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once when the job has finished: `succeeded` tells whether the copy is complete (the
    /// journal is then no longer needed and may be removed).
    ///
    /// # Errors
    /// When the final sync or the removal failed.
    fn finish(&mut self, succeeded: bool) -> io::Result<()> {
        let _ = succeeded;
        Ok(())
    }
}

/// A journal that keeps nothing, for jobs that are not resumable.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJournal;

impl Journal for NoJournal {
    fn append(&mut self, _record: &Record) -> io::Result<()> {
        Ok(())
    }
}

/// A journal that keeps records in memory, for tests and embedding.
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal {
    /// Every record appended, in order.
    pub records: Vec<Record>,
    /// Whether [`Journal::finish`] was called, and with what.
    pub finished: Option<bool>,
    /// How many records had been appended at each [`Journal::sync`].
    pub synced_at: Vec<usize>,
}

impl Journal for MemoryJournal {
    fn append(&mut self, record: &Record) -> io::Result<()> {
        self.records.push(record.clone());
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.synced_at.push(self.records.len());
        Ok(())
    }

    fn finish(&mut self, succeeded: bool) -> io::Result<()> {
        self.finished = Some(succeeded);
        Ok(())
    }
}

/// Why an existing journal file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Reading or truncating the file failed.
    #[error("cannot read checkpoint {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not a usable journal (damaged header, unknown version).
    #[error("checkpoint {path} is unusable: {source}")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: JournalError,
    },
}

/// An append-only journal file; see the [module documentation](self) for what it guarantees.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: Option<File>,
    /// Encoded part records not yet written to the file.
    pending: Vec<u8>,
    /// Records written (or pending) since the last sync.
    unsynced: usize,
    last_sync: Instant,
}

impl FileJournal {
    /// Records written between two syncs, at most.
    pub const BATCH_RECORDS: usize = 64;
    /// How long records may wait for a sync while the driver is idle.
    pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

    /// Opens the journal at `path`: returns it and the records of an earlier run, if the file
    /// exists and holds any. A torn or corrupt tail is cut off so later appends follow the last
    /// valid record. A missing file is not an error (a new copy).
    ///
    /// # Errors
    /// [`OpenError::Io`] when the file cannot be read or truncated, [`OpenError::Corrupt`] when its
    /// header is damaged (delete the file to start over).
    pub fn open(path: impl Into<PathBuf>) -> Result<(FileJournal, Vec<Record>), OpenError> {
        let path = path.into();
        let io_error = |source| OpenError::Io {
            path: path.clone(),
            source,
        };
        // A temporary header file left by a process killed while replacing the journal: the
        // journal itself is intact (the rename is atomic), the leftover is garbage.
        let _ = fs::remove_file(temp_path(&path));
        let records = match fs::read(&path) {
            Ok(bytes) => {
                let (records, valid) = decode_journal(&bytes).map_err(|source| OpenError::Corrupt {
                    path: path.clone(),
                    source,
                })?;
                let file = OpenOptions::new().append(true).open(&path).map_err(io_error)?;
                if valid < bytes.len() {
                    tracing::warn!(
                        path = %path.display(),
                        dropped = bytes.len() - valid,
                        "checkpoint ends in a torn record; dropping it"
                    );
                    file.set_len(valid as u64).map_err(io_error)?;
                    file.sync_data().map_err(io_error)?;
                }
                let journal = FileJournal {
                    path: path.clone(),
                    file: Some(file),
                    pending: Vec::new(),
                    unsynced: 0,
                    last_sync: Instant::now(),
                };
                return Ok((journal, records));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(e)),
        };
        Ok((
            FileJournal {
                path,
                file: None,
                pending: Vec::new(),
                unsynced: 0,
                last_sync: Instant::now(),
            },
            records,
        ))
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn replace_with_header(&mut self, bytes: &[u8]) -> io::Result<()> {
        let temp = temp_path(&self.path);
        let mut file = create_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &self.path)?;
        sync_parent(&self.path)?;
        self.file = Some(OpenOptions::new().append(true).open(&self.path)?);
        // Parts of an earlier upload have no place after the new header.
        self.pending.clear();
        self.unsynced = 0;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Writes the pending records with one `write`.
    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let file = self.file.as_mut().ok_or_else(no_header)?;
        let written = file.write_all(&self.pending);
        self.pending.clear();
        written
    }

    fn write_and_sync(&mut self) -> io::Result<()> {
        self.write_pending()?;
        if self.unsynced > 0 {
            if let Some(file) = &self.file {
                file.sync_data()?;
            }
            self.unsynced = 0;
        }
        self.last_sync = Instant::now();
        Ok(())
    }
}

impl Journal for FileJournal {
    fn append(&mut self, record: &Record) -> io::Result<()> {
        if let Record::Header(_) = record {
            return self.replace_with_header(&encode(record));
        }
        if self.file.is_none() {
            return Err(no_header());
        }
        encode_into(record, &mut self.pending);
        self.unsynced += 1;
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        if self.unsynced >= Self::BATCH_RECORDS
            || (self.unsynced > 0 && self.last_sync.elapsed() >= Self::BATCH_INTERVAL)
        {
            self.write_and_sync()
        } else {
            self.write_pending()
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        self.write_and_sync()
    }

    fn finish(&mut self, succeeded: bool) -> io::Result<()> {
        if succeeded {
            self.pending.clear();
            self.file = None;
            match fs::remove_file(&self.path) {
                Ok(()) => sync_parent(&self.path),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        } else {
            self.write_and_sync()
        }
    }
}

impl Drop for FileJournal {
    /// Writes records still pending (without a sync), so that dropping a journal never loses what
    /// was appended to it.
    fn drop(&mut self) {
        if let Err(error) = self.write_pending() {
            tracing::warn!(%error, path = %self.path.display(), "cannot write the last checkpoint records");
        }
    }
}

/// A part record came before any header: there is no upload to record it for.
fn no_header() -> io::Error {
    io::Error::other("checkpoint journal has no header record to append parts to")
}

/// Where a new header is written before it is renamed over the journal at `path`.
fn temp_path(path: &Path) -> PathBuf {
    let mut temp_name = path.file_name().unwrap_or_default().to_owned();
    temp_name.push(".tmp");
    path.with_file_name(temp_name)
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use partcopy_core::checkpoint::Header;

    fn header(upload: &str) -> Record {
        Record::Header(Header {
            source: "cos://a-1/k".into(),
            destination: "cos://b-1/k".into(),
            version_id: None,
            size: 100,
            etag: "\"e\"".into(),
            last_modified: None,
            upload_id: upload.into(),
            part_size: 10,
            initiated: None,
            crc64: None,
        })
    }

    fn part(n: u32) -> Record {
        Record::Part {
            number: n,
            etag: format!("\"p{n}\""),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("partcopy-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn records_survive_reopening_and_a_new_header_replaces_the_file() {
        let dir = temp_dir("reopen");
        let path = dir.join("job.ckpt");
        let (mut journal, old) = FileJournal::open(&path).unwrap();
        assert!(old.is_empty());
        assert!(journal.append(&part(1)).is_err(), "parts need a header first");
        journal.append(&header("u1")).unwrap();
        journal.append(&part(1)).unwrap();
        journal.append(&part(2)).unwrap();
        drop(journal);
        let (mut journal, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u1"), part(1), part(2)]);
        journal.append(&part(3)).unwrap();
        journal.append(&header("u2")).unwrap();
        journal.append(&part(1)).unwrap();
        journal.finish(false).unwrap();
        let (_, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u2"), part(1)]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn parts_of_one_turn_reach_the_file_together_at_idle() {
        let dir = temp_dir("idle");
        let path = dir.join("job.ckpt");
        let (mut journal, _) = FileJournal::open(&path).unwrap();
        journal.append(&header("u1")).unwrap();
        let header_len = fs::metadata(&path).unwrap().len();
        assert_eq!(
            header_len,
            encode(&header("u1")).len() as u64,
            "the header is written at once"
        );
        journal.append(&part(1)).unwrap();
        journal.append(&part(2)).unwrap();
        journal.idle().unwrap();
        let (_, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u1"), part(1), part(2)]);
        // Enough records for a batch: idle syncs them and the count starts again.
        for n in 3..3 + FileJournal::BATCH_RECORDS as u32 {
            journal.append(&part(n)).unwrap();
        }
        journal.idle().unwrap();
        assert_eq!(journal.unsynced, 0);
        journal.append(&part(1000)).unwrap();
        journal.finish(false).unwrap();
        let (_, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records.len(), 3 + FileJournal::BATCH_RECORDS + 1);
        assert_eq!(records.last(), Some(&part(1000)));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sync_writes_and_syncs_everything_appended() {
        let dir = temp_dir("sync");
        let path = dir.join("job.ckpt");
        let (mut journal, _) = FileJournal::open(&path).unwrap();
        journal.append(&header("u1")).unwrap();
        journal.append(&part(1)).unwrap();
        journal.append(&part(2)).unwrap();
        journal.sync().unwrap();
        assert_eq!(journal.unsynced, 0);
        assert!(journal.pending.is_empty());
        // On disk without a drop or a finish: a process killed now loses nothing.
        let (records, _) = decode_journal(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(records, vec![header("u1"), part(1), part(2)]);
        drop(journal);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_appends_continue_after_it() {
        let dir = temp_dir("torn");
        let path = dir.join("job.ckpt");
        let (mut journal, _) = FileJournal::open(&path).unwrap();
        journal.append(&header("u1")).unwrap();
        journal.append(&part(1)).unwrap();
        drop(journal);
        let mut bytes = fs::read(&path).unwrap();
        let torn = encode(&part(2));
        bytes.extend_from_slice(&torn[..torn.len() - 3]);
        fs::write(&path, &bytes).unwrap();
        let (mut journal, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u1"), part(1)]);
        journal.append(&part(3)).unwrap();
        drop(journal);
        let (_, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u1"), part(1), part(3)]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn success_removes_the_file_and_a_damaged_header_is_reported() {
        let dir = temp_dir("finish");
        let path = dir.join("job.ckpt");
        let (mut journal, _) = FileJournal::open(&path).unwrap();
        journal.append(&header("u1")).unwrap();
        journal.finish(true).unwrap();
        assert!(!path.exists());
        fs::write(&path, b"garbage that is not a journal").unwrap();
        assert!(matches!(FileJournal::open(&path), Err(OpenError::Corrupt { .. })));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_header_temp_file_left_by_a_killed_process_is_removed() {
        let dir = temp_dir("stale");
        let path = dir.join("job.ckpt");
        let (mut journal, _) = FileJournal::open(&path).unwrap();
        journal.append(&header("u1")).unwrap();
        drop(journal);
        fs::write(temp_path(&path), b"half a header").unwrap();
        let (_, records) = FileJournal::open(&path).unwrap();
        assert_eq!(records, vec![header("u1")]);
        assert!(!temp_path(&path).exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
