//! Device discovery and library set-up compared with the system libpcap:
//! pcap_findalldevs (names, flags, descriptions, every address), lookupnet,
//! lookupdev, pcap_init, pcap_perror, pcap_set_protocol_linux,
//! pcap_get_required_select_timeout and the pcap_version data symbol.

mod common;

use common::netns::{frame, ip, with_veth, Sender};
use common::{assert_same_lines, build_c, start_until_ready, Against};

fn run(against: Against) -> (String, String) {
    let exe = build_c("devices", against, &[]);
    with_veth(move |v| {
        ip(&["addr", "add", "10.77.1.1/24", "dev", &v.a]);
        ip(&["addr", "add", "10.77.9.9/32", "peer", "10.77.9.10", "dev", &v.b]);
        let started = start_until_ready(&exe, &[&v.a, &v.b], against);
        let tx = Sender::new(v.b_index);
        for i in 0..3 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 64));
            let mut arp = frame(v.a_mac, v.b_mac, i, 64);
            arp[12..14].copy_from_slice(&[0x08, 0x06]);
            tx.send(&arp);
        }
        started.finish()
    })
    .expect("namespaces")
}

#[test]
fn devices_and_setup_match_libpcap() {
    let (sys, sys_err) = run(Against::System);
    let (ours, our_err) = run(Against::Ringcap);
    assert!(sys.contains("dev rca flags=0x"), "{sys}");
    assert!(sys.contains("protocol filter: arp=2 other=0"), "{sys}");
    assert_same_lines("devices", &sys, &ours);
    assert_eq!(our_err, sys_err);
}
