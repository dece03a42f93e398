//! The capture device fails under a blocking read: it goes down and comes
//! back, it is deleted, or the namespace holding its veth peer is torn
//! down. c-tests/iface_faults.c runs against the system libpcap (TPACKET_V3,
//! and V2 through immediate mode) and against ringcap (V1, V2, V3) through
//! each read call; every output must be the same, line for line:
//!
//! - down: the read keeps waiting (no return, no error: libpcap 1.10 polls
//!   every millisecond for the device to come back or go away), and
//!   `pcap_get_required_select_timeout` is 1 ms while the device is down
//!   (asked between reads, from a callback, or after pcap_next_ex), NULL
//!   before and after;
//! - back up: frames flow again through the same read;
//! - deleted (down first or not, or with the peer's namespace): the read
//!   returns -1 with "The interface disappeared" — promptly, and without
//!   spinning: the program's CPU time over the whole read stays a small
//!   share of the time that passed.

mod common;

use std::time::Duration;

use common::child::Driven;
use common::netns::{frame, ip, wait_running, with_veth, PeerNs, Sender, Veth};
use common::{build_c, Against};

const LINE: Duration = Duration::from_secs(5);
const EXIT: Duration = Duration::from_secs(10);
/// How long the device stays in a state where the read can only wait (no
/// line tells the harness the read noticed).
const SETTLE: Duration = Duration::from_millis(150);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scenario {
    /// Frames, down, up, frames, down, deleted while down.
    Bounce,
    /// Frames, then deleted while up, without going down first.
    Delete,
    /// Frames from the peer in a namespace of its own, then that namespace
    /// ends (its last thread exits) and takes the veth pair with it.
    Netns,
    /// Frames, and the device down at once, while a TPACKET_V3 block still
    /// holds them (pcap timeout 1 s): they are delivered while the device
    /// is down, and the required select timeout, asked from the callback
    /// or right after pcap_next_ex, is 1 ms. Then deleted.
    Queued,
}

fn send(tx: &Sender, v: &Veth, seqs: std::ops::Range<u32>) {
    for i in seqs {
        tx.send(&frame(v.a_mac, v.b_mac, i, 100));
    }
}

/// The program's line for test frame `i` (sent by `send`), with the
/// required select timeout it saw then.
fn frame_line(i: u32, required: &str) -> String {
    format!("frame {i} len=100 caplen=100 required={required}")
}

fn expect_frames(d: &mut Driven, seqs: std::ops::Range<u32>) {
    for i in seqs {
        d.expect_line(LINE, &frame_line(i, "none"));
    }
}

/// Take the capture device down and wait until the read has seen it (in
/// select mode, the required timeout becomes 1 ms).
fn down(d: &mut Driven, v: &Veth, select: bool) {
    ip(&["link", "set", &v.a, "down"]);
    if select {
        d.expect_line(LINE, "select timeout: 1ms");
    } else {
        std::thread::sleep(SETTLE);
    }
}

/// Run one scenario with one library, TPACKET version and read call;
/// returns the program's output without its '#' line, after checking that
/// line (no spinning).
fn run(scenario: Scenario, against: Against, api: &'static str, version: u32) -> String {
    let exe = build_c("iface_faults", against, &[]);
    let out = with_veth(move |v| {
        let timeout = if scenario == Scenario::Queued { "1000" } else { "100" };
        let mut d = Driven::spawn(&exe, &[&v.a, api, &version.to_string(), timeout], against);
        d.expect_line(LINE, "READY");
        let select = api == "select";
        match scenario {
            Scenario::Bounce => {
                let tx = Sender::new(v.b_index);
                send(&tx, v, 0..3);
                expect_frames(&mut d, 0..3);
                down(&mut d, v, select);
                ip(&["link", "set", &v.a, "up"]);
                if select {
                    d.expect_line(LINE, "select timeout: none");
                } else {
                    std::thread::sleep(SETTLE);
                }
                wait_running(&v.a);
                wait_running(&v.b);
                send(&tx, v, 3..6);
                expect_frames(&mut d, 3..6);
                down(&mut d, v, select);
                ip(&["link", "del", &v.a]);
            }
            Scenario::Delete => {
                let tx = Sender::new(v.b_index);
                send(&tx, v, 0..3);
                expect_frames(&mut d, 0..3);
                std::thread::sleep(SETTLE);
                ip(&["link", "del", &v.a]);
            }
            Scenario::Queued => {
                let tx = Sender::new(v.b_index);
                send(&tx, v, 0..3);
                ip(&["link", "set", &v.a, "down"]);
                for i in 0..3 {
                    d.expect_line(LINE, &frame_line(i, "1ms"));
                }
                ip(&["link", "del", &v.a]);
            }
            Scenario::Netns => {
                let peer = PeerNs::start();
                let index = peer.adopt(&v.b);
                let v2 = v.clone();
                // Senders hold their namespace: this one is gone before the
                // namespace is to end.
                peer.run(move || send(&Sender::new(index), &v2, 0..3));
                expect_frames(&mut d, 0..3);
                std::thread::sleep(SETTLE);
                peer.end();
            }
        }
        d.finish(EXIT).0
    })
    .expect("namespaces");
    let (text, figures): (Vec<&str>, Vec<&str>) = out.lines().partition(|l| !l.starts_with('#'));
    check_no_spin(figures.first().copied().unwrap_or_else(|| panic!("no figures line:\n{out}")), &out);
    text.join("\n") + "\n"
}

/// `# cpu_ms=C wall_ms=W`: the read waited (W ms) without burning CPU.
/// Under valgrind the instrumentation itself costs CPU; not checked there.
fn check_no_spin(line: &str, out: &str) {
    let field = |name: &str| -> u64 {
        let v = line.split_whitespace().find_map(|w| w.strip_prefix(name)).unwrap_or_else(|| panic!("{name} in {line}"));
        v.parse().unwrap()
    };
    let (cpu, wall) = (field("cpu_ms="), field("wall_ms="));
    if std::env::var("RINGCAP_CHECK").as_deref() != Ok("valgrind") {
        assert!(cpu * 4 < wall.max(100), "the read used {cpu} ms of CPU in {wall} ms: spinning?\n{out}");
    }
}

/// What every library, version and call must print.
fn expected(scenario: Scenario, api: &str) -> String {
    let call = match api {
        "loop" => "pcap_loop",
        "next_ex" => "pcap_next_ex",
        "select" => "pcap_dispatch",
        "batch" => "ringcap_next_batch",
        _ => unreachable!(),
    };
    let frames = |r: std::ops::Range<u32>, required: &str| r.map(|i| frame_line(i, required) + "\n").collect::<String>();
    let select = api == "select";
    let timeout = |t: &str| if select { format!("select timeout: {t}\n") } else { String::new() };
    let body = match scenario {
        Scenario::Bounce => {
            frames(0..3, "none") + &timeout("1ms") + &timeout("none") + &frames(3..6, "none") + &timeout("1ms")
        }
        Scenario::Delete | Scenario::Netns => frames(0..3, "none"),
        Scenario::Queued => frames(0..3, "1ms"),
    };
    format!("READY\n{}{body}{call} = -1 [The interface disappeared]\n", timeout("none"))
}

/// Every (library, version) this call can run with, all at once (each in
/// its own namespace), each output checked against the expectation: that
/// is, identical to libpcap's.
fn compare(scenario: Scenario, api: &'static str) {
    let versions: &[u32] = if scenario == Scenario::Queued { &[3] } else { &[1, 2, 3] };
    let mut runs: Vec<(Against, u32)> = versions.iter().map(|&v| (Against::Ringcap, v)).collect();
    if api != "batch" {
        runs.extend(versions.iter().filter(|&&v| v != 1).map(|&v| (Against::System, v)));
    }
    let handles: Vec<_> = runs
        .into_iter()
        .map(|(against, version)| (against, version, std::thread::spawn(move || run(scenario, against, api, version))))
        .collect();
    let want = expected(scenario, api);
    for (against, version, h) in handles {
        let got = h.join().unwrap_or_else(|_| panic!("{scenario:?} {api} against {against:?} with TPACKET_V{version} failed (above)"));
        assert_eq!(got, want, "{scenario:?} {api} against {against:?} with TPACKET_V{version}");
    }
}

#[test]
fn down_and_up_during_pcap_loop_then_deleted() {
    compare(Scenario::Bounce, "loop");
}

#[test]
fn down_and_up_during_pcap_next_ex_then_deleted() {
    compare(Scenario::Bounce, "next_ex");
}

#[test]
fn down_and_up_in_a_select_loop_with_the_required_timeout() {
    compare(Scenario::Bounce, "select");
}

#[test]
fn down_and_up_during_ringcap_next_batch_then_deleted() {
    compare(Scenario::Bounce, "batch");
}

#[test]
fn deleted_during_pcap_loop() {
    compare(Scenario::Delete, "loop");
}

#[test]
fn deleted_during_pcap_next_ex() {
    compare(Scenario::Delete, "next_ex");
}

#[test]
fn deleted_during_ringcap_next_batch() {
    compare(Scenario::Delete, "batch");
}

#[test]
fn peer_namespace_torn_down_during_pcap_loop() {
    compare(Scenario::Netns, "loop");
}

#[test]
fn frames_delivered_while_down_in_pcap_loop_see_the_1ms_timeout() {
    compare(Scenario::Queued, "loop");
}

#[test]
fn frames_delivered_while_down_by_pcap_next_ex_see_the_1ms_timeout() {
    compare(Scenario::Queued, "next_ex");
}
