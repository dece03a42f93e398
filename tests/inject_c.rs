//! pcap_inject / pcap_sendpacket through the C ABI, compared with the system
//! libpcap: the same program (c-tests/inject_cmp.c) runs against each
//! library in its own private namespace; every return value and error text
//! it prints, and every frame the peer receives, must match (the one
//! deliberate difference, `pcap_sendpacket` on a handle never activated, is
//! checked on its own).

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{ip, with_veth};
use common::{build_c, lib_dir, Against};
use ringcap::capture::{self, Options};
use ringcap::packet::{Breaker, PacketSource};

/// The program's output and the test frames the peer captured, in order;
/// `env` is added to the program's environment.
fn run_inject_cmp(against: Against, env: &'static [(&'static str, &'static str)]) -> (String, Vec<Vec<u8>>) {
    let exe = build_c("inject_cmp", against, &[]);
    let lib = lib_dir();
    with_veth(move |v| {
        ip(&["link", "add", "isdn0", "type", "veth", "peer", "name", "isdn1"]);
        ip(&["link", "set", "isdn0", "up"]);
        ip(&["link", "set", "isdn1", "up"]);
        let mut o = Options::new(&v.a);
        o.timeout_ms = 20;
        o.buffer_size = 16 << 20;
        let mut rx = capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).unwrap().capture;
        let tmp = std::env::temp_dir().join(format!("inject_cmp-{}-{}.pcap", against.tag(), std::process::id()));
        let mut cmd = Command::new(&exe);
        cmd.args([v.b.as_str(), v.a.as_str(), "isdn0", tmp.to_str().unwrap()]);
        if against == Against::Ringcap {
            cmd.env("LD_LIBRARY_PATH", &lib);
        }
        cmd.envs(env.iter().copied());
        let out = cmd.output().expect("run inject_cmp");
        let _ = std::fs::remove_file(&tmp);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "inject_cmp ({against:?}) failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        let mut frames = Vec::new();
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            rx.dispatch(-1, &mut |_, d| {
                let test = d.len() >= 18 && (d[12..14] == [0x88, 0xb5] || d[16..18] == [0x88, 0xb5]);
                if test {
                    frames.push(d.to_vec());
                }
            })
            .unwrap();
        }
        (text, frames)
    })
    .expect("namespaces")
}

#[test]
fn inject_matches_libpcap() {
    let (sys, sys_frames) = run_inject_cmp(Against::System, &[]);
    let (ours, our_frames) = run_inject_cmp(Against::Ringcap, &[]);
    let special = "inactive sendpacket = ";
    let pick = |t: &str| t.lines().find(|l| l.starts_with(special)).map(str::to_string);
    assert_eq!(pick(&sys).as_deref(), Some("inactive sendpacket = 0 [This handle hasn't been activated yet]"), "{sys}");
    assert_eq!(pick(&ours).as_deref(), Some("inactive sendpacket = -1 [This handle hasn't been activated yet]"), "{ours}");
    let rest = |t: &str| t.lines().filter(|l| !l.starts_with(special)).map(str::to_string).collect::<Vec<_>>();
    let (a, b) = (rest(&sys), rest(&ours));
    let diff: Vec<String> = a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| format!("libpcap: {x}\nringcap: {y}")).collect();
    assert!(diff.is_empty(), "{} differences:\n{}", diff.len(), diff.join("\n"));
    assert_eq!(a.len(), b.len(), "libpcap:\n{sys}\nringcap:\n{ours}");
    assert!(sys.contains("witness captured = 41"), "{sys}");
    // Direction: the sender never captures its own frames; an outbound
    // witness sees the 10 injected, an inbound one the peer's 3, and both
    // count all 13 in ps_recv (libpcap drops by direction in userland).
    for line in [
        "sender (PCAP_D_OUT) captured = 0",
        "witness PCAP_D_OUT captured = 10",
        "witness PCAP_D_IN captured = 3",
        "witness PCAP_D_OUT ps_recv = 13",
        "witness PCAP_D_IN ps_recv = 13",
    ] {
        assert!(sys.lines().any(|l| l == line), "{line}:\n{sys}");
    }
    assert_eq!(sys_frames.len(), 60, "frames at the peer with libpcap (its own 3 included)");
    assert!(sys_frames == our_frames, "the peer receives the same frames ({} vs {})", sys_frames.len(), our_frames.len());
}

/// The knobs an unmodified program gets: qdisc bypass hides the frames from
/// the other captures on the device (the kernel's rule), a small TX ring and
/// TPACKET_V2 change nothing else; without a TX ring, the same too.
#[test]
fn environment_knobs_reach_unmodified_programs() {
    let (plain, plain_frames) = run_inject_cmp(Against::Ringcap, &[]);
    let (knobs, knob_frames) =
        run_inject_cmp(Against::Ringcap, &[("RINGCAP_QDISC_BYPASS", "1"), ("RINGCAP_TX_RING", "4096x16"), ("RINGCAP_TPACKET_VERSION", "2")]);
    // Bypassed frames reach no other socket on the device: only the
    // peer's 3 frames are left for the witnesses.
    let expected = plain
        .replace("witness captured = 41", "witness captured = 0")
        .replace("witness PCAP_D_OUT captured = 10", "witness PCAP_D_OUT captured = 0")
        .replace("witness PCAP_D_OUT ps_recv = 13", "witness PCAP_D_OUT ps_recv = 3")
        .replace("witness PCAP_D_IN ps_recv = 13", "witness PCAP_D_IN ps_recv = 3");
    assert_ne!(expected, plain);
    assert_eq!(knobs, expected);
    // The peer's own 3 frames (70 bytes), bypassed too, are hidden from
    // the harness's capture on the peer device; the rest arrive alike.
    let not_peers = |f: &Vec<Vec<u8>>| f.iter().filter(|d| d.len() != 70).cloned().collect::<Vec<_>>();
    assert_eq!(plain_frames.len() - not_peers(&plain_frames).len(), 3);
    assert!(knob_frames == not_peers(&plain_frames), "the peer receives the same frames");
    let (noring, noring_frames) = run_inject_cmp(Against::Ringcap, &[("RINGCAP_TX_RING", "0x0")]);
    assert_eq!(noring, plain);
    assert!(noring_frames == plain_frames);
    let bad = run_inject_cmp_expect_failure(&[("RINGCAP_TX_RING", "lots")]);
    assert!(bad.contains("RINGCAP_TX_RING: expected <frame_size>x<frame_count> (0x0: no TX ring), got 'lots'"), "{bad}");
}

/// Run inject_cmp on ringcap expecting it to stop at its first activation;
/// its output.
fn run_inject_cmp_expect_failure(env: &'static [(&'static str, &'static str)]) -> String {
    let exe = build_c("inject_cmp", Against::Ringcap, &[]);
    let lib = lib_dir();
    with_veth(move |v| {
        ip(&["link", "add", "isdn0", "type", "veth", "peer", "name", "isdn1"]);
        let out = Command::new(&exe)
            .args([v.b.as_str(), v.a.as_str(), "isdn0", "/dev/null"])
            .env("LD_LIBRARY_PATH", &lib)
            .envs(env.iter().copied())
            .output()
            .expect("run inject_cmp");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .expect("namespaces")
}
