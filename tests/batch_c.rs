//! ringcap's receive extensions through the C ABI (c-tests/batch_meta.c):
//! batches, per-packet metadata from every read path, ring information and
//! geometry, extended statistics, and every failure a caller can provoke;
//! the program's whole output is checked line by line.

mod common;

use common::netns::{frame, vlan_frame, with_veth, Sender};
use common::{build_c, start_until_ready, Against};

/// A frame the test sends, its packet type, and its VLAN tag (TPID, TCI).
type Sent = (Vec<u8>, u8, Option<(u16, u16)>);

fn frames(v: &common::netns::Veth, n: u32) -> Vec<Sent> {
    (0..n)
        .map(|i| match i % 4 {
            0 => (frame([0xff; 6], v.b_mac, i, 60), 1, None),
            1 => (vlan_frame(v.a_mac, v.b_mac, 0x8100, 100, i, 70), 0, Some((0x8100, 100))),
            2 => (frame(v.a_mac, v.b_mac, i, 200), 0, None),
            _ => (vlan_frame(v.a_mac, v.b_mac, 0x88a8, 5, i, 64), 0, Some((0x88a8, 5))),
        })
        .collect()
}

/// Everything the program printed (READY left out).
fn run(version: u32) -> String {
    let exe = build_c("batch_meta", Against::Ringcap, &[]);
    with_veth(move |v| {
        let started = start_until_ready(&exe, &[&v.a, &version.to_string(), "12"], Against::Ringcap);
        let tx = Sender::new(v.b_index);
        for (f, _, _) in frames(v, 12) {
            tx.send(&f);
        }
        started.finish().0
    })
    .expect("namespaces")
}

/// What the program prints before it opens the capture: the same on every
/// run.
const FAILURES: &str = r#"ringcap_next_batch(NULL, out, 2, 0) = -1
ringcap_release(NULL) = -1
meta(NULL) = (nil)
ringcap_get_ring_info(NULL, &info) = -1
ringcap_stats_ex(NULL, &st) = -1
ringcap_set_ring_geometry(NULL, &g) = -1
ringcap_next_batch(in, out, 2, 0) = -3 [This handle hasn't been activated yet]
ringcap_release(in) = -3 [This handle hasn't been activated yet]
ringcap_get_ring_info(in, &info) = -3 [This handle hasn't been activated yet]
ringcap_stats_ex(in, &st) = -3 [This handle hasn't been activated yet]
meta(inactive) = NULL [This handle hasn't been activated yet]
ringcap_set_ring_geometry(in, NULL) = -1 [ringcap_set_ring_geometry: the geometry pointer is NULL]
ringcap_set_ring_geometry(in, &g) = -1 [ringcap_set_ring_geometry: ring geometry: block size 12288 is not a power of two]
ringcap_set_ring_geometry(in, &g) = -1 [ringcap_set_ring_geometry: block size (8192) and block count (0) must both be set (all zero: computed by ringcap)]
ringcap_set_ring_geometry(in, &g) = -1 [ringcap_set_ring_geometry: ring geometry: frame size 100 is not a multiple of TPACKET_ALIGNMENT (16)]
ringcap_set_ring_geometry(in, &g) = -1 [ringcap_set_ring_geometry: ring geometry: a TPACKET_V3 block of 8192 bytes cannot hold its descriptor, a private area of 9000 bytes and one frame (9120 bytes needed)]
ringcap_set_tpacket_version(in, 2) = 0 []
ringcap_set_ring_geometry(in, &g) = -1 [ringcap_set_ring_geometry: block timeout and private area are TPACKET_V3 features, not TPACKET_V2 (see ringcap_set_tpacket_version)]
ringcap_set_ring_geometry(in, &g) = 0 []
ringcap_next_batch(dead, out, 2, 0) = -1 [ringcap_next_batch: not a live capture]
ringcap_release(dead) = -1 [ringcap_release: not a live capture]
ringcap_get_ring_info(dead, &info) = -1 [ringcap_get_ring_info: not a live capture]
ringcap_stats_ex(dead, &st) = -1 [ringcap_stats_ex: not a live capture]
meta(dead) = NULL [ringcap_packet_meta: not a live capture]
ringcap_set_ring_geometry(dead, &g) = -4 [can't perform  operation on activated capture]
ringcap_ring_geometry_for(32 << 20, 262144, 3, &g, eb) = 0
v3 32M: 524288 x 64, frame 80
ringcap_ring_geometry_for(4 << 20, 1518, 2, &g, eb) = 0
v2 4M/1518: 131072 x 32, frame 1616 (81 frames a block)
ringcap_ring_geometry_for(1M, 100, 7) = -1 [ringcap_ring_geometry_for: TPACKET version 7 is not 1, 2 or 3]
ringcap_ring_geometry_for(out NULL) = -1 [ringcap_ring_geometry_for: the output pointer is NULL]"#;

/// The line the program prints for frame `seq` read through `path`.
fn line(path: &str, seq: u32, f: &[u8], pkttype: u8, vlan: Option<(u16, u16)>, version: u32) -> String {
    // TPACKET_V1 cannot hand the kernel's VLAN tag over: the frame arrives
    // without it.
    let (len, vlan) = match vlan {
        Some(_) if version == 1 => (f.len() - 4, None),
        v => (f.len(), v),
    };
    let (tpid, tci) = vlan.unwrap_or((0, 0));
    format!(
        "{path} seq={seq} caplen={len} len={len} pkttype={pkttype} vlan={tpid:04x}/{tci} proto=0x88b5 status_vlan={} same_if=1 src=sw ts_ok=1",
        vlan.is_some() as u8
    )
}

fn expected(version: u32) -> String {
    let hdrlen = if version == 3 { 68 } else { 52 };
    let (tov, sizeof_priv) = if version == 3 { (10, 32) } else { (0, 0) };
    let mut e = vec![
        FAILURES.to_string(),
        "ringcap_set_tpacket_version(p, version) = 0 []".into(),
        "ringcap_set_ring_geometry(p, &g) = 0 []".into(),
        "pcap_activate(p) = 0 []".into(),
        "ringcap_set_ring_geometry(p, &g) = -4 [can't perform  operation on activated capture]".into(),
        "ringcap_get_ring_info(p, &info) = 0 []".into(),
        format!("info version={version} block=65536 x 8 frame=2048 x 256 tov={tov} priv={sizeof_priv} hdrlen={hdrlen} reserve=4 mapped_ok=1"),
        "meta before any read = NULL [ringcap_packet_meta: no packet is current (call it after pcap_next_ex or inside a pcap_dispatch callback)]".into(),
    ];
    let v = common::netns::Veth {
        a: String::new(),
        b: String::new(),
        a_index: 0,
        b_index: 0,
        a_mac: [2, 0, 0, 0, 0, 0x0a],
        b_mac: [2, 0, 0, 0, 0, 0x0b],
    };
    for (seq, (f, pkttype, vlan)) in frames(&v, 12).into_iter().enumerate() {
        let seq = seq as u32;
        match seq {
            0..=3 => e.push(line("batch", seq, &f, pkttype, vlan, version)),
            4..=7 => {
                if seq == 4 {
                    e.push("ringcap_release(p) = 0 []".into());
                }
                e.push("next_ex data is the packet: 1".into());
                e.push(line("next_ex", seq, &f, pkttype, vlan, version));
            }
            _ => {
                e.push("callback data is the packet: 1, lengths agree: 1".into());
                e.push(line("dispatch", seq, &f, pkttype, vlan, version));
                if seq == 8 {
                    e.push("ringcap_next_batch(p, out, 1, 0) = -1 [ringcap_next_batch: not allowed from inside a callback of a read on the same pcap_t]".into());
                }
            }
        }
    }
    e.push("meta after dispatch = NULL [ringcap_packet_meta: no packet is current (call it after pcap_next_ex or inside a pcap_dispatch callback)]".into());
    e.push("ringcap_stats_ex(p, &st) = 0 []".into());
    e.push("stats tp_packets=12 tp_drops=0 read=12 units_ok=1 rejected=0".into());
    e.push("pcap_stats recv=12 drop=0".into());
    e.join("\n") + "\n"
}

fn check(version: u32) {
    let out = run(version);
    let want = expected(version);
    let diff: Vec<String> =
        want.lines().zip(out.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("want: {a}\n got: {b}")).collect();
    assert!(diff.is_empty() && want.lines().count() == out.lines().count(), "TPACKET_V{version}:\n{}\n--- whole output:\n{out}", diff.join("\n"));
}

#[test]
fn v1_extensions_through_the_c_abi() {
    check(1);
}

#[test]
fn v2_extensions_through_the_c_abi() {
    check(2);
}

#[test]
fn v3_extensions_through_the_c_abi() {
    check(3);
}
