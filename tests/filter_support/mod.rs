//! Shared support of the filter compiler tests: the expression and packet
//! corpora, the link types they run on, and a driver for the C oracle
//! (`c-tests/filter_oracle.c`) linked against the system libpcap.
#![allow(dead_code)]

pub mod corpus;
pub mod packets;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ringcap::bpf::Insn;

/// The link types the differential tests cover.
pub const LINKTYPES: &[(i32, &str)] = &[
    (1, "EN10MB"),
    (113, "LINUX_SLL"),
    (276, "LINUX_SLL2"),
    (12, "RAW"),
    (228, "IPV4"),
    (229, "IPV6"),
    (0, "NULL"),
    (108, "LOOP"),
    (105, "IEEE802_11"),
    (127, "IEEE802_11_RADIO"),
    (119, "PRISM_HEADER"),
    (163, "IEEE802_11_RADIO_AVS"),
    (192, "PPI"),
];

/// The netmask every compile uses (so `ip broadcast` compiles).
pub const NETMASK: u32 = 0xffff_ff00;
pub const SNAPLEN: u32 = 262_144;

/// A program as the oracle writes it: "code jt jf k" tuples, comma-separated.
pub fn prog_text(p: &[Insn]) -> String {
    p.iter().map(|i| format!("{} {} {} {}", i.code, i.jt, i.jf, i.k)).collect::<Vec<_>>().join(",")
}

/// What one compile produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Program { len: usize, text: String },
    Error(String),
}

impl Outcome {
    pub fn of(r: &Result<Vec<Insn>, ringcap::Error>) -> Outcome {
        match r {
            Ok(p) => Outcome::Program { len: p.len(), text: prog_text(p) },
            Err(e) => Outcome::Error(e.message.clone()),
        }
    }

    /// Parse an oracle "OK"/"ERR" line.
    pub fn parse(line: &str) -> Outcome {
        let mut f = line.splitn(3, '\t');
        match f.next() {
            Some("OK") => {
                let len = f.next().unwrap_or("0").parse().unwrap_or(0);
                Outcome::Program { len, text: f.next().unwrap_or("").to_string() }
            }
            _ => Outcome::Error(unescape(line.split_once('\t').map_or("", |x| x.1))),
        }
    }
}

/// Undo the oracle's escaping of error texts (`\\n`, `\\\\`).
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The oracle program: runs batches of commands.
pub struct Oracle {
    pub exe: PathBuf,
}

impl Oracle {
    /// Feed `input` (newline-terminated commands) and return the output lines.
    pub fn run(&self, input: String) -> Vec<String> {
        let mut child = Command::new(&self.exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start filter oracle");
        let mut stdin = child.stdin.take().expect("oracle stdin");
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).expect("feed oracle"));
        let out = child.wait_with_output().expect("oracle output");
        writer.join().expect("oracle writer");
        assert!(out.status.success(), "oracle failed: {:?}", out.status);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }
}

/// A compile command line for the oracle.
pub fn compile_cmd(dlt: i32, optimize: bool, expr: &str) -> String {
    format!("C\t{dlt}\t{SNAPLEN}\t{}\t{NETMASK:#x}\t{expr}\n", optimize as u8)
}

/// Run `f` on a thread in a private network namespace when one can be made
/// (so host names that do not resolve fail at once instead of waiting for a
/// DNS server), else on a plain thread.
pub fn isolated<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(move || {
        let _ = ringcap::sys::ns::unshare_net();
        f()
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The repository's `tests/` directory.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Whether golden files and the corpus copy should be rewritten.
pub fn regenerate() -> bool {
    std::env::var_os("RINGCAP_REGEN").is_some()
}
