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

use crate::common::private_etc::PrivateEtc;
use crate::common::Against;

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

/// The oracle program (c-tests/filter_oracle.c) built against one library:
/// runs batches of commands.
pub struct Oracle {
    pub exe: PathBuf,
    pub against: Against,
}

impl Oracle {
    /// The oracle built against `against` (ringcap: run with its libpcap.so.0.8).
    pub fn new(against: Against) -> Oracle {
        Oracle { exe: crate::common::build_c("filter_oracle", against, &[]), against }
    }

    /// Feed `input` (newline-terminated commands) and return the output lines.
    pub fn run(&self, input: String) -> Vec<String> {
        self.run_cmd(crate::common::command(&self.exe, self.against), input)
    }

    /// As [`Oracle::run`], with the name databases of `etc` and no network.
    pub fn run_in(&self, etc: &PrivateEtc, input: String) -> Vec<String> {
        self.run_cmd(etc.command(&crate::common::command(&self.exe, self.against)), input)
    }

    fn run_cmd(&self, mut cmd: Command, input: String) -> Vec<String> {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start filter oracle");
        let mut stdin = child.stdin.take().expect("oracle stdin");
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).expect("feed oracle"));
        let out = child.wait_with_output().expect("oracle output");
        writer.join().expect("oracle writer");
        assert!(out.status.success(), "oracle against {:?} failed: {:?}", self.against, out.status);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }
}

/// A program as the oracle writes it, back into instructions.
pub fn parse_prog(text: &str) -> Vec<Insn> {
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let v: Vec<u32> = t.split(' ').map(|n| n.parse().expect("oracle program number")).collect();
            Insn { code: v[0] as u16, jt: v[1] as u8, jf: v[2] as u8, k: v[3] }
        })
        .collect()
}

/// A compile command line for the oracle.
pub fn compile_cmd(dlt: i32, optimize: bool, expr: &str) -> String {
    format!("C\t{dlt}\t{SNAPLEN}\t{}\t{NETMASK:#x}\t{expr}\n", optimize as u8)
}

/// Run `f` on a thread in a private network namespace, so that host names
/// that are not in /etc/hosts fail at once and no DNS query leaves the
/// machine (programs it starts inherit the namespace). Fails the test where
/// no namespace can be made: never resolves names unisolated.
pub fn isolated<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(move || {
        ringcap::sys::ns::unshare_net().expect("unshare(CLONE_NEWNET): run the tests as root or under `unshare -Urn`");
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

/// Whether `prog` can load a scratch-memory word on a path that has not
/// stored it: the Linux kernel's check (`check_load_and_stores` in
/// net/core/filter.c), which follows instructions in order with the set of
/// words stored so far, lets every jump narrow the set of its targets and
/// lets a jump's successor start from its own narrowed set. The kernel
/// refuses backward jumps; libpcap emits them (`protochain`), so the pass
/// is repeated until the sets settle. libpcap's interpreter leaves scratch
/// memory uninitialised: such a program's verdict depends on what the stack
/// held.
pub fn reads_unwritten_scratch(prog: &[Insn]) -> bool {
    use ringcap::bpf::insn::*;
    let n = prog.len();
    // Words surely stored on entry to each instruction, from the jumps to
    // it (all of them until one is seen).
    let mut masks = vec![u32::MAX; n + 1];
    loop {
        let before = masks.clone();
        let mut valid = 0u32;
        for (pc, i) in prog.iter().enumerate() {
            valid &= masks[pc];
            let bit = 1u32.checked_shl(i.k).unwrap_or(0);
            let target = |off: u32| (pc as u32).wrapping_add(1).wrapping_add(off) as usize;
            match (class(i.code), mode(i.code)) {
                (BPF_ST | BPF_STX, _) => valid |= bit,
                (BPF_LD | BPF_LDX, BPF_MEM) if valid & bit == 0 => return true,
                (BPF_JMP, _) => {
                    let targets = if op(i.code) == BPF_JA {
                        vec![target(i.k)]
                    } else {
                        vec![target(i.jt as u32), target(i.jf as u32)]
                    };
                    for t in targets {
                        if let Some(m) = masks.get_mut(t) {
                            *m &= valid;
                        }
                    }
                    valid = u32::MAX;
                }
                _ => {}
            }
        }
        if masks == before {
            return false;
        }
    }
}
