//! The examples users copy from run and print what they promise: the C and
//! the Rust batch-receive examples, each on its own veth pair, on a known mix
//! of frames (plain, VLAN-tagged, broadcast).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::netns::{frame, vlan_frame, with_veth, Sender};
use common::{build_c_file, command, root, Against};

/// A Rust example as `cargo test` built it, beside the test binaries.
fn rust_example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe = deps.parent().unwrap().join("examples").join(name);
    assert!(exe.exists(), "{} not built (cargo test builds examples)", exe.display());
    exe
}

/// Run `cmd` (the example, with the device and a count of 6) while the mix
/// is sent; its lines without timestamps and flow hashes.
fn run_on_mix(mut cmd: Command) -> Vec<String> {
    with_veth(move |v| {
        cmd.args([&v.a, "6"]).stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("start example");
        // Let it activate: it prints its first line once capturing.
        use std::io::BufRead;
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let tx = Sender::new(v.b_index);
        for i in 0..2 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 60));
            tx.send(&vlan_frame(v.a_mac, v.b_mac, 0x8100, 100, i, 64));
            tx.send(&frame([0xff; 6], v.b_mac, i, 100));
        }
        let mut lines = vec![first.trim_end().to_string()];
        lines.extend(out.lines().map(|l| l.unwrap()));
        assert!(child.wait().unwrap().success());
        let ifindex = format!(" if {} ", v.a_index);
        lines
            .into_iter()
            .map(|l| {
                let l = l.replace(&ifindex, " if A ");
                let l = match l.split_once(" hash ") {
                    Some((a, b)) => format!("{a}{}", &b[8..]),
                    None => l,
                };
                // Drop the leading timestamp of packet lines.
                match l.split_once(' ') {
                    Some((ts, rest)) if ts.contains('.') && ts.chars().next().unwrap().is_ascii_digit() => rest.to_string(),
                    _ => l,
                }
            })
            .collect()
    })
    .expect("namespaces")
}

fn expected() -> Vec<String> {
    let mut e = vec!["capturing on rca: TPACKET_V3, 128 blocks of 262144 bytes".to_string()];
    for _ in 0..2 {
        e.push("   60 bytes host      proto 0x88b5 if A sw".into());
        e.push("   64 bytes host      proto 0x88b5 if A vlan 8100/100 sw".into());
        e.push("  100 bytes broadcast proto 0x88b5 if A sw".into());
    }
    e.push("6 packets; kernel: 6 seen, 0 dropped".into());
    e
}

#[test]
fn c_batch_example() {
    let exe = build_c_file(&root().join("examples/batch.c"), "example_batch", Against::Ringcap, &[]);
    assert_eq!(run_on_mix(command(&exe, Against::Ringcap)), expected());
}

#[test]
fn rust_batch_example() {
    assert_eq!(run_on_mix(Command::new(rust_example("batch"))), expected());
}

/// The Rust fanout example: 2 workers round robin; together they capture
/// every frame sent, each worker exactly half.
#[test]
fn rust_fanout_example() {
    let exe = rust_example("fanout");
    let out = with_veth(move |v| {
        use std::io::{BufRead, Read};
        let mut child = Command::new(&exe)
            .args([&v.a, "2", "lb", "7", "2"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start example");
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let tx = Sender::new(v.b_index);
        for i in 0..300 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 60));
        }
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert!(child.wait().unwrap().success());
        first + &rest
    })
    .expect("namespaces");
    assert_eq!(
        out,
        "capturing on rca: 2 workers in fanout group 7 (lb)\nworker 0: 150 packets, 9000 bytes\nworker 1: 150 packets, 9000 bytes\ntotal: 300 packets, 0 dropped by the kernel\n"
    );
}
