//! The live API through the C ABI, compared with the system libpcap: the same
//! C program (c-tests/live_api.c) runs against each library in its own
//! private namespace with identical devices and frames; every return code,
//! error text, list and captured byte it prints must match.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::netns::{frame, ip, with_veth, Sender};
use common::{build_c, lib_dir, Against};

fn run_live_api(against: Against) -> String {
    let exe = build_c("live_api", against, &[]);
    let lib = lib_dir();
    with_veth(move |v| {
        // A second pair, left down, for the "device is down" case.
        ip(&["link", "add", "rcd0", "type", "veth", "peer", "name", "rcd1"]);
        let mut cmd = Command::new(&exe);
        cmd.args([&v.a, "12", "rcd0"]).stdout(Stdio::piped());
        if against == Against::Ringcap {
            cmd.env("LD_LIBRARY_PATH", &lib);
        }
        let mut child = cmd.spawn().expect("spawn live_api");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "live_api ended before READY:\n{text}");
            text.push_str(&line);
            if line == "READY\n" {
                break;
            }
        }
        let tx = Sender::new(v.b_index);
        for (i, len) in [60, 61, 100, 333, 1000, 1514].iter().cycle().take(12).enumerate() {
            tx.send(&frame(v.a_mac, v.b_mac, i as u32, *len));
        }
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        assert!(child.wait().unwrap().success());
        text + &rest
    })
    .expect("namespaces")
}

#[test]
fn live_api_matches_libpcap() {
    let sys = run_live_api(Against::System);
    let ours = run_live_api(Against::Ringcap);
    assert_eq!(sys.lines().filter(|l| l.contains("caplen=")).count(), 12, "libpcap captured the frames:\n{sys}");
    let diff: Vec<String> = sys
        .lines()
        .zip(ours.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("libpcap: {a}\nringcap: {b}"))
        .collect();
    assert!(diff.is_empty(), "{} differences:\n{}", diff.len(), diff.join("\n"));
    assert_eq!(ours.lines().count(), sys.lines().count());
}
