//! The `partcopy-emulator` binary itself, as the benchmark and the demo run it.

/// The binary's allocator must not ask for transparent huge pages: on the 2-core VMs the project
/// runs on, the first touch of each 2 MiB page took ≈5 ms (the host backs guest memory lazily), a
/// stall of the worker thread in the middle of whatever request it was serving — the emulator's
/// Complete of 10,000 parts took 10–61 ms instead of 7–12 ms. mimalloc `madvise`s its arenas for
/// them unless built with its `no_thp` feature.
///
/// Checked where the kernel gives huge pages only to memory that asks (`madvise`, the usual
/// default); with `always` or `never` the allocator's choice makes no difference, and the test
/// says so and checks nothing.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_uses_no_transparent_huge_pages() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};

    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if !mode.contains("[madvise]") {
        eprintln!(
            "transparent huge pages are not in madvise mode here ({}): nothing to check",
            mode.trim()
        );
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_partcopy-emulator"))
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(["--bucket", "cos:thp-1250000000:ap-guangzhou"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the emulator binary starts");
    let pid = child.id();
    let mut endpoint = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.expect("the emulator's output");
        if let Some(url) = line.strip_prefix("endpoint http://") {
            endpoint = Some(url.to_string());
        }
        if line == "ready" {
            break;
        }
    }
    let endpoint = endpoint.expect("the emulator names its endpoint");

    // A request with a 4 MiB body (unsigned: refused once it has been read whole) makes the
    // emulator allocate a few MiB, as a Complete of tens of thousands of parts does.
    let body = vec![b'x'; 4 << 20];
    let mut stream = TcpStream::connect(&endpoint).expect("connects");
    let head = format!(
        "POST /thp-1250000000/key?uploadId=1 HTTP/1.1\r\nHost: {endpoint}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("writes the head");
    stream.write_all(&body).expect("writes the body");
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).expect("reads the answer");
    assert_eq!(&answer, b"HTTP/1.1 403", "an unsigned request is refused");

    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(!smaps.is_empty(), "cannot read the emulator's /proc/{pid}/smaps");
    let huge_kib: u64 = smaps
        .lines()
        .filter_map(|line| line.strip_prefix("AnonHugePages:"))
        .filter_map(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum();
    assert_eq!(
        huge_kib, 0,
        "the emulator holds {huge_kib} KiB in transparent huge pages"
    );
}
