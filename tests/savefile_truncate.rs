//! A savefile truncated while it is read (what `tcpdump -C`/`-W` rotation
//! does to a file another program reads), through the C API
//! (`c-tests/savefile_trunc.c`) on ringcap, which maps the file, and on the
//! system libpcap, which reads it with stdio: the same packets, then the
//! same truncation error, never a SIGBUS. And SIGBUS handlers around the
//! library: a fault that is not ringcap's reaches the program's handler, or
//! kills the program, as it does with libpcap.
//!
//! Under `RINGCAP_CHECK=valgrind` the programs run natively: valgrind turns a
//! SIGBUS from a file mapping into a fatal SIGSEGV without calling the
//! program's handler. Under `RINGCAP_CHECK=asan`, AddressSanitizer's SIGBUS
//! handler is the one installed before ringcap's, so it is the one a foreign
//! fault reaches.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Output;

use common::{build_c, Against};

const RECORDS: usize = 300;
const CAPLEN: usize = 1500;

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/savefile-truncate");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// 300 records of 1500 bytes (record i filled with i): classic pcap, or
/// pcapng (one interface, Enhanced Packet Blocks); and where record i starts.
fn input(ng: bool) -> (Vec<u8>, Vec<usize>) {
    let mut f = Vec::new();
    let mut starts = Vec::new();
    let u32s = |f: &mut Vec<u8>, v: &[u32]| v.iter().for_each(|x| f.extend(x.to_le_bytes()));
    if ng {
        // SHB (28 bytes, no options), IDB (20 bytes, no options).
        u32s(&mut f, &[0x0a0d_0d0a, 28, 0x1a2b_3c4d, 1, 0xffff_ffff, 0xffff_ffff, 28]);
        u32s(&mut f, &[1, 20, 1, 0, 20]);
    } else {
        u32s(&mut f, &[0xa1b2_c3d4, 0x0004_0002, 0, 0, 65535, 1]);
    }
    for i in 0..RECORDS as u32 {
        starts.push(f.len());
        if ng {
            let total = 32 + CAPLEN as u32;
            u32s(&mut f, &[6, total, 0, 0, i, CAPLEN as u32, CAPLEN as u32]);
            f.extend(vec![i as u8; CAPLEN]);
            u32s(&mut f, &[total]);
        } else {
            u32s(&mut f, &[i, 0, CAPLEN as u32, CAPLEN as u32]);
            f.extend(vec![i as u8; CAPLEN]);
        }
    }
    (f, starts)
}

fn check_mode() -> Option<String> {
    std::env::var("RINGCAP_CHECK").ok()
}

fn run(against: Against, args: &[&str]) -> Output {
    let exe = build_c("savefile_trunc", against, &[]);
    if check_mode().as_deref() == Some("valgrind") {
        let mut c = std::process::Command::new(&exe);
        if against == Against::Ringcap {
            c.env("LD_LIBRARY_PATH", common::lib_dir());
        }
        return c.args(args).output().unwrap();
    }
    common::run(&exe, args, against)
}

/// Read a fresh copy of `bytes` with `savefile_trunc read`, truncating it
/// to `keep` bytes after `after` packets.
fn read_truncated(against: Against, bytes: &[u8], tag: &str, keep: usize, after: usize, how: &str) -> String {
    let f = scratch(&format!("{tag}.{}", against.tag()));
    std::fs::write(&f, bytes).unwrap();
    let o = run(against, &["read", f.to_str().unwrap(), &keep.to_string(), &after.to_string(), how]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{tag} on {against:?}: {:?}\n{out}", o.status);
    out
}

#[test]
fn a_file_truncated_while_read_ends_like_on_libpcap() {
    // Truncated well ahead of where either library has read (libpcap's
    // stdio buffer, ringcap's checked bytes): both deliver every packet
    // before the new end, then the same error, between calls
    // (pcap_next_ex) and from inside a pcap_loop callback.
    for ng in [false, true] {
        let (bytes, at) = input(ng);
        let cases: Vec<(usize, usize, &str)> = if ng {
            vec![
                (at[150] + 100, 2, "truncated pcapng dump file; tried to read 1524 bytes, only got 92"),
                (at[180] + 5, 60, "truncated pcapng dump file; tried to read 8 bytes, only got 5"),
            ]
        } else {
            vec![
                (at[200] + 16 + 1360, 3, "truncated dump file; tried to read 1500 captured bytes, only got 1360"),
                (at[250] + 9, 40, "truncated dump file; tried to read 16 header bytes, only got 9"),
            ]
        };
        for (keep, after, error) in cases {
            for how in ["next_ex", "loop"] {
                let tag = format!("{}-{keep}-{how}", if ng { "ng" } else { "pcap" });
                let sys = read_truncated(Against::System, &bytes, &tag, keep, after, how);
                let rc = read_truncated(Against::Ringcap, &bytes, &tag, keep, after, how);
                assert_eq!(sys, rc, "{tag}");
                let last = rc.lines().last().unwrap();
                assert_eq!(last, format!("{how} rc=-1 err={error}"), "{tag}");
                let packets = rc.lines().filter(|l| l.starts_with("pkt ")).count();
                let record = if ng { 32 + CAPLEN + 4 } else { 16 + CAPLEN };
                assert_eq!(packets, at.iter().take_while(|&&s| s + record <= keep).count(), "{tag}");
                // Every packet delivered is whole, not zeros.
                for (i, l) in rc.lines().filter(|l| l.starts_with("pkt ")).enumerate() {
                    assert!(l.ends_with(&format!("sum={}", (i % 256) * CAPLEN)), "{tag}: {l}");
                }
            }
        }
    }
    // At a record boundary the file simply ends.
    let (bytes, at) = input(false);
    let sys = read_truncated(Against::System, &bytes, "pcap-boundary", at[100], 3, "next_ex");
    let rc = read_truncated(Against::Ringcap, &bytes, "pcap-boundary", at[100], 3, "next_ex");
    assert_eq!(sys, rc);
    assert!(rc.ends_with("pkt 99 caplen=1500 len=1500 sum=148500\nnext_ex rc=-2\n"), "{rc}");
}

#[test]
fn a_rotated_file_ends_where_it_was_cut() {
    // Truncated to nothing next to the reader: libpcap still delivers what
    // its stdio buffer holds (old bytes); ringcap reads nothing more, as an
    // unbuffered read would, and neither dies.
    for ng in [false, true] {
        let (bytes, _) = input(ng);
        let tag = format!("rotated-{ng}");
        for how in ["next_ex", "loop"] {
            let sys = read_truncated(Against::System, &bytes, &tag, 0, 3, how);
            assert!(sys.contains("truncated to 0"), "{sys}");
            let rc = read_truncated(Against::Ringcap, &bytes, &tag, 0, 3, how);
            assert!(rc.ends_with(&format!("truncated to 0\n{how} rc={}\n", if how == "loop" { 0 } else { -2 })), "{rc}");
        }
    }
}

#[test]
fn other_sigbus_faults_reach_the_programs_handler_or_kill_it() {
    let (bytes, at) = input(false);
    let file = scratch("chain-input.pcap");
    std::fs::write(&file, &bytes).unwrap();
    let page = ringcap::sys::page_size();
    for against in [Against::System, Against::Ringcap] {
        let other = scratch(&format!("chain-other.{}", against.tag()));
        let chain = |mode: &str| {
            std::fs::write(&other, vec![1u8; page * 2]).unwrap();
            run(against, &["chain", mode, file.to_str().unwrap(), other.to_str().unwrap()])
        };
        for mode in ["siginfo", "plain"] {
            let o = chain(mode);
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(o.status.code(), Some(42), "{mode} on {against:?}: {out}");
            assert!(out.ends_with("program's SIGBUS handler\n"), "{mode} on {against:?}: {out}");
        }
        let o = chain("default");
        if against == Against::Ringcap && check_mode().as_deref() == Some("asan") {
            assert_eq!(o.status.code(), Some(98), "default on {against:?}: {:?}", o.status);
            assert!(String::from_utf8_lossy(&o.stderr).contains("AddressSanitizer"));
        } else {
            assert_eq!(o.status.signal(), Some(libc::SIGBUS), "default on {against:?}: {:?}", o.status);
        }
        let want = format!("past the end of {}\n", other.display());
        assert!(String::from_utf8_lossy(&o.stdout).ends_with(&want), "{:?}", o.stdout);
        // The program's handler (installed first) never sees the faults
        // ringcap handles in its own mappings.
        let copy = scratch(&format!("guarded.{}", against.tag()));
        std::fs::write(&copy, &bytes).unwrap();
        let keep = (at[200] + 100).to_string();
        let o = run(against, &["guarded", copy.to_str().unwrap(), &keep, "3"]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{against:?}: {:?} {out}", o.status);
        assert!(out.ends_with("next_ex rc=-1 err=truncated dump file; tried to read 1500 captured bytes, only got 84\n"), "{out}");
    }
}
