//! Debian's unmodified tcpdump capturing live through ringcap
//! (`LD_LIBRARY_PATH=target/lib`), compared with the same tcpdump on the
//! system libpcap: a mix of real protocol frames (the filter tests' packet
//! corpus: IPv4/IPv6, TCP/UDP/ICMP, ARP, VLAN stacks, MPLS, PPPoE, ...) sent
//! over a veth pair in a private namespace, printed with `-n -e -x -t`, with
//! and without filters, plus tcpdump's closing statistics.

mod common;
mod filter_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::netns::{with_veth, Sender};
use common::{lib_dir, Against};

/// Frames that fit the veth MTU.
fn frames() -> Vec<Vec<u8>> {
    filter_support::packets::ethernet_frames().into_iter().filter(|f| f.len() >= 14 && f.len() <= 1514).collect()
}

/// Run tcpdump with `args` on the capture end, send the corpus, stop it with
/// SIGINT; returns (stdout, stderr).
fn tcpdump(against: Against, args: &'static [&'static str]) -> (String, String) {
    let lib = lib_dir();
    with_veth(move |v| {
        let mut cmd = Command::new("tcpdump");
        cmd.args(["-Z", "root", "-n", "-e", "-x", "-t", "-l", "-i", &v.a]).args(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if against == Against::Ringcap {
            cmd.env("LD_LIBRARY_PATH", &lib);
        }
        let mut child = cmd.spawn().expect("tcpdump (apt-get install tcpdump)");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "tcpdump exited: {head}");
            head.push_str(&line);
            if line.starts_with("listening on") {
                break;
            }
        }
        // Drain stdout while tcpdump runs, so a full pipe never blocks it.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            stdout.read_to_string(&mut out).unwrap();
            out
        });
        let tx = Sender::new(v.b_index);
        for f in frames() {
            tx.send(&f);
        }
        // libpcap hands a TPACKET_V3 block over when its 1 s timeout expires.
        std::thread::sleep(Duration::from_millis(1600));
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        let out = reader.join().unwrap();
        let mut tail = String::new();
        err.read_to_string(&mut tail).unwrap();
        let st = child.wait().unwrap();
        assert!(st.success(), "tcpdump {args:?} against {against:?} exited with {st:?}\n{head}{tail}");
        (out, head + &tail)
    })
    .expect("namespaces")
}

fn compare(args: &'static [&'static str], expect_some: bool) {
    let (sys_out, sys_err) = tcpdump(Against::System, args);
    let (our_out, our_err) = tcpdump(Against::Ringcap, args);
    if expect_some {
        assert!(sys_out.lines().count() > 10, "libpcap's tcpdump printed packets for {args:?}");
    }
    let diff: Vec<String> = sys_out
        .lines()
        .zip(our_out.lines())
        .filter(|(a, b)| a != b)
        .take(10)
        .map(|(a, b)| format!("libpcap: {a}\nringcap: {b}"))
        .collect();
    assert!(diff.is_empty(), "tcpdump {args:?} differs:\n{}", diff.join("\n"));
    assert_eq!(our_out.lines().count(), sys_out.lines().count(), "tcpdump {args:?}: number of lines");
    // "listening on ...", and the closing counts.
    assert_eq!(our_err, sys_err, "tcpdump {args:?}: stderr");
}

#[test]
fn tcpdump_prints_the_same_packets() {
    compare(&[], true);
}

#[test]
fn tcpdump_with_filters() {
    compare(&["udp port 53"], true);
    compare(&["tcp or arp"], true);
    compare(&["vlan"], true);
    compare(&["ip6 and not icmp6"], true);
}

#[test]
fn tcpdump_snaplen_and_immediate_mode() {
    compare(&["-s", "60"], true);
    compare(&["--immediate-mode", "-s", "96", "ip"], true);
    compare(&["-Q", "in"], true);
}
