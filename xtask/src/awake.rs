//! Keeping one CPU from idling while a measured process runs on it (Linux).
//!
//! On a virtual machine, an idle CPU halts and gives its physical core back to the host; the next
//! wake-up — a reply arriving — finds the caches cold and pays the hypervisor's exit and entry. A
//! process that sleeps between replies is charged that cost per wake-up as CPU time of its own,
//! the more so the larger the code it runs per reply. To tell that cost from the process's own
//! work, the bench runs the process pinned to one CPU ([`pin_to`]) twice: once as it is, once with
//! a [`Spinner`] there — a thread of the lowest priority (`SCHED_IDLE`) that only runs when nothing
//! else wants the CPU, so the CPU never halts, and that yields to the process at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// The CPU the bench pins measured processes to: the last one this process may run on, when there
/// are at least two (the emulator keeps the others).
pub fn measuring_cpu() -> Option<usize> {
    let cpus = allowed_cpus().ok()?;
    if cpus.len() < 2 {
        return None;
    }
    cpus.last().copied()
}

/// The CPUs this process may run on.
#[allow(unsafe_code)]
fn allowed_cpus() -> std::io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, exclusive cpu_set_t of the size passed.
    let got = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if got != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET reads the set within its bounds (CPU_SETSIZE).
    Ok((0..libc::CPU_SETSIZE as usize)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Restricts the calling thread (or, before `exec`, the process to be) to `cpu`.
#[allow(unsafe_code)]
fn set_affinity(cpu: usize) -> std::io::Result<()> {
    // SAFETY: as in `allowed_cpus`; CPU_SET writes within the set's bounds for cpu < CPU_SETSIZE.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(std::io::Error::other(format!("no CPU {cpu}")));
    }
    // SAFETY: see above.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    let got = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if got == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes `cmd`'s process run on `cpu` only (its threads inherit it).
#[allow(unsafe_code)]
pub fn pin_to(cmd: &mut std::process::Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only makes the
    // sched_setaffinity system call, which is async-signal-safe; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || set_affinity(cpu));
    }
}

/// A thread that keeps one CPU busy at the lowest priority until dropped.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts spinning on `cpu` under `SCHED_IDLE`.
    ///
    /// # Errors
    /// When the thread cannot be pinned or given the idle policy (it is then not started).
    pub fn start(cpu: usize) -> Result<Spinner, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, started) = mpsc::channel();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("bench-spinner".into())
            .spawn(move || {
                let set_up = set_affinity(cpu).and_then(|()| idle_policy());
                let ok = set_up.is_ok();
                let _ = ready.send(set_up);
                while ok && !flag.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
            .map_err(|e| format!("cannot start the spinner thread: {e}"))?;
        let spinner = Spinner {
            stop,
            thread: Some(thread),
        };
        match started.recv() {
            Ok(Ok(())) => Ok(spinner),
            Ok(Err(e)) => Err(format!("cannot keep CPU {cpu} awake: {e}")),
            Err(_) => Err("the spinner thread ended before it started".into()),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Gives the calling thread the `SCHED_IDLE` policy: it runs only when the CPU has nothing else.
#[allow(unsafe_code)]
fn idle_policy() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param for the call's duration; 0 names the calling thread.
    let got = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if got == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spinner_starts_on_an_allowed_cpu_and_stops_when_dropped() {
        let cpu = *allowed_cpus().unwrap().last().unwrap();
        let spinner = Spinner::start(cpu).unwrap();
        drop(spinner);
        assert!(Spinner::start(libc::CPU_SETSIZE as usize + 1).is_err());
    }
}
