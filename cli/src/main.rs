//! `partcopy`, the command-line tool: copies objects server-side on COS and OSS at any size.
//!
//! This binary parses arguments, loads credentials from the environment and reports to people; the
//! copy logic lives in `partcopy-core`, the wire format in `partcopy-protocol`.

fn main() {
    eprintln!("partcopy: not implemented yet");
    std::process::exit(2);
}
