//! `exchange-floor <url> <count> <concurrency>`: the CPU floor of partcopy's HTTP exchanges.
//!
//! Sends `count` unsigned HEAD requests for `url` through [`HyperTransport`], configured and driven
//! the way the `partcopy` binary does it (one thread, a pooled connection per request in flight, at
//! most `concurrency` in flight, each response read whole), and prints one JSON line: the count, how
//! many answers had each status, and the time taken. It renders, signs and parses nothing, and keeps
//! no job or journal.
//!
//! `cargo xtask bench` runs it against the emulator with the same latency the part copies get, so
//! its CPU per request is what the HTTP stack and the kernel cost per exchange; partcopy's CPU per
//! part minus this is what the copy itself costs. It is a measuring tool, not part of partcopy.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use partcopy_transport_hyper::{HyperConfig, HyperTransport, Transport};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [url, count, concurrency] => url
            .parse::<http::Uri>()
            .ok()
            .zip(count.parse::<u64>().ok())
            .zip(concurrency.parse::<usize>().ok().filter(|&j| j > 0)),
        _ => None,
    };
    let Some(((url, count), concurrency)) = parsed else {
        eprintln!("usage: exchange-floor <http-url> <count> <concurrency ≥ 1>");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("exchange-floor: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A task, as the `partcopy` binary runs its copy (see its `main.rs`).
    let work = runtime.spawn(exchanges(url, count, concurrency));
    match runtime.block_on(work).map_err(|e| e.to_string()).and_then(|r| r) {
        Ok((statuses, elapsed)) => {
            let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("\"{s}\":{n}")).collect();
            println!(
                "{{\"requests\":{count},\"statuses\":{{{}}},\"elapsed_ms\":{}}}",
                statuses.join(","),
                elapsed.as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("exchange-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the exchanges; returns the count of answers per status and the time they took.
async fn exchanges(
    url: http::Uri,
    count: u64,
    concurrency: usize,
) -> Result<(BTreeMap<u16, u64>, Duration), String> {
    let mut config = HyperConfig::default();
    // As the CLI sets it: a pooled connection for every request of the window.
    config.pool_max_idle_per_host = config.pool_max_idle_per_host.max(concurrency + 8);
    let transport = Arc::new(HyperTransport::new(config).map_err(|e| e.to_string())?);
    let started = Instant::now();
    let mut answers = futures_util::stream::iter(0..count)
        .map(|_| {
            let request = http::Request::head(url.clone())
                .body(Bytes::new())
                .expect("a HEAD of a parsed URI is a valid request");
            transport.send(request)
        })
        .buffer_unordered(concurrency);
    let mut statuses = BTreeMap::new();
    while let Some(answer) = answers.next().await {
        let response = answer.map_err(|e| e.to_string())?;
        *statuses.entry(response.status().as_u16()).or_insert(0) += 1;
    }
    Ok((statuses, started.elapsed()))
}
