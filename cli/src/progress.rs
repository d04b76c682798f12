//! The progress bar on stderr: bytes, parts, rate and ETA (only when stderr is a terminal).

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressDrawTarget, ProgressStyle};
use partcopy_core::job::Progress;

/// An indicatif bar fed from the job's [`Progress`].
pub struct ProgressBar(indicatif::ProgressBar);

impl ProgressBar {
    /// A hidden-until-sized bar drawing on stderr.
    pub fn new() -> Self {
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {msg} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        ProgressBar(shown(Some(0), style))
    }

    /// Shows `progress`.
    pub fn update(&self, progress: &Progress) {
        self.0.set_length(progress.bytes_total);
        self.0.set_position(progress.bytes_done);
        if progress.parts_total > 0 {
            let mut msg = format!("parts {}/{}", progress.parts_done, progress.parts_total);
            if progress.resumed_parts > 0 {
                msg.push_str(&format!(" ({} resumed)", progress.resumed_parts));
            }
            if progress.retries > 0 {
                msg.push_str(&format!(", {} retries", progress.retries));
            }
            self.0.set_message(msg);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        removed(&self.0);
    }
}

/// The bar of a `cp --recursive` batch: objects finished and bytes copied so far, the parts of
/// the copies in flight included, with the rate. The total is unknown (the listing goes on as the
/// copies do), so it counts up.
pub struct BatchBar {
    bar: indicatif::ProgressBar,
    counts: Mutex<BatchCounts>,
}

/// What a [`BatchBar`] adds up.
#[derive(Default)]
struct BatchCounts {
    /// Bytes of the objects finished.
    finished_bytes: u64,
    /// Bytes done so far of each copy in flight, by object number.
    in_flight: std::collections::BTreeMap<u64, u64>,
    done: u64,
    failed: u64,
}

impl BatchBar {
    /// A counting bar drawing on stderr.
    pub fn new() -> Self {
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bytes} copied, {binary_bytes_per_sec}, {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        BatchBar {
            bar: shown(None, style),
            counts: Mutex::new(BatchCounts::default()),
        }
    }

    /// Object `n`'s copy has got as far as `progress`.
    pub fn update(&self, n: u64, progress: &Progress) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.in_flight.insert(n, progress.bytes_done);
        self.show(&counts);
    }

    /// Object `n`'s copy is over: `bytes` copied (0 when it failed or was skipped), `failed` or not.
    pub fn finished(&self, n: u64, bytes: u64, failed: bool) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.in_flight.remove(&n);
        counts.finished_bytes += bytes;
        counts.done += 1;
        counts.failed += u64::from(failed);
        self.show(&counts);
    }

    fn show(&self, counts: &BatchCounts) {
        let in_flight: u64 = counts.in_flight.values().sum();
        self.bar.set_position(counts.finished_bytes + in_flight);
        let mut msg = format!("objects {} done, {} copying", counts.done, counts.in_flight.len());
        if counts.failed > 0 {
            msg.push_str(&format!(", {} failed", counts.failed));
        }
        self.bar.set_message(msg);
    }

    /// Prints `line` on stdout above the bar.
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| println!("{line}"));
    }

    /// Prints `line` on stderr above the bar.
    pub fn eprintln(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        removed(&self.bar);
    }
}

/// A bar of `length` (`None`: counting up) in `style`, ticking on stderr, made the one log lines
/// are printed above.
fn shown(length: Option<u64>, style: ProgressStyle) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
    bar
}

/// Takes `bar` off the screen, and log lines go straight to stderr again.
fn removed(bar: &indicatif::ProgressBar) {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).take();
    bar.finish_and_clear();
}

/// The bar on screen, if any, so log lines can be printed above it instead of through it.
static ACTIVE: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Writes log lines to stderr, hiding the progress bar while each line is written.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match active {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
