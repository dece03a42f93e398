//! The live capture matrix on real veth pairs: TPACKET_V1/V2/V3, µs and ns
//! timestamps, snapshot lengths; exact bytes, lengths, order, timestamps and
//! statistics, plus overload accounting (captured + dropped = sent).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{frame, frame_seq, with_veth, Sender, Veth};
use ringcap::capture::{self, LiveCapture, Options};
use ringcap::packet::{Breaker, PacketSource, Precision};
use ringcap::ring::Version;

fn open(v: &Veth, f: impl FnOnce(&mut Options)) -> LiveCapture {
    let mut o = Options::new(&v.a);
    o.timeout_ms = 50;
    f(&mut o);
    capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).expect("activate").capture
}

/// Read until `want` test frames arrived or 5 s passed; returns (header, bytes).
fn collect(c: &mut LiveCapture, want: usize) -> Vec<(ringcap::packet::PacketHeader, Vec<u8>)> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < want && Instant::now() < deadline {
        c.dispatch(-1, &mut |h, d| got.push((*h, d.to_vec()))).expect("dispatch");
    }
    got
}

fn sizes() -> Vec<usize> {
    vec![60, 64, 100, 511, 1000, 1514]
}

fn matrix_case(version: Version, precision: Precision, snaplen: i32) {
    with_veth(move |v| {
        let mut c = open(v, |o| {
            o.tpacket_version = Some(version);
            o.precision = precision;
            o.snaplen = snaplen;
        });
        assert_eq!(c.geometry().version, version);
        let tx = Sender::new(v.b_index);
        let mut sent = Vec::new();
        for (i, len) in sizes().into_iter().cycle().take(60).enumerate() {
            let f = frame(v.a_mac, v.b_mac, i as u32, len);
            tx.send(&f);
            sent.push(f);
        }
        let got = collect(&mut c, sent.len());
        assert_eq!(got.len(), sent.len(), "{version} {precision:?} snaplen {snaplen}: packets delivered");
        let limit = if snaplen > 0 { snaplen as usize } else { usize::MAX };
        let mut last = (0i64, 0i64);
        for (i, ((h, data), f)) in got.iter().zip(&sent).enumerate() {
            assert_eq!(frame_seq(f), Some(i as u32));
            assert_eq!(h.len as usize, f.len(), "wire length of frame {i}");
            assert_eq!(h.caplen as usize, f.len().min(limit), "caplen of frame {i}");
            assert_eq!(data.as_slice(), &f[..f.len().min(limit)], "bytes of frame {i}");
            let frac_max = if precision == Precision::Nano { 1_000_000_000 } else { 1_000_000 };
            #[allow(clippy::unnecessary_cast)] // time_t/suseconds_t are not i64 everywhere
            let t = (h.ts.tv_sec as i64, h.ts.tv_usec as i64);
            assert!((0..frac_max).contains(&t.1), "fraction in range");
            assert!(t >= last, "timestamps monotonic: {t:?} after {last:?}");
            last = t;
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((last.0 - now).abs() < 5, "timestamps are wall-clock");
        let s = c.shared().pcap_stats().unwrap();
        assert_eq!((s.recv, s.drop), (sent.len() as u32, 0), "pcap_stats counts what was sent");
    });
}

#[test]
fn v1_micro() {
    matrix_case(Version::V1, Precision::Micro, 0);
}

#[test]
fn v1_nano_snaplen() {
    matrix_case(Version::V1, Precision::Nano, 100);
}

#[test]
fn v2_micro_snaplen() {
    matrix_case(Version::V2, Precision::Micro, 64);
}

#[test]
fn v2_nano() {
    matrix_case(Version::V2, Precision::Nano, 0);
}

#[test]
fn v3_micro() {
    matrix_case(Version::V3, Precision::Micro, 0);
}

#[test]
fn v3_nano_snaplen() {
    matrix_case(Version::V3, Precision::Nano, 200);
}

/// Overload: a tiny ring and no reader while a burst arrives; afterwards
/// every frame sent is either captured or counted as dropped.
#[test]
fn overload_accounts_for_every_frame() {
    for version in [Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut c = open(v, |o| {
                o.tpacket_version = Some(version);
                o.snaplen = 256;
                o.buffer_size = 64 * 1024;
            });
            let tx = Sender::new(v.b_index);
            let n = 20_000u32;
            for i in 0..n {
                tx.send_retry(&frame(v.a_mac, v.b_mac, i, 200));
            }
            let mut captured = 0u32;
            let mut seqs = Vec::new();
            loop {
                let k = c.dispatch(-1, &mut |_, d| {
                    captured += 1;
                    seqs.push(frame_seq(d).unwrap());
                })
                .unwrap();
                if k == 0 {
                    break;
                }
            }
            let s = c.shared().pcap_stats().unwrap();
            assert!(s.drop > 0, "{version}: the burst overflowed the ring");
            assert_eq!(s.recv, n, "{version}: tp_packets counts every frame");
            assert_eq!(captured + s.drop, n, "{version}: captured + dropped == sent");
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{version}: delivered in order");
        });
    }
}
