//! Delivery rules compared with the system libpcap on real veth traffic: VLAN
//! tag re-insertion, the `any` device (DLT_LINUX_SLL and SLL2 headers),
//! direction, snapshot length, promiscuous mode, both read paths. The same C
//! program (c-tests/capture_cmp.c) runs against each library in identical
//! private namespaces; the captured bytes must be identical.

mod common;

use common::netns::{frame, vlan_frame, with_veth, Sender, Veth};
use common::{build_c, start_until_ready, Against};

/// Which interface of the pair the program captures on.
#[derive(Clone, Copy)]
enum On {
    A,
    B,
    Any,
}

fn run(against: Against, on: On, count: usize, opts: &[&str], send: fn(&Veth, &Sender)) -> String {
    let exe = build_c("capture_cmp", against, &[]);
    let opts: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
    with_veth(move |v| {
        let dev = match on {
            On::A => v.a.clone(),
            On::B => v.b.clone(),
            On::Any => "any".into(),
        };
        let count = count.to_string();
        let mut args: Vec<&str> = vec![&dev, &count];
        args.extend(opts.iter().map(|s| s.as_str()));
        let started = start_until_ready(&exe, &args, against);
        send(v, &Sender::new(v.b_index));
        started.finish().0
    })
    .expect("namespaces")
}

fn compare(on: On, count: usize, opts: &[&str], send: fn(&Veth, &Sender)) -> String {
    let sys = run(Against::System, on, count, opts, send);
    let ours = run(Against::Ringcap, on, count, opts, send);
    let pkts = sys.lines().filter(|l| l.starts_with("caplen=")).count();
    assert_eq!(pkts, count, "libpcap delivered the expected packets ({opts:?}):\n{sys}");
    assert_eq!(ours, sys, "ringcap vs libpcap ({opts:?})");
    ours
}

fn send_vlan_mix(v: &Veth, tx: &Sender) {
    tx.send(&vlan_frame(v.a_mac, v.b_mac, 0x8100, 100, 1, 100));
    tx.send(&vlan_frame(v.a_mac, v.b_mac, 0x8100, 0xe00a, 2, 300));
    tx.send(&frame(v.a_mac, v.b_mac, 3, 80));
    // 802.1ad outer tag around an 802.1Q inner tag.
    let inner = vlan_frame(v.a_mac, v.b_mac, 0x8100, 20, 4, 120);
    let mut qinq = inner[..12].to_vec();
    qinq.extend_from_slice(&[0x88, 0xa8, 0x00, 0x07]);
    qinq.extend_from_slice(&inner[12..]);
    tx.send(&qinq);
}

fn send_three(v: &Veth, tx: &Sender) {
    for (i, len) in [64usize, 200, 1500].into_iter().enumerate() {
        tx.send(&frame(v.a_mac, v.b_mac, i as u32, len));
    }
}

#[test]
fn vlan_tags_are_reinserted_like_libpcap() {
    let out = compare(On::A, 4, &[], send_vlan_mix);
    assert!(out.contains("81000064"), "the 802.1Q tag is back in the frame");
    compare(On::A, 4, &["next_ex"], send_vlan_mix);
}

#[test]
fn vlan_with_short_snaplen() {
    compare(On::A, 4, &["snaplen=18", "all"], send_vlan_mix);
    compare(On::A, 4, &["snaplen=10", "all"], send_vlan_mix);
    compare(On::A, 4, &["snaplen=14", "all", "next_ex"], send_vlan_mix);
}

#[test]
fn any_device_cooked_sll() {
    // Each frame is seen leaving rcb and arriving on rca.
    compare(On::Any, 6, &[], send_three);
    compare(On::Any, 8, &[], send_vlan_mix);
}

#[test]
fn any_device_cooked_sll2() {
    compare(On::Any, 6, &["dlt=276"], send_three);
}

#[test]
fn any_device_sll2_keeps_vlan_tags() {
    // libpcap 1.10.3 drops the tag of DLT_LINUX_SLL2 packets (its issue
    // #1105); ringcap re-inserts it: the protocol field carries the TPID and
    // the TCI plus the inner protocol follow the 20-byte header.
    let ours = run(Against::Ringcap, On::Any, 8, &["dlt=276"], send_vlan_mix);
    let sys = run(Against::System, On::Any, 8, &["dlt=276"], send_vlan_mix);
    let incoming_tagged = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("caplen="))
            .map(|l| l.split(' ').nth(2).unwrap().to_string())
            .filter(|hex| hex.starts_with("8100") && &hex[20..22] == "00")
            .count()
    };
    assert!(incoming_tagged(&ours) >= 2, "{ours}");
    assert_eq!(incoming_tagged(&sys), 0, "libpcap 1.10.3 still drops SLL2 tags:\n{sys}");
    // Without tags both libraries agree byte for byte.
    compare(On::Any, 6, &["dlt=276"], send_three);
}

#[test]
fn direction_on_the_sending_side() {
    compare(On::B, 3, &["dir=out"], send_three);
    compare(On::B, 3, &["dir=inout"], send_three);
    compare(On::B, 0, &["dir=in"], send_three);
    compare(On::A, 0, &["dir=out"], send_three);
    compare(On::A, 3, &["dir=in"], send_three);
}

#[test]
fn snaplen_promisc_immediate_nano() {
    compare(On::A, 3, &["snaplen=60", "promisc"], send_three);
    compare(On::A, 3, &["immediate", "nano"], send_three);
    compare(On::A, 3, &["immediate", "next_ex"], send_three);
}
