//! Zero-copy batch receive, per-packet metadata, ring geometry, extended
//! statistics and hardware-timestamp requests, through the safe Rust API, on
//! veth pairs in a private namespace: exact frames, in order, with the
//! metadata the kernel gave (VLAN TCI/TPID, packet type, flow hash, ifindex,
//! protocol, timestamp source).

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::netns::{frame, frame_seq, udp_frame, udp_frame_fields, vlan_frame, with_veth, Sender, Veth, TEST_ETHERTYPE};
use ringcap::api::{Capture, CaptureBuilder, TsSource, Version};
use ringcap::capture::RingOverride;
use ringcap::error::code;
use ringcap::ring::geometry::{self, Limits, RingRequest};

const PACKET_HOST: u8 = 0;
const PACKET_BROADCAST: u8 = 1;
const PACKET_MULTICAST: u8 = 2;
const PACKET_OTHERHOST: u8 = 3;
const PACKET_OUTGOING: u8 = 4;

fn builder(v: &Veth, version: Version) -> CaptureBuilder {
    Capture::builder(&v.a).tpacket_version(version).timeout(Duration::from_millis(20)).buffer_size(4 << 20)
}

/// What a test expects of one received frame.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    data: Vec<u8>,
    pkttype: u8,
    vlan: Option<(u16, u16)>,
    protocol: u16,
}

/// (rxhash, ts_ns, ifindex, ts_source) of a received frame.
type Extra = (u32, u64, i32, TsSource);

/// Receive with batches of at most `max` until `want` frames came or 5 s
/// passed; returns what each looked like and its `Extra`.
fn collect(cap: &mut Capture, want: usize, max: usize) -> (Vec<Seen>, Vec<Extra>) {
    let (mut seen, mut extra) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < want && Instant::now() < deadline {
        let b = cap.batch(max, Some(Duration::from_millis(50))).expect("batch");
        assert!(b.len() <= max, "a batch holds at most max packets");
        for p in &b {
            seen.push(Seen { data: p.data().to_vec(), pkttype: p.pkttype(), vlan: p.vlan(), protocol: p.protocol() });
            extra.push((p.rxhash(), p.ts_ns(), p.ifindex(), p.ts_source()));
            assert_eq!((p.header().caplen as usize, p.len() as usize), (p.data().len(), p.data().len()));
        }
    }
    (seen, extra)
}

fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn metadata_case(version: Version) {
    with_veth(move |v| {
        let mut cap = builder(v, version).activate().expect("activate");
        assert!(cap.warning().is_none());
        let tx = Sender::new(v.b_index);
        let own = Sender::new(v.a_index);
        let mut want = Vec::new();
        let mut push = |f: Vec<u8>, pkttype: u8, vlan: Option<(u16, u16)>, protocol: u16, from: &Sender| {
            from.send(&f);
            // The kernel takes VLAN tags off received frames; TPACKET_V1's
            // header has no field to hand the tag over in, so it is gone.
            let (data, vlan) = match vlan {
                Some(_) if version == Version::V1 => ([&f[..12], &f[16..]].concat(), None),
                _ => (f, vlan),
            };
            want.push(Seen { data, pkttype, vlan, protocol });
        };
        let mut seq = 0;
        let mut next = || {
            seq += 1;
            seq
        };
        for _ in 0..4 {
            push(frame(v.a_mac, v.b_mac, next(), 60), PACKET_HOST, None, TEST_ETHERTYPE, &tx);
            push(frame([0xff; 6], v.b_mac, next(), 64), PACKET_BROADCAST, None, TEST_ETHERTYPE, &tx);
            push(frame([0x01, 0x00, 0x5e, 0, 0, 7], v.b_mac, next(), 100), PACKET_MULTICAST, None, TEST_ETHERTYPE, &tx);
            push(frame([0x02, 0, 0, 0, 0, 0x99], v.b_mac, next(), 70), PACKET_OTHERHOST, None, TEST_ETHERTYPE, &tx);
            push(vlan_frame(v.a_mac, v.b_mac, 0x8100, 100, next(), 80), PACKET_HOST, Some((0x8100, 100)), TEST_ETHERTYPE, &tx);
            push(vlan_frame(v.a_mac, v.b_mac, 0x88a8, 0x2000 | 200, next(), 90), PACKET_HOST, Some((0x88a8, 0x2000 | 200)), TEST_ETHERTYPE, &tx);
            // Sent from the capturing interface itself: seen going out.
            push(frame(v.b_mac, v.a_mac, next(), 60), PACKET_OUTGOING, None, TEST_ETHERTYPE, &own);
        }
        // Two UDP flows, interleaved.
        for i in 0..10 {
            push(udp_frame(v, 1000 + i, 0, 0), PACKET_HOST, None, 0x0800, &tx);
            push(udp_frame(v, 2000 + i, 1, 0), PACKET_HOST, None, 0x0800, &tx);
        }
        let start = now_ns();
        let (seen, extra) = collect(&mut cap, want.len(), 7);
        assert_eq!(seen.len(), want.len(), "{version}: every frame, once");
        for (i, (s, w)) in seen.iter().zip(&want).enumerate() {
            assert_eq!(s, w, "{version}: frame {i} (bytes with the tag back in, packet type, tag, protocol)");
        }
        let mut last = 0;
        for (i, &(_, ts, ifindex, src)) in extra.iter().enumerate() {
            assert_eq!(ifindex, v.a_index, "{version}: frame {i} ifindex");
            assert_eq!(src, TsSource::Software, "{version}: frame {i} stamped by the host");
            assert!(ts >= last && ts.abs_diff(start) < 5_000_000_000, "{version}: frame {i} time {ts}");
            last = ts;
        }
        // The flow hash: V3 only; the same for a flow, different between flows.
        let flows: Vec<(u32, u32)> = seen
            .iter()
            .zip(&extra)
            .filter(|(s, _)| s.protocol == 0x0800)
            .map(|(s, e)| (udp_frame_fields(&s.data).unwrap().1, e.0))
            .collect();
        assert_eq!(flows.len(), 20);
        let hashes = |port: u32| flows.iter().filter(|f| f.0 == port).map(|f| f.1).collect::<Vec<_>>();
        let (a, b) = (hashes(0), hashes(1));
        if version == Version::V3 {
            assert!(a[0] != 0 && a.iter().all(|&h| h == a[0]), "{version}: one hash for flow 0: {a:x?}");
            assert!(b.iter().all(|&h| h == b[0]) && a[0] != b[0], "{version}: flow 1 hashes alike, unlike flow 0: {b:x?}");
        } else {
            assert!(a.iter().chain(&b).all(|&h| h == 0), "{version}: no rxhash before V3");
        }
    });
}

#[test]
fn v1_batch_metadata() {
    metadata_case(Version::V1);
}

#[test]
fn v2_batch_metadata() {
    metadata_case(Version::V2);
}

#[test]
fn v3_batch_metadata() {
    metadata_case(Version::V3);
}

/// A batch keeps its blocks from the kernel until it is dropped: a burst
/// that needs them is dropped while they are held and fits once they are
/// back. Also: `next_packet` goes on where a batch stopped, timeouts, break.
#[test]
fn batches_hold_the_ring_until_dropped() {
    with_veth(|v| {
        // 4 blocks of 8 KiB: 11 frames of 600 bytes each, 44 in all.
        let ring = RingOverride { block_size: 8192, block_nr: 4, block_timeout_ms: Some(5), ..Default::default() };
        let mut cap = builder(v, Version::V3).ring(ring).activate().unwrap();
        let tx = Sender::new(v.b_index);
        // Nothing there: an empty batch at once, and after a short wait.
        assert!(cap.batch(8, Some(Duration::ZERO)).unwrap().is_empty());
        assert!(cap.batch(8, Some(Duration::from_millis(30))).unwrap().is_empty());
        let mut seq = 0u32;
        let mut burst = |n: u32| {
            for _ in 0..n {
                tx.send(&frame(v.a_mac, v.b_mac, seq, 600));
                seq += 1;
            }
        };
        let mut got = Vec::new();
        let drain = |cap: &mut Capture, got: &mut Vec<u32>| loop {
            let b = cap.batch(64, Some(Duration::from_millis(50))).unwrap();
            if b.is_empty() {
                return;
            }
            got.extend(b.iter().map(|p| frame_seq(p.data()).unwrap()));
        };
        // Held: one block's packets; a 40-frame burst has 3 blocks left.
        burst(11);
        std::thread::sleep(Duration::from_millis(20));
        let held = cap.batch(64, Some(Duration::from_secs(1))).unwrap();
        assert!(!held.is_empty());
        got.extend(held.iter().map(|p| frame_seq(p.data()).unwrap()));
        burst(40);
        std::thread::sleep(Duration::from_millis(20));
        drop(held);
        drain(&mut cap, &mut got);
        let s = cap.stats_ex().unwrap();
        assert!(s.kernel.drops > 0, "the held block was not reused: {s:?}");
        assert_eq!(got.len() as u64 + s.kernel.drops, 51, "received + dropped == sent");
        // Not held: a burst of 30 fits (44 frames of room, less at most one
        // block a timeout may hand over partly filled).
        burst(30);
        std::thread::sleep(Duration::from_millis(20));
        let before = got.len();
        drain(&mut cap, &mut got);
        assert_eq!((got.len() - before, cap.stats_ex().unwrap().kernel.drops), (30, s.kernel.drops), "nothing dropped with the ring free");
        assert!(got.windows(2).all(|w| w[0] < w[1]), "in order");
        // next_packet goes on where a batch stopped.
        burst(5);
        let first = cap.batch(2, Some(Duration::from_secs(1))).unwrap().iter().map(|p| frame_seq(p.data()).unwrap()).collect::<Vec<_>>();
        let mut rest = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while first.len() + rest.len() < 5 && Instant::now() < deadline {
            if let Some(p) = cap.next_packet().unwrap() {
                rest.push(frame_seq(p.data()).unwrap());
            }
        }
        assert_eq!([first, rest].concat(), (seq - 5..seq).collect::<Vec<_>>());
        // A break stops the next batch.
        cap.break_handle().request();
        assert_eq!(cap.batch(8, None).unwrap_err().code, code::BREAK);
    });
}

/// The callback path (dispatch) sees the same packets and metadata.
#[test]
fn dispatch_delivers_what_batches_deliver() {
    with_veth(|v| {
        let mut cap = builder(v, Version::V2).activate().unwrap();
        let tx = Sender::new(v.b_index);
        let sent: Vec<Vec<u8>> = (0..10).map(|i| vlan_frame(v.a_mac, v.b_mac, 0x8100, 7, i, 64)).collect();
        for f in &sent {
            tx.send(f);
        }
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < sent.len() && Instant::now() < deadline {
            cap.dispatch(0, |p| got.push((p.data().to_vec(), p.vlan(), p.pkttype()))).unwrap();
        }
        let want: Vec<_> = sent.iter().map(|f| (f.clone(), Some((0x8100, 7)), PACKET_HOST)).collect();
        assert_eq!(got, want);
    });
}

/// Extended statistics under overload: the kernel's counts add up, and a V3
/// ring that filled while nobody read froze.
#[test]
fn stats_ex_account_for_overload() {
    for version in [Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut cap = builder(v, version).snaplen(256).buffer_size(64 << 10).activate().unwrap();
            let tx = Sender::new(v.b_index);
            let n = 10_000u64;
            for i in 0..n {
                tx.send_retry(&frame(v.a_mac, v.b_mac, i as u32, 200));
            }
            let mut got = 0u64;
            loop {
                let b = cap.batch(512, Some(Duration::from_millis(100))).unwrap();
                if b.is_empty() {
                    break;
                }
                got += b.len() as u64;
            }
            let s = cap.stats_ex().unwrap();
            assert_eq!(s.kernel.packets, n, "{version}: tp_packets counts every frame");
            assert!(s.kernel.drops > 0, "{version}: the burst overflowed");
            assert_eq!(got + s.kernel.drops, n, "{version}: received + dropped == sent");
            assert_eq!(s.counters.packets_read, got, "{version}: packets read");
            assert!(s.counters.units_consumed > 0 && s.counters.polls > 0);
            if version == Version::V3 {
                assert!(s.kernel.freeze_q_cnt > 0, "a V3 ring that filled up froze");
            } else {
                assert_eq!(s.kernel.freeze_q_cnt, 0);
            }
            // pcap_stats reports the same kernel totals.
            let p = cap.stats().unwrap();
            assert_eq!((p.recv as u64, p.drop as u64), (n, s.kernel.drops));
        });
    }
}

/// An explicit geometry is what the kernel gets; an impossible one is
/// refused naming the constraint.
#[test]
fn explicit_geometry_is_used_and_checked() {
    with_veth(|v| {
        let r = RingOverride { block_size: 1 << 16, block_nr: 6, frame_size: 2048, block_timeout_ms: Some(7), sizeof_priv: 64 };
        let cap = builder(v, Version::V3).ring(r).activate().unwrap();
        let i = cap.ring_info();
        assert_eq!((i.rx.block_size, i.rx.block_nr, i.rx.frame_size, i.rx.retire_blk_tov, i.rx.sizeof_priv), (1 << 16, 6, 2048, 7, 64));
        assert_eq!(i.rx.frame_nr, 32 * 6);
        assert_eq!(i.header_len, 68);
        assert!(i.mapped_bytes >= 6 << 16);
        let v2 = builder(v, Version::V2).ring(RingOverride { block_size: 8192, block_nr: 3, frame_size: 1024, ..Default::default() }).activate().unwrap();
        let i = v2.ring_info();
        assert_eq!((i.rx.block_size, i.rx.block_nr, i.rx.frame_size, i.rx.frame_nr), (8192, 3, 1024, 24));
        let bad = |r: RingOverride, version: Version| builder(v, version).ring(r).activate().unwrap_err().message;
        assert_eq!(
            bad(RingOverride { block_size: 12288, block_nr: 2, ..Default::default() }, Version::V3),
            "ring geometry: block size 12288 is not a power of two"
        );
        assert_eq!(
            bad(RingOverride { block_size: 4096, block_nr: 2, frame_size: 4100, ..Default::default() }, Version::V2),
            "ring geometry: frame size 4100 is not a multiple of TPACKET_ALIGNMENT (16)"
        );
        assert_eq!(
            bad(RingOverride { block_size: 4096, block_nr: 2, frame_size: 32, ..Default::default() }, Version::V2),
            "ring geometry: frame size 32 is smaller than the TPACKET_V2 frame header (56 bytes with a reserve of 4)"
        );
    });
}

/// Every geometry the calculator produces, the kernel accepts.
#[test]
fn the_calculator_agrees_with_the_kernel() {
    with_veth(|_| {
        use std::os::fd::AsFd;
        use ringcap::sys::socket;
        let limits = Limits::probe();
        let mut tried = 0;
        for version in [Version::V1, Version::V2, Version::V3] {
            for buffer in [32 << 10, 256 << 10, 1 << 20, 3 << 20, 8 << 20, 24 << 20] {
                for snaplen in [64u32, 1518, 9018, 65535, 262144] {
                    let req = RingRequest { version, buffer_bytes: buffer, max_packet: snaplen, reserve: 4, retire_blk_tov: 0, sizeof_priv: 0, feature_req_word: 0 };
                    let g = geometry::plan(&req, &limits).unwrap_or_else(|e| panic!("{version} {buffer} {snaplen}: {e}"));
                    let fd = socket::packet_socket(socket::PacketKind::Raw, 0).unwrap();
                    socket::setsockopt(fd.as_fd(), libc::SOL_PACKET, libc::PACKET_VERSION, &version.to_kernel()).unwrap();
                    socket::setsockopt(fd.as_fd(), libc::SOL_PACKET, libc::PACKET_RESERVE, &4i32).unwrap();
                    let r = if version == Version::V3 {
                        let req = libc::tpacket_req3 {
                            tp_block_size: g.block_size,
                            tp_block_nr: g.block_nr,
                            tp_frame_size: g.frame_size,
                            tp_frame_nr: g.frame_nr,
                            tp_retire_blk_tov: 0,
                            tp_sizeof_priv: 0,
                            tp_feature_req_word: 0,
                        };
                        socket::setsockopt(fd.as_fd(), libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
                    } else {
                        let req = libc::tpacket_req { tp_block_size: g.block_size, tp_block_nr: g.block_nr, tp_frame_size: g.frame_size, tp_frame_nr: g.frame_nr };
                        socket::setsockopt(fd.as_fd(), libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
                    };
                    r.unwrap_or_else(|e| panic!("kernel refused {g:?} for {version} {buffer} {snaplen}: {e}"));
                    tried += 1;
                }
            }
        }
        assert_eq!(tried, 90);
    });
}

/// Hardware timestamps asked of a device without them (veth): a warning,
/// PCAP_WARNING_TSTAMP_TYPE_NOTSUP, and packets stamped by the host.
#[test]
fn hardware_timestamps_fall_back_with_a_warning() {
    for t in [3, 4] {
        with_veth(move |v| {
            let mut cap = builder(v, Version::V3).tstamp_type(t).activate().unwrap();
            let w = cap.warning().expect("a warning");
            assert_eq!((w.code, w.text()), (code::WARNING_TSTAMP_TYPE_NOTSUP, "That type of time stamp is not supported by that device"));
            Sender::new(v.b_index).send(&frame(v.a_mac, v.b_mac, 1, 60));
            let (seen, extra) = collect(&mut cap, 1, 4);
            assert_eq!(seen.len(), 1);
            assert_eq!(extra[0].3, TsSource::Software);
        });
    }
}
