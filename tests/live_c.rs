//! The live API through the C ABI, compared with the system libpcap: the same
//! C program (c-tests/live_api.c) runs against each library in its own
//! private namespace with identical devices and frames; every return code,
//! error text, list and captured byte it prints must match.

mod common;

use common::netns::{frame, ip, with_veth, Sender};
use common::{assert_same_lines, build_c, start_until_ready, Against};

fn run_live_api(against: Against) -> String {
    let exe = build_c("live_api", against, &[]);
    with_veth(move |v| {
        // A second pair, left down, for the "device is down" case.
        ip(&["link", "add", "rcd0", "type", "veth", "peer", "name", "rcd1"]);
        let started = start_until_ready(&exe, &[&v.a, "12", "rcd0"], against);
        let tx = Sender::new(v.b_index);
        for (i, len) in [60, 61, 100, 333, 1000, 1514].iter().cycle().take(12).enumerate() {
            tx.send(&frame(v.a_mac, v.b_mac, i as u32, *len));
        }
        started.finish().0
    })
    .expect("namespaces")
}

#[test]
fn live_api_matches_libpcap() {
    let sys = run_live_api(Against::System);
    let ours = run_live_api(Against::Ringcap);
    assert_eq!(sys.lines().filter(|l| l.contains("caplen=")).count(), 12, "libpcap captured the frames:\n{sys}");
    assert_same_lines("live_api", &sys, &ours);
}
