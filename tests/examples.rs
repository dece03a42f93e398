//! The examples users copy from run and print what they promise: the C and
//! the Rust batch-receive examples, each on its own veth pair, on a known mix
//! of frames (plain, VLAN-tagged, broadcast).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::child::Driven;
use common::netns::{frame, vlan_frame, with_veth, Sender, Veth};
use common::{build_c_file, root, Against};

/// A Rust example as `cargo test` built it, beside the test binaries.
fn rust_example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe = deps.parent().unwrap().join("examples").join(name);
    assert!(exe.exists(), "{} not built (cargo test builds examples)", exe.display());
    exe
}

/// How long the example may take to print a line, or to exit once the
/// frames are sent.
const WAIT: Duration = Duration::from_secs(10);

/// Start an example (`start` is given its arguments: the device, then
/// `args`), wait for its first line (it prints it once capturing), send
/// with `send`, and wait for it to exit; everything it printed.
fn drive(
    args: &'static [&'static str],
    start: impl FnOnce(&[&str]) -> Driven + Send + 'static,
    send: impl FnOnce(&Veth) + Send + 'static,
) -> (String, i32) {
    with_veth(move |v| {
        let mut all = vec![v.a.as_str()];
        all.extend(args);
        let mut d = start(&all);
        d.expect(WAIT, "the first line", |_| true);
        send(v);
        (d.finish(WAIT).0, v.a_index)
    })
    .expect("namespaces")
}

/// Run an example with the device and a count of 6 while the mix is sent;
/// its lines without timestamps and flow hashes.
fn run_on_mix(start: impl FnOnce(&[&str]) -> Driven + Send + 'static) -> Vec<String> {
    let (out, a_index) = drive(&["6"], start, |v| {
        let tx = Sender::new(v.b_index);
        for i in 0..2 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 60));
            tx.send(&vlan_frame(v.a_mac, v.b_mac, 0x8100, 100, i, 64));
            tx.send(&frame([0xff; 6], v.b_mac, i, 100));
        }
    });
    let ifindex = format!(" if {a_index} ");
    out.lines()
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
    assert_eq!(run_on_mix(move |args| Driven::spawn(&exe, args, Against::Ringcap)), expected());
}

#[test]
fn rust_batch_example() {
    let exe = rust_example("batch");
    assert_eq!(run_on_mix(move |args| Driven::spawn_command(with_args(&exe, args))), expected());
}

/// The Rust fanout example: 2 workers round robin; together they capture
/// every frame sent, each worker exactly half.
#[test]
fn rust_fanout_example() {
    let exe = rust_example("fanout");
    let (out, _) = drive(&["2", "lb", "7", "2"], move |args| Driven::spawn_command(with_args(&exe, args)), |v| {
        let tx = Sender::new(v.b_index);
        for i in 0..300 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 60));
        }
    });
    assert_eq!(
        out,
        "capturing on rca: 2 workers in fanout group 7 (lb)\nworker 0: 150 packets, 9000 bytes\nworker 1: 150 packets, 9000 bytes\ntotal: 300 packets, 0 dropped by the kernel\n"
    );
}

fn with_args(exe: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(exe);
    c.args(args);
    c
}
