//! Delivery under stress, through the C ABI and compared with the system
//! libpcap where it has the behaviour: statistics that stay exact when the
//! ring overflows (TPACKET_V1, V2 and V3).

mod common;

use std::time::Duration;

use common::child::Driven;
use common::netns::{frame, with_veth, Sender};
use common::{build_c, Against};

const LINE: Duration = Duration::from_secs(5);
const EXIT: Duration = Duration::from_secs(20);

/// The `key=value` fields of a line.
fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("{key} in {line:?}"))
        .parse()
        .unwrap()
}

/// The libraries and TPACKET versions a C program can run with: ringcap
/// with each version, libpcap with its default (V3) and, through immediate
/// mode, V2.
fn every_version() -> Vec<(Against, u32)> {
    vec![(Against::Ringcap, 1), (Against::Ringcap, 2), (Against::Ringcap, 3), (Against::System, 2), (Against::System, 3)]
}

/// Run `f` for every (library, version) at once, each in its own
/// namespace; a failure names the case.
fn for_each_version(f: impl Fn(Against, u32) + Send + Sync + Clone + 'static) {
    let handles: Vec<_> = every_version()
        .into_iter()
        .map(|(against, version)| {
            let f = f.clone();
            (against, version, std::thread::spawn(move || f(against, version)))
        })
        .collect();
    for (against, version, h) in handles {
        h.join().unwrap_or_else(|_| panic!("against {against:?} with TPACKET_V{version}: failed (above)"));
    }
}

/// Send `n` 200-byte frames in one burst to a capture with a 256 KiB ring
/// (c-tests/overload.c) that reads them `mode` ("idle": only afterwards;
/// "busy": while they arrive). Returns its final line.
fn overload_run(against: Against, version: u32, mode: &'static str, n: u32) -> String {
    let exe = build_c("overload", against, &[]);
    with_veth(move |v| {
        let mut d = Driven::spawn(&exe, &[&v.a, &version.to_string(), mode], against);
        d.expect_line(LINE, "READY");
        let tx = Sender::new(v.b_index);
        for i in 0..n {
            tx.send_retry(&frame(v.a_mac, v.b_mac, i, 200));
        }
        d.say("DONE");
        let (out, _) = d.finish(EXIT);
        out.lines().last().unwrap_or_default().to_string()
    })
    .expect("namespaces")
}

fn overload(mode: &'static str) {
    for_each_version(move |against, version| {
        let n = 20_000u32;
        let line = overload_run(against, version, mode, n);
        let (delivered, recv, drop) = (field(&line, "delivered"), field(&line, "recv"), field(&line, "drop"));
        let case = format!("{mode} {against:?} TPACKET_V{version}: {line}");
        eprintln!("{case}");
        assert_eq!(recv, n as u64, "{case}: ps_recv counts every frame sent");
        assert_eq!(delivered + drop, n as u64, "{case}: delivered + ps_drop == sent");
        assert_eq!(field(&line, "out_of_order"), 0, "{case}: delivered in order, none twice");
        if mode == "idle" {
            assert!(drop > 0 && delivered > 0, "{case}: the ring overflowed and kept what it held");
        }
    });
}

#[test]
fn overload_with_an_idle_reader_counts_every_frame() {
    overload("idle");
}

#[test]
fn overload_with_a_busy_reader_counts_every_frame() {
    overload("busy");
}
