//! Live-handle behaviour libpcap leaves loosely defined or gets wrong, and
//! ringcap pins down: timeouts honoured for every TPACKET version, blocking
//! without a timeout until a packet, promiscuous membership undone at close,
//! immediate mode latency, and an interface that disappears mid-capture.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{frame, ip, with_veth, Sender, Veth};
use ringcap::capture::{self, LiveCapture, Options};
use ringcap::packet::{Breaker, Next, PacketSource};
use ringcap::ring::Version;

fn open(v: &Veth, f: impl FnOnce(&mut Options)) -> LiveCapture {
    let mut o = Options::new(&v.a);
    f(&mut o);
    capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).expect("activate").capture
}

#[test]
fn timeout_returns_zero_on_an_idle_link() {
    for version in [Version::V1, Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut c = open(v, |o| {
                o.timeout_ms = 100;
                o.tpacket_version = Some(version);
            });
            let t = Instant::now();
            assert_eq!(c.dispatch(-1, &mut |_, _| {}).unwrap(), 0);
            let el = t.elapsed();
            assert!(el >= Duration::from_millis(90) && el < Duration::from_secs(2), "{version}: {el:?}");
            assert!(matches!(c.next_packet().unwrap(), Next::Timeout));
        });
    }
}

#[test]
fn no_timeout_blocks_until_a_packet() {
    with_veth(|v| {
        let mut c = open(v, |o| o.timeout_ms = 0);
        let (idx, a_mac, b_mac) = (v.b_index, v.a_mac, v.b_mac);
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            Sender::new(idx).send(&frame(a_mac, b_mac, 7, 90));
        });
        let t = Instant::now();
        let mut got = Vec::new();
        let n = c.dispatch(-1, &mut |h, d| got.push((h.caplen, d.to_vec()))).unwrap();
        assert_eq!(n, 1);
        assert!(t.elapsed() >= Duration::from_millis(250), "returned before the packet existed");
        assert_eq!(got[0].0, 90);
        sender.join().unwrap();
    });
}

/// The device's promiscuity count as `ip -d link` reports it (packet-socket
/// memberships raise the count, not the IFF_PROMISC flag users set).
fn promisc_flag(dev: &str) -> bool {
    let out = std::process::Command::new("ip").args(["-d", "link", "show", dev]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let n = text.split_whitespace().skip_while(|w| *w != "promiscuity").nth(1).unwrap().parse::<u32>().unwrap();
    n > 0
}

#[test]
fn promiscuous_membership_lasts_as_long_as_the_handle() {
    with_veth(|v| {
        assert!(!promisc_flag(&v.a));
        let c = open(v, |o| o.promisc = true);
        assert!(promisc_flag(&v.a));
        // Frames for another MAC are seen in promiscuous mode.
        let mut c = c;
        Sender::new(v.b_index).send(&frame([2, 9, 9, 9, 9, 9], v.b_mac, 1, 64));
        let mut n = 0;
        let t = Instant::now();
        while n == 0 && t.elapsed() < Duration::from_secs(3) {
            n += c.dispatch(-1, &mut |_, _| {}).unwrap();
        }
        assert_eq!(n, 1);
        drop(c);
        assert!(!promisc_flag(&v.a), "membership dropped at close");
    });
}

#[test]
fn immediate_mode_delivers_each_packet_promptly() {
    with_veth(|v| {
        let mut c = open(v, |o| {
            o.immediate = true;
            o.timeout_ms = 1000;
        });
        let tx = Sender::new(v.b_index);
        for i in 0..20u32 {
            let t = Instant::now();
            tx.send(&frame(v.a_mac, v.b_mac, i, 80));
            let mut n = 0;
            while n == 0 {
                n = c.dispatch(-1, &mut |_, _| {}).unwrap();
            }
            assert_eq!(n, 1);
            // Generous bound: the property is "not held for the 1 s timeout".
            assert!(t.elapsed() < Duration::from_millis(100), "packet {i} waited {:?}", t.elapsed());
        }
    });
}

#[test]
fn interface_deleted_during_a_blocking_read() {
    with_veth(|v| {
        let mut c = open(v, |o| o.timeout_ms = 0);
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            ip(&["link", "del", "rcb"]);
        });
        let t = Instant::now();
        let e = c.dispatch(-1, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.message, "The interface disappeared");
        assert!(t.elapsed() < Duration::from_secs(3));
    });
}
