//! Filters on live captures: the kernel runs the program; packets that were
//! already in the ring when the filter changed are filtered in userland;
//! cooked captures get ancillary loads; programs the kernel cannot run are
//! applied in userland.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{frame, with_veth, Sender, Veth};
use ringcap::bpf::insn::*;
use ringcap::bpf::Insn;
use ringcap::capture::{self, LiveCapture, Options};
use ringcap::packet::{Breaker, PacketSource};
use ringcap::ring::Version;

fn open(v: &Veth, dev: &str, version: Version) -> LiveCapture {
    let mut o = Options::new(dev);
    o.timeout_ms = 50;
    o.tpacket_version = Some(version);
    let _ = v;
    capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).unwrap().capture
}

/// Accept frames whose 16-bit field at `off` equals `value`.
fn match_u16(off: u32, value: u16) -> Vec<Insn> {
    vec![
        Insn::stmt(BPF_LD | BPF_H | BPF_ABS, off),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, value as u32, 0, 1),
        Insn::stmt(BPF_RET | BPF_K, 262144),
        Insn::stmt(BPF_RET | BPF_K, 0),
    ]
}

fn typed(v: &Veth, seq: u32, ethertype: u16) -> Vec<u8> {
    let mut f = frame(v.a_mac, v.b_mac, seq, 80);
    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
    f
}

fn drain(c: &mut LiveCapture, quiet_ms: u64) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_millis(quiet_ms) {
        if c.dispatch(-1, &mut |_, d| got.push(d.to_vec())).unwrap() > 0 {
            last = Instant::now();
        }
    }
    got
}

#[test]
fn packets_queued_before_a_filter_change_are_filtered_in_userland() {
    for version in [Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut c = open(v, &v.a, version);
            let tx = Sender::new(v.b_index);
            // Queued under "accept all": half of them will not match.
            for i in 0..10 {
                tx.send(&typed(v, i, if i % 2 == 0 { 0x88b5 } else { 0x88b6 }));
            }
            std::thread::sleep(Duration::from_millis(100));
            c.set_filter(&match_u16(12, 0x88b5)).unwrap();
            for i in 10..20 {
                tx.send(&typed(v, i, if i % 2 == 0 { 0x88b5 } else { 0x88b6 }));
            }
            let got = drain(&mut c, 300);
            let seqs: Vec<u32> = got.iter().map(|f| u32::from_be_bytes(f[14..18].try_into().unwrap())).collect();
            assert_eq!(seqs, (0..20).filter(|i| i % 2 == 0).collect::<Vec<_>>(), "{version}");
            assert!(got.iter().all(|f| f[12..14] == [0x88, 0xb5]));
            // The kernel ran the filter for the later ones: only matches counted.
            let s = c.shared().pcap_stats().unwrap();
            assert_eq!(s.recv, 10 + 5, "{version}: 10 before the filter, 5 matches after");
            assert!(c.counters().userland_rejected >= 5);
        });
    }
}

#[test]
fn cooked_captures_filter_on_the_protocol_in_the_kernel() {
    with_veth(|v| {
        let mut c = open(v, "any", Version::V3);
        // SLL protocol field at offset 14 becomes SKF_AD_PROTOCOL.
        c.set_filter(&match_u16(14, 0x88b5)).unwrap();
        let tx = Sender::new(v.b_index);
        for i in 0..6 {
            tx.send(&typed(v, i, if i < 3 { 0x88b5 } else { 0x88b6 }));
        }
        let got = drain(&mut c, 300);
        // Each matching frame is seen leaving rcb and arriving on rca.
        assert_eq!(got.len(), 6);
        assert!(got.iter().all(|f| f[14..16] == [0x88, 0xb5]));
        // The cooked payload starts after the Ethernet header: sequence first.
        let seqs: Vec<u32> = got.iter().map(|f| u32::from_be_bytes(f[16..20].try_into().unwrap())).collect();
        assert_eq!(seqs, [0, 0, 1, 1, 2, 2]);
    });
}

#[test]
fn programs_the_kernel_cannot_run_are_applied_in_userland() {
    with_veth(|v| {
        let mut c = open(v, "any", Version::V3);
        // Offset 6 of the SLL header (the link-layer address) has no
        // ancillary equivalent: userland filtering.
        let prog = vec![
            Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 6 + 5),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x0b, 0, 1),
            Insn::stmt(BPF_RET | BPF_K, 262144),
            Insn::stmt(BPF_RET | BPF_K, 0),
        ];
        c.set_filter(&prog).unwrap();
        let tx = Sender::new(v.b_index);
        for i in 0..4 {
            tx.send(&typed(v, i, 0x88b5));
        }
        let got = drain(&mut c, 300);
        // The source address 02:..:0b is recorded for both the outgoing copy
        // (rcb's address) and the incoming one (the frame's source).
        assert_eq!(got.len(), 8);
        assert!(got.iter().all(|f| f[11] == 0x0b));
    });
}

#[test]
fn invalid_programs_are_refused() {
    with_veth(|v| {
        let mut c = open(v, &v.a, Version::V3);
        let e = c.set_filter(&[Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0)]).unwrap_err();
        assert_eq!(e.message, "BPF program is not valid");
    });
}

/// `inbound` compiles to a packet-type ancillary load: the kernel answers
/// it for new packets, and the userland pass over packets queued before
/// the filter changed reads the type the ring recorded (sll_pkttype), so
/// queued incoming frames are kept and queued outgoing ones dropped.
#[test]
fn queued_packets_are_filtered_by_direction_after_a_filter_change() {
    use ringcap::filter::{compile, CompileOptions};
    for version in [Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut c = open(v, &v.a, version);
            let incoming = Sender::new(v.b_index);
            let outgoing = Sender::new(v.a_index);
            let send = |range: std::ops::Range<u32>| {
                for i in range {
                    // Even: arrives on rca; odd: leaves rca.
                    let tx = if i % 2 == 0 { &incoming } else { &outgoing };
                    tx.send(&frame(v.a_mac, v.b_mac, i, 80));
                }
            };
            send(0..10);
            std::thread::sleep(Duration::from_millis(100));
            let opts = CompileOptions { linktype: 1, snaplen: 262144, optimize: true, netmask: 0, linux_vlan_ancillary: true };
            let prog = compile("inbound", &opts).unwrap();
            assert!(prog.iter().any(|i| i.k == SKF_AD_OFF + SKF_AD_PKTTYPE), "{prog:?}");
            c.set_filter(&prog).unwrap();
            send(10..20);
            let got = drain(&mut c, 300);
            let seqs: Vec<u32> = got.iter().map(|f| u32::from_be_bytes(f[14..18].try_into().unwrap())).collect();
            assert_eq!(seqs, (0..20).filter(|i| i % 2 == 0).collect::<Vec<_>>(), "{version}");
            // The five outgoing frames queued before the change were
            // rejected in userland (the kernel dropped the later ones).
            assert_eq!(c.counters().userland_rejected, 5, "{version}");
        });
    }
}
