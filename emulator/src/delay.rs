//! A precise delay line for injected latency.
//!
//! tokio's timer wheel has 1 ms ticks and rounds deadlines up, so a 20 ms `sleep` really lasts 20.5 to
//! 22 ms — an error of up to 10% that a benchmark would charge to the client. The delay line instead
//! keeps the pending deadlines in a min-heap served by one dedicated thread, which sleeps on a condition
//! variable until the earliest one and then has its tokio oneshot fired; the handler awaits the receiver.
//! The thread asks the kernel for a 1 ns timer slack (Linux's default is 50 µs), so it wakes within a
//! few tens of µs of the deadline.
//!
//! The thread does not send on the oneshots itself: every wake from outside the runtime costs a
//! syscall to unpark it, one per request. It hands the batch of due senders to a dispatcher task in the
//! runtime instead, with a single wake, and the dispatcher fires them from inside.
//!
//! A delay never ends before its deadline: if the line has been stopped (the emulator was dropped
//! while connections still run), [`DelayLine::sleep_until`] falls back to tokio's timer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::oneshot;

/// One waiting request: its deadline, an arrival sequence number (ties fire in arrival order) and the
/// sender that wakes its handler.
struct Pending {
    deadline: Instant,
    seq: u64,
    wake: oneshot::Sender<u64>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Reverse<Pending>>,
    /// Due wake-ups with their rank (0 for the first the line fired), for the dispatcher.
    ready: Vec<(u64, oneshot::Sender<u64>)>,
    /// Requests registered so far (the tie-breaker of equal deadlines).
    seq: u64,
    stopped: bool,
}

#[derive(Default)]
struct Line {
    state: Mutex<State>,
    /// Wakes the thread: a new earliest deadline, or stop.
    changed: Condvar,
    /// Wakes the dispatcher: `ready` is not empty.
    ready: tokio::sync::Notify,
}

impl Line {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The delay line: a thread that wakes waiting handlers at their deadlines. Stopped by
/// [`DelayLine::stop`] or when dropped.
pub(crate) struct DelayLine {
    line: Arc<Line>,
    thread: Mutex<Option<JoinHandle<()>>>,
    dispatcher: Option<tokio::task::AbortHandle>,
}

impl DelayLine {
    /// Starts the line's thread, and its dispatcher on the current tokio runtime. Outside a runtime,
    /// or when the thread cannot be spawned, the line works in fallback mode (tokio's timer).
    pub(crate) fn start() -> DelayLine {
        let line = Arc::new(Line::default());
        let dispatcher = tokio::runtime::Handle::try_current()
            .ok()
            .map(|runtime| runtime.spawn(dispatch(Arc::clone(&line))).abort_handle());
        let worker = Arc::clone(&line);
        let thread = match dispatcher {
            Some(_) => std::thread::Builder::new()
                .name("emulator-delay".into())
                .spawn(move || run(&worker))
                .ok(),
            None => None,
        };
        if thread.is_none() {
            line.lock().stopped = true;
        }
        DelayLine {
            line,
            thread: Mutex::new(thread),
            dispatcher,
        }
    }

    /// Waits until `deadline` (never returns earlier).
    pub(crate) async fn sleep_until(&self, deadline: Instant) {
        if let Some(waiting) = self.register(deadline) {
            if waiting.await.is_ok() {
                return;
            }
        }
        // Stopped before the deadline: tokio's timer ends the wait (at once if it has passed).
        tokio::time::sleep_until(deadline.into()).await;
    }

    /// Queues a wake-up at `deadline`; the receiver gets the wake-up's rank (0 for the first the line
    /// fired). `None` once the line is stopped.
    fn register(&self, deadline: Instant) -> Option<oneshot::Receiver<u64>> {
        let mut state = self.line.lock();
        if state.stopped {
            return None;
        }
        let (wake, waiting) = oneshot::channel();
        let seq = state.seq;
        state.seq += 1;
        let earliest = state
            .heap
            .peek()
            .is_none_or(|Reverse(first)| deadline < first.deadline);
        state.heap.push(Reverse(Pending { deadline, seq, wake }));
        if earliest {
            // The thread sleeps until a later deadline (or none): make it look again.
            self.line.changed.notify_one();
        }
        Some(waiting)
    }

    /// Stops the thread and waits for it to end, and stops the dispatcher; waiting handlers fall
    /// back to tokio's timer.
    pub(crate) fn stop(&self) {
        self.line.lock().stopped = true;
        self.line.changed.notify_one();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        if let Some(dispatcher) = &self.dispatcher {
            dispatcher.abort();
        }
        // Senders handed over but not yet fired: dropping them sends their handlers to the fallback.
        self.line.lock().ready.clear();
    }

    /// Whether the thread is running (false once stopped).
    #[cfg(test)]
    pub(crate) fn running(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }
}

impl Drop for DelayLine {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asks for a 1 ns timer slack for the calling thread (Linux ≥ 4.6, `/proc/<tid>/timerslack_ns`; a
/// thread may always set its own). Best effort: elsewhere the default slack stays.
fn tighten_timer_slack() {
    let Ok(link) = std::fs::read_link("/proc/thread-self") else {
        return;
    };
    if let Some(tid) = link.file_name().and_then(|t| t.to_str()) {
        let _ = std::fs::write(format!("/proc/{tid}/timerslack_ns"), "1");
    }
}

/// The dispatcher task: fires the senders the thread hands over, from inside the runtime.
async fn dispatch(line: Arc<Line>) {
    let mut batch = Vec::new();
    loop {
        line.ready.notified().await;
        std::mem::swap(&mut batch, &mut line.lock().ready);
        for (rank, wake) in batch.drain(..) {
            // A handler that went away (client disconnected) has dropped its receiver.
            let _ = wake.send(rank);
        }
    }
}

/// The thread: sleep until the earliest deadline, hand every due sender to the dispatcher, repeat
/// until stopped.
fn run(line: &Line) {
    tighten_timer_slack();
    let mut fired = 0u64;
    let mut state = line.lock();
    while !state.stopped {
        let now = Instant::now();
        let mut handed = false;
        while state
            .heap
            .peek()
            .is_some_and(|Reverse(first)| first.deadline <= now)
        {
            if let Some(Reverse(pending)) = state.heap.pop() {
                state.ready.push((fired, pending.wake));
                fired += 1;
                handed = true;
            }
        }
        if handed {
            drop(state);
            // One wake for the whole batch (a stored permit if the dispatcher is busy).
            line.ready.notify_one();
            state = line.lock();
            continue;
        }
        state = match state.heap.peek() {
            Some(Reverse(first)) => {
                let wait = first.deadline.saturating_duration_since(now);
                line.changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => line.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
        };
    }
    // Dropping the pending senders sends the waiting handlers to the fallback timer.
    state.heap.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_before_the_deadline() {
        let line = DelayLine::start();
        for micros in [0u64, 1, 150, 900, 2_500] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            line.sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "woke early for {micros} µs");
        }
        // A deadline in the past ends at once.
        line.sleep_until(Instant::now() - Duration::from_millis(1)).await;
    }

    #[tokio::test]
    async fn deadlines_fire_in_order() {
        let line = DelayLine::start();
        let base = Instant::now() + Duration::from_millis(5);
        // Registered out of order; the two equal deadlines fire in registration order.
        let offsets_us = [900u64, 100, 500, 500, 0, 300];
        let waiting: Vec<_> = offsets_us
            .iter()
            .map(|&offset| line.register(base + Duration::from_micros(offset)).unwrap())
            .collect();
        let mut ranks = Vec::new();
        for rx in waiting {
            ranks.push(rx.await.unwrap());
        }
        assert!(Instant::now() >= base + Duration::from_micros(900));
        // Registration i fires (deadline, registration)-ordered: offsets 900, 100, 500, 500, 0, 300.
        assert_eq!(ranks, vec![5, 1, 3, 4, 0, 2]);
    }

    #[test]
    fn heap_pops_by_deadline_then_arrival() {
        let base = Instant::now();
        let mut heap = BinaryHeap::new();
        let mut receivers = Vec::new();
        for (seq, offset) in [(0u64, 3u64), (1, 1), (2, 3), (3, 0)] {
            let (wake, rx) = oneshot::channel();
            receivers.push(rx);
            heap.push(Reverse(Pending {
                deadline: base + Duration::from_millis(offset),
                seq,
                wake,
            }));
        }
        let popped: Vec<u64> = std::iter::from_fn(|| heap.pop().map(|Reverse(p)| p.seq)).collect();
        assert_eq!(popped, vec![3, 1, 0, 2]);
    }

    #[test]
    fn outside_a_runtime_the_line_falls_back_to_tokio_timers() {
        let line = DelayLine::start();
        assert!(!line.running(), "no thread without a runtime for the dispatcher");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_millis(3);
        runtime.block_on(line.sleep_until(deadline));
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn stop_ends_the_thread_and_waiters_still_wait() {
        let line = Arc::new(DelayLine::start());
        assert!(line.running());
        let deadline = Instant::now() + Duration::from_millis(30);
        let waiter = {
            let line = Arc::clone(&line);
            tokio::spawn(async move {
                line.sleep_until(deadline).await;
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        line.stop();
        assert!(!line.running(), "the thread was joined");
        // The pending waiter falls back to tokio's timer: still not early.
        assert!(waiter.await.unwrap() >= deadline);
        // After stopping, new waits use the fallback too.
        let deadline = Instant::now() + Duration::from_millis(2);
        line.sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
    }
}
