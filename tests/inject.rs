//! Sending through the TX ring on real veth pairs in private namespaces:
//! the TPACKET_V1/V2/V3 matrix (single injects, batches, send queues, qdisc
//! bypass on and off, linear and zero-copy frames), byte-exact and in order
//! at the peer with exact counts; the error paths (oversize, empty, ring
//! full in non-blocking mode, device down, "any", cooked, malformed frames
//! with and without PACKET_LOSS); blocking on a full ring; close with frames
//! in flight; send-queue pacing; TX timestamps; and the rule that a handle
//! does not capture what it sent itself.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{frame, frame_seq, ip, vlan_frame, with_veth, Veth};
use ringcap::capture::inject::{self, Mode, Outcome, TxTimestamps};
use ringcap::capture::{self, LiveCapture, Options};
use ringcap::packet::{Breaker, PacketHeader, PacketSource};
use ringcap::ring::tx::StampSource;
use ringcap::ring::Version;

fn open(dev: &str, f: impl FnOnce(&mut Options)) -> LiveCapture {
    try_open(dev, f).expect("activate")
}

fn try_open(dev: &str, f: impl FnOnce(&mut Options)) -> ringcap::Result<LiveCapture> {
    let mut o = Options::new(dev);
    o.timeout_ms = 20;
    o.buffer_size = 16 << 20;
    f(&mut o);
    capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).map(|a| a.capture)
}

fn send(c: &LiveCapture, frames: &[Vec<u8>]) -> Outcome {
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let s = c.shared();
    let out = s.tx.lock().send(&s.sock, &refs, Mode::Batch);
    out
}

fn inject(c: &LiveCapture, f: &[u8]) -> ringcap::Result<usize> {
    let s = c.shared();
    let r = s.tx.lock().inject(&s.sock, f);
    r
}

/// Test frames (by sequence number) captured until `want` arrived or
/// `secs` passed, with their headers.
fn collect(c: &mut LiveCapture, want: usize, secs: u64) -> Vec<(PacketHeader, Vec<u8>)> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while got.len() < want && Instant::now() < deadline {
        c.dispatch(-1, &mut |h, d| {
            if seq(d).is_some() {
                got.push((*h, d.to_vec()));
            }
        })
        .expect("dispatch");
    }
    got
}

/// The sequence number of a test frame, 802.1Q-tagged or not.
fn seq(d: &[u8]) -> Option<u32> {
    if d.len() > 18 && d[12..14] == [0x81, 0x00] {
        let mut u = d[..12].to_vec();
        u.extend_from_slice(&d[16..]);
        return frame_seq(&u);
    }
    frame_seq(d)
}

/// Read whatever test frames arrive within `ms`.
fn linger(c: &mut LiveCapture, ms: u64) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        c.dispatch(-1, &mut |_, d| {
            if seq(d).is_some() {
                got.push(d.to_vec());
            }
        })
        .expect("dispatch");
    }
    got
}

/// A send queue (WinPcap/Npcap layout) of `frames`, the first stamped at
/// `t0_us` and each next one `gap_us` later.
fn queue_of(frames: &[Vec<u8>], t0_us: i64, gap_us: i64) -> Vec<u8> {
    let mut q = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let t = t0_us + i as i64 * gap_us;
        q.extend_from_slice(&(t / 1_000_000).to_ne_bytes());
        q.extend_from_slice(&(t % 1_000_000).to_ne_bytes());
        q.extend_from_slice(&(f.len() as u32).to_ne_bytes());
        q.extend_from_slice(&(f.len() as u32).to_ne_bytes());
        q.extend_from_slice(f);
    }
    q
}

fn transmit(c: &LiveCapture, q: &[u8], sync: bool) -> (usize, Option<ringcap::Error>) {
    let s = c.shared();
    let mut g = s.tx.lock();
    inject::transmit_queue(&mut g, &s.sock, q, sync)
}

/// Microseconds of a capture timestamp.
#[allow(clippy::unnecessary_cast)]
fn ts_us(h: &PacketHeader) -> i64 {
    h.ts.tv_sec as i64 * 1_000_000 + h.ts.tv_usec as i64
}

fn frames(v: &Veth, first: u32, n: usize) -> Vec<Vec<u8>> {
    let sizes = [14, 60, 64, 100, 511, 1000, 1514, 61];
    (0..n).map(|i| frame(v.a_mac, v.b_mac, first + i as u32, sizes[i % sizes.len()].max(22))).collect()
}

fn assert_arrived(got: &[(PacketHeader, Vec<u8>)], sent: &[Vec<u8>], what: &str) {
    assert_eq!(got.len(), sent.len(), "{what}: frames at the peer");
    for (i, ((h, d), f)) in got.iter().zip(sent).enumerate() {
        assert_eq!(d, f, "{what}: bytes of frame {i}");
        assert_eq!(h.len as usize, f.len(), "{what}: length of frame {i}");
    }
}

fn matrix_case(version: Version, linear: bool, bypass: bool) {
    with_veth(move |v| {
        let what = format!("{version} linear={linear} bypass={bypass}");
        let mut rx = open(&v.a, |_| {});
        let mut tx = open(&v.b, |o| {
            o.tpacket_version = Some(version);
            o.tx.linear = linear;
            o.tx.qdisc_bypass = bypass;
        });
        // Another capture on the sending device, and the sender's own ring.
        let mut witness = open(&v.b, |_| {});
        {
            let s = tx.shared().tx.lock();
            assert_eq!(s.layout().unwrap().vnet, linear, "{what}: linear mode");
            assert_eq!(s.ring_shape().1 as u32, inject::DEFAULT_TX_FRAMES, "{what}: default frame count");
            assert!(s.max_packet().unwrap() >= 1518, "{what}: a frame holds MTU + header + tag");
        }
        let mut sent = Vec::new();
        // Single injects.
        for f in frames(v, 0, 40) {
            assert_eq!(inject(&tx, &f).expect("inject"), f.len());
            sent.push(f);
        }
        // A batch larger than the ring (three kicks).
        let batch = frames(v, 40, 300);
        let o = send(&tx, &batch);
        assert!(o.error.is_none(), "{what}: {:?}", o.error);
        assert_eq!(o.sent, 300);
        sent.extend(batch);
        // A send queue without pacing (stamped a second apart: ignored).
        let queued = frames(v, 340, 25);
        let q = queue_of(&queued, 1_000_000_000, 1_000_000);
        let (bytes, err) = transmit(&tx, &q, false);
        assert!(err.is_none(), "{what}: {err:?}");
        assert_eq!(bytes, q.len());
        sent.extend(queued);
        // And paced: 6 frames 3 ms apart.
        let paced = frames(v, 365, 6);
        let q = queue_of(&paced, 1_000_000_000, 3000);
        let (bytes, err) = transmit(&tx, &q, true);
        assert_eq!((bytes, err.is_none()), (q.len(), true), "{what}");
        sent.extend(paced);

        let got = collect(&mut rx, sent.len(), 10);
        assert_arrived(&got, &sent, &what);
        // Paced frames are never early; how late depends on the machine's
        // load (tests run in parallel), so only gross lateness fails here
        // (send_queue_pacing checks the spacing closely).
        let t = &got[got.len() - 6..];
        for (i, (h, _)) in t.iter().enumerate() {
            let at = ts_us(h) - ts_us(&t[0].0);
            let due = i as i64 * 3000;
            assert!(at >= due - 200 && at <= due + 200_000, "{what}: paced frame {i} at {at} us, due at {due}");
        }
        assert_eq!(rx.shared().pcap_stats().unwrap().drop, 0);
        let seen = linger(&mut witness, 100);
        if bypass {
            assert!(seen.is_empty(), "{what}: qdisc bypass hides the frames from other sockets, saw {}", seen.len());
        } else {
            assert_eq!(seen, sent, "{what}: another capture on the sender sees every frame, in order");
        }
        assert!(linger(&mut tx, 50).is_empty(), "{what}: a handle does not capture what it sent");
    });
}

#[test]
fn v1_matrix() {
    for linear in [true, false] {
        for bypass in [false, true] {
            matrix_case(Version::V1, linear, bypass);
        }
    }
}

#[test]
fn v2_matrix() {
    for linear in [true, false] {
        for bypass in [false, true] {
            matrix_case(Version::V2, linear, bypass);
        }
    }
}

#[test]
fn v3_matrix() {
    for linear in [true, false] {
        for bypass in [false, true] {
            matrix_case(Version::V3, linear, bypass);
        }
    }
}

/// Without a TX ring (`RINGCAP_TX_RING=0x0`), one send() per packet.
#[test]
fn without_a_tx_ring() {
    with_veth(|v| {
        let mut rx = open(&v.a, |_| {});
        let tx = open(&v.b, |o| o.tx.ring = Some((0, 0)));
        assert_eq!(tx.shared().tx.lock().ring_shape(), (0, 0));
        let sent = frames(v, 0, 50);
        for f in &sent[..10] {
            assert_eq!(inject(&tx, f).unwrap(), f.len());
        }
        assert_eq!(send(&tx, &sent[10..]).sent, 40);
        assert_arrived(&collect(&mut rx, 50, 5), &sent, "no TX ring");
    });
}

#[test]
fn oversize_and_empty_frames_are_refused_before_the_ring() {
    for linear in [true, false] {
        with_veth(move |v| {
            let mut rx = open(&v.a, |_| {});
            let tx = open(&v.b, |o| o.tx.linear = linear);
            let big = frame(v.a_mac, v.b_mac, 1, 1515);
            let e = inject(&tx, &big).unwrap_err();
            assert_eq!(e.message, "send: Message too long", "linear={linear}");
            // 802.1Q frames may be 4 bytes longer, as with libpcap's send().
            let tagged = vlan_frame(v.a_mac, v.b_mac, 0x8100, 5, 2, 1518);
            assert_eq!(inject(&tx, &tagged).unwrap(), 1518);
            // In a batch: the frames before go, the error names the frame.
            let mut b = frames(v, 10, 3);
            b.push(big.clone());
            b.extend(frames(v, 20, 2));
            let o = send(&tx, &b);
            assert_eq!(o.sent, 3);
            let m = o.error.unwrap().message;
            // Refused in userland in both modes (the kernel never sees it).
            assert_eq!(m, "send: Message too long: frame 3 is 1515 bytes, more than rcb's MTU 1500 + 14-byte link header");
            let o = send(&tx, &[frames(v, 30, 1)[0].clone(), Vec::new()]);
            assert_eq!(o.sent, 1);
            assert_eq!(o.error.unwrap().message, "frame 1 has no bytes");
            let got = collect(&mut rx, 5, 5);
            let want: Vec<u32> = vec![2, 10, 11, 12, 30];
            assert_eq!(got.iter().map(|(_, d)| seq(d).unwrap()).collect::<Vec<_>>(), want);
            assert_eq!(got[0].1, tagged, "the tagged frame arrives whole");
            // The MTU grows after activation: the frame goes.
            ip(&["link", "set", "rcb", "mtu", "1600"]);
            ip(&["link", "set", "rca", "mtu", "1600"]);
            assert_eq!(inject(&tx, &big).unwrap(), 1515);
            assert_eq!(frame_seq(&collect(&mut rx, 1, 5)[0].1), Some(1));
        });
    }
}

/// A device with a large MTU: frames hold it, fewer of them.
#[test]
fn large_mtu_default_ring() {
    common::netns::with_veth_opts(&["mtu", "9000"], |v| {
        let mut rx = open(&v.a, |_| {});
        let tx = open(&v.b, |_| {});
        let (fs, n) = tx.shared().tx.lock().ring_shape();
        assert_eq!((fs, n), (9072, 30), "3 frames per 32 KiB block, 28 rounded up");
        let sent: Vec<Vec<u8>> = (0..40).map(|i| frame(v.a_mac, v.b_mac, i, 9014)).collect();
        assert_eq!(send(&tx, &sent).sent, 40);
        assert_arrived(&collect(&mut rx, 40, 5), &sent, "jumbo");
        assert_eq!(inject(&tx, &frame(v.a_mac, v.b_mac, 99, 9015)).unwrap_err().message, "send: Message too long");
    });
}

#[test]
fn a_frame_larger_than_the_ring_frame_is_refused() {
    with_veth(|v| {
        let tx = open(&v.b, |o| o.tx.ring = Some((256, 8)));
        let max = tx.shared().tx.lock().max_packet().unwrap();
        assert_eq!(tx.shared().tx.lock().ring_shape().0, 256);
        let e = inject(&tx, &frame(v.a_mac, v.b_mac, 0, max + 1)).unwrap_err();
        assert_eq!(
            e.message,
            format!("packet of {} bytes does not fit in a 256-byte TX ring frame (at most {max} bytes; see ringcap_set_tx_ring or RINGCAP_TX_RING)", max + 1)
        );
        assert_eq!(inject(&tx, &frame(v.a_mac, v.b_mac, 0, max)).unwrap(), max);
    });
}

/// Frames shorter than the link header: the kernel marks the frame
/// TP_STATUS_WRONG_FORMAT and send() fails with EINVAL (libpcap's send()
/// gets the same EINVAL); with PACKET_LOSS it discards the frame and goes on.
#[test]
fn malformed_frames_wrong_format_and_packet_loss() {
    for (version, linear) in [(Version::V1, true), (Version::V2, false), (Version::V3, true), (Version::V3, false)] {
        with_veth(move |v| {
            let mut rx = open(&v.a, |_| {});
            let tx = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.linear = linear;
            });
            let short = vec![0xffu8; 10];
            assert_eq!(inject(&tx, &short).unwrap_err().message, "send: Invalid argument", "{version}");
            let mut b = frames(v, 0, 2);
            b.push(short.clone());
            b.extend(frames(v, 2, 2));
            let o = send(&tx, &b);
            assert_eq!(o.sent, 2, "{version}");
            assert_eq!(
                o.error.unwrap().message,
                "send: Invalid argument: the kernel refused frame 2 (10 bytes) as malformed (TP_STATUS_WRONG_FORMAT)"
            );
            // Nothing was left behind: the next batch sends exactly its frames.
            let o = send(&tx, &frames(v, 10, 3));
            assert_eq!((o.sent, o.error.is_none()), (3, true), "{version}");
            let got: Vec<u32> = collect(&mut rx, 5, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
            assert_eq!(got, vec![0, 1, 10, 11, 12], "{version}");
            assert!(linger(&mut rx, 50).is_empty());

            let mut rx = open(&v.a, |_| {});
            let lossy = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.linear = linear;
                o.tx.loss = true;
            });
            let mut b = frames(v, 20, 2);
            b.push(short.clone());
            b.extend(frames(v, 22, 2));
            let o = send(&lossy, &b);
            assert_eq!((o.sent, o.error.is_none()), (5, true), "{version}: PACKET_LOSS discards and goes on");
            let got: Vec<u32> = collect(&mut rx, 4, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
            assert_eq!(got, vec![20, 21, 22, 23], "{version}");
        });
    }
}

/// PACKET_TX_HAS_OFF: packets placed at a chosen offset in the frame.
#[test]
fn user_data_offset() {
    for version in [Version::V1, Version::V2, Version::V3] {
        for linear in [true, false] {
            with_veth(move |v| {
                let mut rx = open(&v.a, |_| {});
                let tx = open(&v.b, |o| {
                    o.tpacket_version = Some(version);
                    o.tx.linear = linear;
                    o.tx.data_offset = Some(128);
                });
                let l = tx.shared().tx.lock().layout().unwrap();
                assert_eq!(l.data_offset, Some(128));
                let sent = frames(v, 0, 30);
                assert_eq!(send(&tx, &sent).sent, 30);
                assert_arrived(&collect(&mut rx, 30, 5), &sent, &format!("{version} offset 128"));
            });
        }
    }
    with_veth(|v| {
        let e = try_open(&v.b, |o| o.tx.data_offset = Some(8)).unwrap_err();
        assert_eq!(e.message, "TX data offset 8 is inside the TPACKET_V3 frame header (at least 48)");
    });
}

#[test]
fn any_and_cooked_devices_refuse_to_send() {
    with_veth(|v| {
        let any = open("any", |_| {});
        assert_eq!(inject(&any, &frame(v.a_mac, v.b_mac, 0, 60)).unwrap_err().message, "Sending packets isn't supported on the \"any\" device");
        assert_eq!(any.shared().tx.lock().ring_shape(), (0, 0), "no TX ring where nothing can be sent");
        // libpcap captures Ethernet devices named isdn* cooked.
        ip(&["link", "add", "isdn0", "type", "veth", "peer", "name", "isdn1"]);
        ip(&["link", "set", "isdn0", "up"]);
        ip(&["link", "set", "isdn1", "up"]);
        let cooked = open("isdn0", |_| {});
        assert!(cooked.is_cooked());
        assert_eq!(inject(&cooked, &frame(v.a_mac, v.b_mac, 0, 60)).unwrap_err().message, "Sending packets isn't supported in cooked mode");
    });
}

#[test]
fn interface_down() {
    with_veth(|v| {
        let tx = open(&v.b, |_| {});
        ip(&["link", "set", "rcb", "down"]);
        let f = frame(v.a_mac, v.b_mac, 0, 60);
        assert_eq!(inject(&tx, &f).unwrap_err().message, "send: Network is down");
        let o = send(&tx, &frames(v, 0, 3));
        assert_eq!(o.sent, 0);
        assert_eq!(o.error.unwrap().message, "send: Network is down (at frame 0)");
        // Nothing is held back: once the device is up, only new frames go.
        ip(&["link", "set", "rcb", "up"]);
        let mut rx = open(&v.a, |_| {});
        // The kernel reported ENETDOWN on the socket when the device went
        // down; the next send() returns it once (libpcap's send() too).
        let o = send(&tx, &frames(v, 99, 1));
        assert_eq!((o.sent, o.error.unwrap().message.as_str()), (0, "send: Network is down (at frame 0)"));
        let o = send(&tx, &frames(v, 100, 2));
        assert_eq!(o.sent, 2, "{:?}", o.error);
        let got: Vec<u32> = collect(&mut rx, 2, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
        assert_eq!(got, vec![100, 101]);
        assert!(linger(&mut rx, 50).is_empty());
    });
}

/// A slow qdisc holds frames in flight: a small ring fills. Non-blocking:
/// "would block", nothing sent behind the caller; blocking: the call waits
/// and every frame arrives; closing with frames in flight still sends them.
#[test]
fn full_ring_blocking_nonblocking_and_close() {
    with_veth(|v| {
        // About 11 ms per 100-byte frame, after a burst of about 14.
        ip(&["link", "set", "rcb", "txqueuelen", "1000"]);
        let st = std::process::Command::new("tc")
            .args(["qdisc", "add", "dev", "rcb", "root", "tbf", "rate", "80kbit", "burst", "1600", "limit", "1000000"])
            .status()
            .unwrap();
        assert!(st.success());
        let mut rx = open(&v.a, |_| {});
        let tx = open(&v.b, |o| {
            o.tx.ring = Some((2048, 16));
            o.nonblock = true;
        });
        assert_eq!(tx.shared().tx.lock().ring_shape(), (2048, 16));
        let burst: Vec<Vec<u8>> = (0..40).map(|i| frame(v.a_mac, v.b_mac, i, 100)).collect();
        let o = send(&tx, &burst);
        let n = o.sent;
        assert!((16..40).contains(&n), "the ring holds 16 frames in flight (the qdisc's burst let some through): {n}");
        assert_eq!(o.error.unwrap().message, format!("send: Resource temporarily unavailable (at frame {n})"));
        let e = inject(&tx, &burst[n]).unwrap_err();
        assert_eq!(e.message, "send: Resource temporarily unavailable");
        let got = collect(&mut rx, n, 5);
        assert_arrived(&got, &burst[..n], "non-blocking");
        assert!(linger(&mut rx, 100).is_empty(), "nothing refused was sent later");

        // Blocking: the same burst goes out whole, the call waiting for room.
        tx.shared().sock.set_nonblocking(false).unwrap();
        let t0 = Instant::now();
        let o = send(&tx, &burst);
        assert_eq!((o.sent, o.error.is_none()), (40, true));
        assert!(t0.elapsed() > Duration::from_millis(10), "it waited for the qdisc");
        assert_arrived(&collect(&mut rx, 40, 5), &burst, "blocking");

        // Close with 16 frames in flight: they still arrive.
        tx.shared().sock.set_nonblocking(true).unwrap();
        let more: Vec<Vec<u8>> = (100..116).map(|i| frame(v.a_mac, v.b_mac, i, 100)).collect();
        let o = send(&tx, &more);
        assert_eq!((o.sent, o.error.is_none()), (16, true));
        drop(tx);
        assert_arrived(&collect(&mut rx, 16, 5), &more, "after close");
    });
}

/// `sync`: records go out spaced as their timestamps are: never early, and
/// late by at most 3 ms in one of three attempts (a loaded machine may
/// delay the sender now and then; a pacing bug fails every attempt).
#[test]
fn send_queue_pacing() {
    with_veth(|v| {
        let mut rx = open(&v.a, |o| o.immediate = true);
        let tx = open(&v.b, |_| {});
        let gaps_us = [0i64, 5000, 5000, 10000, 0, 2000, 5000, 5000, 5000, 20000];
        let total: i64 = gaps_us.iter().sum();
        let mut last_report = String::new();
        for attempt in 0..3u32 {
            let sent: Vec<Vec<u8>> = (0..gaps_us.len()).map(|i| frame(v.a_mac, v.b_mac, attempt * 100 + i as u32, 80)).collect();
            let mut q = Vec::new();
            let mut t = 1_700_000_000_000_000i64;
            for (f, gap) in sent.iter().zip(gaps_us) {
                t += gap;
                q.extend(queue_of(std::slice::from_ref(f), t, 0));
            }
            let t0 = Instant::now();
            let (bytes, err) = transmit(&tx, &q, true);
            let took = t0.elapsed();
            assert_eq!((bytes, err.is_none()), (q.len(), true));
            assert!(took >= Duration::from_micros(total as u64), "took {took:?}");
            let got = collect(&mut rx, sent.len(), 5);
            assert_arrived(&got, &sent, "paced");
            let mut due = 0;
            let mut late = Vec::new();
            for i in 1..got.len() {
                due += gaps_us[i];
                let at = ts_us(&got[i].0) - ts_us(&got[0].0);
                // Never early (beyond clock granularity), whatever the load.
                assert!(at >= due - 200, "frame {i} at {at} us, due at {due}: early");
                if at > due + 3000 {
                    late.push(format!("frame {i} at {at} us, due at {due}"));
                }
            }
            if late.is_empty() {
                return;
            }
            last_report = late.join("; ");
        }
        panic!("late in every attempt: {last_report}");
    });
}

/// TX stamps as the kernel gives them. The kernel writes a software stamp
/// into a completed frame only when the skb carried one when it was freed;
/// on veth, kernels that free the skb before the receive side stamps it
/// (6.18 here) give none at all: then every frame reads `None`. Whatever
/// the kernel, a stamp that is there is a software one, on the wall clock,
/// and stamps never go backwards.
fn assert_sane_stamps(s: &[ringcap::ring::tx::TxStamp], now: i64, what: &str) {
    let mut last = (0u32, 0u32);
    for (i, st) in s.iter().enumerate() {
        match st.source {
            StampSource::None => assert_eq!((st.sec, st.nsec), (0, 0), "{what}: frame {i} has no stamp but a time"),
            StampSource::Software => {
                assert!((st.sec as i64 - now).abs() < 5, "{what}: frame {i}: wall clock");
                assert!(st.nsec < 1_000_000_000, "{what}: frame {i}");
                assert!((st.sec, st.nsec) >= last, "{what}: frame {i}: in order");
                last = (st.sec, st.nsec);
            }
            StampSource::Hardware => panic!("{what}: frame {i}: a hardware stamp from veth"),
        }
    }
}

#[test]
fn tx_timestamps() {
    for version in [Version::V1, Version::V2, Version::V3] {
        with_veth(move |v| {
            let tx = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.timestamps = TxTimestamps::Software;
            });
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            let o = send(&tx, &frames(v, 0, 300));
            assert_eq!(o.sent, 300);
            let s = tx.shared().tx.lock().stamps().to_vec();
            assert_eq!(s.len(), 300, "{version}: one stamp per frame");
            assert_sane_stamps(&s, now, &format!("{version}"));
            // Hardware asked for: veth has no NIC clock, so never a
            // hardware stamp; the software one stands in where there is one.
            {
                let sh = tx.shared();
                sh.tx.lock().set_timestamps(&sh.sock, TxTimestamps::Hardware).unwrap();
            }
            assert_eq!(send(&tx, &frames(v, 0, 3)).sent, 3);
            let s = tx.shared().tx.lock().stamps().to_vec();
            assert_eq!(s.len(), 3, "{version}");
            assert_sane_stamps(&s, now, &format!("{version}, hardware asked for"));
            // Off again: no stamps.
            {
                let sh = tx.shared();
                sh.tx.lock().set_timestamps(&sh.sock, TxTimestamps::Off).unwrap();
            }
            send(&tx, &frames(v, 0, 3));
            assert!(tx.shared().tx.lock().stamps().is_empty());
        });
    }
}

/// Injecting from a reading handle while it reads (what a callback does).
#[test]
fn capture_and_send_on_one_handle() {
    with_veth(|v| {
        let mut both = open(&v.b, |_| {});
        let peer = open(&v.a, |_| {});
        let shared = both.shared().clone();
        // The peer sends 5 frames to `both`; each one read is answered.
        for f in (0..5).map(|i| frame(v.b_mac, v.a_mac, 1000 + i, 60)) {
            inject(&peer, &f).unwrap();
        }
        let mut answered = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while answered < 5 && Instant::now() < deadline {
            both.dispatch(-1, &mut |_, d| {
                if let Some(seq) = frame_seq(d) {
                    let reply = frame([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b], seq + 1000, 60);
                    shared.tx.lock().inject(&shared.sock, &reply).unwrap();
                    answered += 1;
                }
            })
            .unwrap();
        }
        assert_eq!(answered, 5, "read only the peer's frames, not its own replies");
        let mut peer = peer;
        let got: Vec<u32> = collect(&mut peer, 5, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
        assert_eq!(got, vec![2000, 2001, 2002, 2003, 2004]);
        assert!(linger(&mut both, 50).is_empty());
    });
}
