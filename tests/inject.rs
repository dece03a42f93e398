//! Sending through the TX ring on real veth pairs in private namespaces:
//! the TPACKET_V1/V2/V3 matrix (single injects, batches, send queues, qdisc
//! bypass on and off, before and after activation, linear and zero-copy
//! frames), byte-exact and in order at the peer with exact counts; the
//! error paths (oversize, empty, ring full in non-blocking mode, device
//! down, "any", cooked, malformed frames with and without PACKET_LOSS);
//! link headers of non-Ethernet devices (tun, lo); blocking on a full ring
//! and breakloop interrupting it; close with frames in flight; send-queue
//! pacing; TX timestamps (every frame stamped, capture and send with stamps
//! on one handle); and the rule that a handle does not capture what it sent
//! itself.

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
        // Qdisc bypass switched after activation, both ways: the witness
        // sees nothing while it is on, everything while it is off.
        for (k, on) in [!bypass, bypass].into_iter().enumerate() {
            {
                let sh = tx.shared();
                sh.tx.lock().set_bypass(&sh.sock, on).unwrap();
            }
            let more = frames(v, 1000 + 100 * k as u32, 30);
            assert_eq!(send(&tx, &more).sent, 30);
            assert_arrived(&collect(&mut rx, 30, 5), &more, &format!("{what}, bypass {on} after activation"));
            let seen = linger(&mut witness, 100);
            if on {
                assert!(seen.is_empty(), "{what}: bypass turned on after activation hides the frames, saw {}", seen.len());
            } else {
                assert_eq!(seen, more, "{what}: bypass turned off after activation: the witness sees every frame");
            }
        }
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

/// Without a TX ring (`RINGCAP_TX_RING=0x0`): one send() per packet for
/// `pcap_inject`, sendmmsg() for batches.
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
        // Batches are sendmmsg() calls: a frame the kernel refuses inside
        // one stops the batch there.
        let mut b = frames(v, 100, 3);
        b.push(frame(v.a_mac, v.b_mac, 103, 1515));
        b.extend(frames(v, 104, 2));
        let o = send(&tx, &b);
        assert_eq!(o.sent, 3);
        assert_eq!(o.error.unwrap().message, "send: Message too long (at frame 3)", "the kernel's check");
        let mut b = frames(v, 200, 2);
        b.push(vec![0xff; 10]);
        b.extend(frames(v, 203, 2));
        let o = send(&tx, &b);
        assert_eq!(o.sent, 2);
        assert_eq!(o.error.unwrap().message, "send: Invalid argument (at frame 2)");
        let o = send(&tx, &[frames(v, 300, 1)[0].clone(), Vec::new(), frames(v, 301, 1)[0].clone()]);
        assert_eq!((o.sent, o.error.unwrap().message.as_str()), (1, "frame 1 has no bytes"));
        let got: Vec<u32> = collect(&mut rx, 6, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
        assert_eq!(got, vec![100, 101, 102, 200, 201, 300]);
        assert!(linger(&mut rx, 50).is_empty());
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

/// A raw-IP packet for a tun device: an IPv4-looking first byte, the
/// marker "RCAP", the sequence number, a pattern; `len` bytes.
fn ip_packet(seq: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0];
    p.extend_from_slice(common::netns::MARKER);
    p.extend_from_slice(&seq.to_be_bytes());
    while p.len() < len {
        p.push((seq as usize + p.len()) as u8);
    }
    p.truncate(len);
    p
}

/// Devices whose link header is not Ethernet's. Without one (tun,
/// ARPHRD_NONE) frames are IP packets bounded by the MTU alone (the
/// kernel's MTU + hard_header_len with a 0-byte header: 1500 bytes go, 1501
/// are refused before the ring, so the kernel never stops the ring at
/// them), even 1 byte is well-formed, and they arrive byte-exact at the
/// tun's reader. Loopback frames have Ethernet's 14 bytes but no VLAN
/// allowance.
#[test]
fn link_headers_of_non_ethernet_devices() {
    let sink = common::build_c("tun_sink", common::Against::System, &[]);
    with_veth(move |_| {
        ip(&["tuntap", "add", "tn", "mode", "tun"]);
        let _ = std::fs::write("/proc/sys/net/ipv6/conf/tn/disable_ipv6", "1");
        let reader = common::start_until_ready(&sink, &["tn", "2", "3000"], common::Against::System);
        ip(&["link", "set", "tn", "up"]);
        for loss in [false, true] {
            let tx = open("tn", |o| o.tx.loss = loss);
            assert_eq!(tx.linktype(), ringcap::dlt::DLT_RAW);
            let first = if loss { 2 } else { 0 };
            let big = ip_packet(99, 1501);
            assert_eq!(inject(&tx, &big).unwrap_err().message, "send: Message too long", "loss={loss}");
            let o = send(&tx, &[ip_packet(first, 1500), big.clone(), ip_packet(98, 60)]);
            assert_eq!(o.sent, 1, "loss={loss}");
            assert_eq!(
                o.error.unwrap().message,
                "send: Message too long: frame 1 is 1501 bytes, more than tn's MTU 1500 + 0-byte link header",
                "loss={loss}"
            );
            // The shortest packet is not malformed without a link header.
            assert_eq!(inject(&tx, &ip_packet(first + 1, 1)[..1]).unwrap(), 1, "loss={loss}");
        }
        // Loopback: Ethernet framing (14 bytes) on a 64 KiB MTU, and no
        // 802.1Q allowance (the kernel gives it to ARPHRD_ETHER only).
        let lo = open("lo", |_| {});
        let mut tagged = vlan_frame([0; 6], [0; 6], 0x8100, 5, 7, 65554);
        let o = send(&lo, &[frame([0; 6], [0; 6], 7, 65550), frame([0; 6], [0; 6], 8, 65551), tagged.clone()]);
        assert_eq!(o.sent, 1);
        assert_eq!(o.error.unwrap().message, "send: Message too long: frame 1 is 65551 bytes, more than lo's MTU 65536 + 14-byte link header");
        let o = send(&lo, &[tagged.clone()]);
        assert_eq!(o.error.unwrap().message, "send: Message too long: frame 0 is 65554 bytes, more than lo's MTU 65536 + 14-byte link header");
        tagged.truncate(65550);
        assert_eq!(send(&lo, &[tagged]).sent, 1);
        let (out, _) = reader.finish();
        if let Some(why) = out.lines().find(|l| l.starts_with("NOTUN")) {
            // Only root opens /dev/net/tun; the refusals above stand.
            eprintln!("tun delivery not checked: {why}");
            return;
        }
        let hex = |p: &[u8]| p.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got, vec![hex(&ip_packet(0, 1500)), hex(&ip_packet(2, 1500))], "the 1-byte packets carry no marker");
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
/// gets the same EINVAL); with PACKET_LOSS it discards the frame and goes
/// on, and the call counts only the frames sent and names the discarded
/// ones. With TX timestamps on, the stamps still match their frames: the
/// kernel gave the refused and the discarded frames a key too.
#[test]
fn malformed_frames_wrong_format_and_packet_loss() {
    for (version, linear) in [(Version::V1, true), (Version::V2, false), (Version::V3, true), (Version::V3, false)] {
        with_veth(move |v| {
            let mut rx = open(&v.a, |_| {});
            let tx = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.linear = linear;
                o.tx.timestamps = TxTimestamps::Software;
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
            assert_stamped(&tx, 2, &format!("{version} before the refused frame"));
            // Nothing was left behind: the next batch sends exactly its frames.
            let o = send(&tx, &frames(v, 10, 3));
            assert_eq!((o.sent, o.error.is_none()), (3, true), "{version}");
            assert_stamped(&tx, 3, &format!("{version} after the refused frames"));
            let got: Vec<u32> = collect(&mut rx, 5, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
            assert_eq!(got, vec![0, 1, 10, 11, 12], "{version}");
            assert!(linger(&mut rx, 50).is_empty());

            let mut rx = open(&v.a, |_| {});
            let lossy = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.linear = linear;
                o.tx.loss = true;
                o.tx.timestamps = TxTimestamps::Software;
            });
            let mut b = frames(v, 20, 2);
            b.push(short.clone());
            b.extend(frames(v, 22, 2));
            b.push(vec![0xee; 13]);
            b.extend(frames(v, 24, 1));
            let o = send(&lossy, &b);
            assert_eq!(o.sent, 5, "{version}: PACKET_LOSS discards and goes on; discarded frames are not sent");
            assert_eq!(o.discarded, vec![2, 5], "{version}");
            assert_eq!(
                o.error.unwrap().message,
                "the kernel discarded frames 2 (10 bytes), 5 (13 bytes) as malformed (PACKET_LOSS); not sent",
                "{version}"
            );
            assert_stamped(&lossy, 5, &format!("{version} around discarded frames"));
            assert_eq!(
                inject(&lossy, &short).unwrap_err().message,
                "send: the kernel discarded the frame (10 bytes) as malformed (PACKET_LOSS)",
                "{version}"
            );
            // A send queue: the discarded record's bytes are not counted.
            let q = queue_of(&[frames(v, 30, 1)[0].clone(), short.clone(), frames(v, 31, 1)[0].clone()], 0, 0);
            let (bytes, err) = transmit(&lossy, &q, false);
            assert_eq!(bytes, q.len() - 24 - 10, "{version}");
            assert_eq!(err.unwrap().message, "the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent");
            assert_stamped(&lossy, 2, &format!("{version} queue"));
            let o = send(&lossy, &frames(v, 40, 3));
            assert_eq!((o.sent, o.discarded.len(), o.error.is_none()), (3, 0, true), "{version}");
            assert_stamped(&lossy, 3, &format!("{version} after discards"));
            let got: Vec<u32> = collect(&mut rx, 10, 5).iter().map(|(_, d)| frame_seq(d).unwrap()).collect();
            assert_eq!(got, vec![20, 21, 22, 23, 24, 30, 31, 40, 41, 42], "{version}");
            assert!(linger(&mut rx, 50).is_empty());
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

/// Run `tc` with arguments.
fn tc(args: &[&str]) {
    assert!(std::process::Command::new("tc").args(args).status().unwrap().success(), "tc {args:?}");
}

/// A token-bucket qdisc on the sending device (`rcb`): `rate` after a burst
/// of `burst` bytes, so frames stay in flight.
fn slow_qdisc(rate: &str, burst: &str) {
    tc(&["qdisc", "add", "dev", "rcb", "root", "tbf", "rate", rate, "burst", burst, "limit", "1000000"]);
}

/// A slow qdisc holds frames in flight: a small ring fills. Non-blocking:
/// "would block", nothing sent behind the caller; blocking: the call waits
/// and every frame arrives; closing with frames in flight still sends them.
#[test]
fn full_ring_blocking_nonblocking_and_close() {
    with_veth(|v| {
        // About 11 ms per 100-byte frame, after a burst of about 14.
        ip(&["link", "set", "rcb", "txqueuelen", "1000"]);
        slow_qdisc("80kbit", "1600");
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

/// A blocked send sleeps until the kernel completes a frame (no busy
/// loop: a few wake-ups per completed frame) and `pcap_breakloop` from
/// another thread interrupts it: the frames already sent count, the rest
/// are taken back, and the breakloop stays pending for the read loop.
#[test]
fn breakloop_interrupts_a_blocked_send() {
    with_veth(|v| {
        // About 100 ms per 100-byte frame after a burst of two.
        slow_qdisc("8kbit", "200");
        let mut rx = open(&v.a, |_| {});
        let breaker = Arc::new(Breaker::with_doorbell().unwrap());
        let mut o = Options::new(&v.b);
        o.timeout_ms = 20;
        o.tx.ring = Some((2048, 16));
        let mut tx = capture::activate(o, breaker.clone()).unwrap().capture;
        let burst: Vec<Vec<u8>> = (0..40).map(|i| frame(v.a_mac, v.b_mac, i, 100)).collect();
        let b2 = breaker.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            b2.request();
        });
        let t0 = Instant::now();
        let o = send(&tx, &burst);
        let took = t0.elapsed();
        stopper.join().unwrap();
        // Woken per completed frame (about one per 100 ms here), not spinning.
        let waits = tx.shared().tx.lock().waits();
        assert!((1..60).contains(&waits), "{waits} sleeps in {took:?}");
        assert!(took >= Duration::from_millis(290) && took < Duration::from_secs(2), "returned after {took:?}");
        let n = o.sent;
        assert!((16..40).contains(&n), "the ring's 16 frames and those completed before the breakloop, not all: {n}");
        let e = o.error.unwrap();
        assert_eq!((e.code, e.message), (ringcap::error::code::BREAK, format!("send: interrupted by pcap_breakloop (at frame {n})")));
        // Pending: a send that would have to wait fails at once, and the
        // next read honours it.
        assert_eq!(inject(&tx, &burst[n]).unwrap_err().message, "send: interrupted by pcap_breakloop");
        assert!(breaker.pending());
        assert_eq!(tx.dispatch(-1, &mut |_, _| {}).unwrap_err().code, ringcap::error::code::BREAK);
        assert!(!breaker.pending());
        // The frames sent arrive (the qdisc lets one through per 100 ms);
        // nothing the call did not count.
        let got = collect(&mut rx, n, 5);
        assert_arrived(&got, &burst[..n], "interrupted");
        assert!(linger(&mut rx, 300).is_empty(), "nothing refused was sent later");
    });
}

/// `sync`: records go out spaced as their timestamps are: never early, and
/// late by at most 10 ms in one of three attempts (a loaded machine may
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
                if at > due + 10_000 {
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

/// The wall clock now, in seconds.
fn wall_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The last send call on `c` stamped each of its `n` frames with a
/// software stamp on the wall clock, in order.
fn assert_stamped(c: &LiveCapture, n: usize, what: &str) {
    let s = c.shared().tx.lock().stamps().to_vec();
    assert_eq!(s.len(), n, "{what}: one stamp per frame sent");
    let now = wall_now();
    let mut last = (0u32, 0u32);
    for (i, st) in s.iter().enumerate() {
        assert_eq!(st.source, StampSource::Software, "{what}: frame {i} of {n}: {s:?}");
        assert!((st.sec as i64 - now).abs() < 5, "{what}: frame {i}: wall clock");
        assert!(st.nsec < 1_000_000_000, "{what}: frame {i}");
        assert!((st.sec, st.nsec) >= last, "{what}: frame {i}: in order");
        last = (st.sec, st.nsec);
    }
}

fn set_stamps(c: &LiveCapture, t: TxTimestamps) {
    let sh = c.shared();
    sh.tx.lock().set_timestamps(&sh.sock, t).unwrap();
}

/// On veth every frame of a send gets a software stamp (from the socket's
/// error queue: the ring's completion writes none on this kernel), in
/// order, on the wall clock: single injects, batches larger than the ring,
/// send queues. Hardware mode on veth, which has no NIC clock, gives the
/// software stamps. Off again: none; on again: the kernel counts keys from
/// 0 again, and the stamps still match.
#[test]
fn tx_timestamps() {
    for version in [Version::V1, Version::V2, Version::V3] {
        with_veth(move |v| {
            let mut rx = open(&v.a, |_| {});
            let tx = open(&v.b, |o| {
                o.tpacket_version = Some(version);
                o.tx.timestamps = TxTimestamps::Software;
            });
            let before = wall_now();
            let o = send(&tx, &frames(v, 0, 300));
            assert_eq!(o.sent, 300);
            assert_stamped(&tx, 300, &format!("{version} batch of 300"));
            let s = tx.shared().tx.lock().stamps().to_vec();
            assert!(s[0].sec as i64 >= before - 1);
            inject(&tx, &frames(v, 300, 1)[0]).unwrap();
            assert_stamped(&tx, 1, &format!("{version} pcap_inject"));
            let (bytes, err) = transmit(&tx, &queue_of(&frames(v, 301, 4), 0, 1000), true);
            assert_eq!((bytes > 0, err.is_none()), (true, true));
            assert_stamped(&tx, 4, &format!("{version} paced queue"));
            let s = tx.shared().tx.lock().stamps().to_vec();
            let gap = |a: &ringcap::ring::tx::TxStamp, b: &ringcap::ring::tx::TxStamp| {
                (b.sec as i64 - a.sec as i64) * 1_000_000_000 + b.nsec as i64 - a.nsec as i64
            };
            assert!(gap(&s[0], &s[3]) >= 2_900_000, "paced frames stamped when they left: {s:?}");
            set_stamps(&tx, TxTimestamps::Hardware);
            assert_eq!(send(&tx, &frames(v, 305, 3)).sent, 3);
            assert_stamped(&tx, 3, &format!("{version}, hardware asked for on veth"));
            set_stamps(&tx, TxTimestamps::Off);
            assert_eq!(send(&tx, &frames(v, 308, 3)).sent, 3);
            assert!(tx.shared().tx.lock().stamps().is_empty());
            set_stamps(&tx, TxTimestamps::Software);
            assert_eq!(send(&tx, &frames(v, 311, 5)).sent, 5);
            assert_stamped(&tx, 5, &format!("{version}, on again"));
            assert_eq!(collect(&mut rx, 316, 5).len(), 316, "{version}: every frame arrived");
        });
    }
}

/// Stamps beyond the socket's receive buffer are dropped by the kernel:
/// those frames read "no stamp", the others keep theirs.
#[test]
fn tx_timestamps_beyond_the_receive_buffer() {
    with_veth(|v| {
        let tx = open(&v.b, |o| o.tx.timestamps = TxTimestamps::Software);
        let sh = tx.shared();
        // The smallest buffer the kernel grants (a few KiB): room for a
        // handful of stamps.
        sh.sock.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, 1).unwrap();
        assert_eq!(send(&tx, &frames(v, 0, 100)).sent, 100);
        let s = sh.tx.lock().stamps().to_vec();
        assert_eq!(s.len(), 100);
        let stamped = s.iter().take_while(|st| st.source == StampSource::Software).count();
        assert!((1..100).contains(&stamped), "a prefix is stamped: {stamped}");
        assert!(s[stamped..].iter().all(|st| *st == Default::default()), "the rest have none: {s:?}");
        // Room again: every frame is stamped.
        sh.sock.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, 1 << 20).unwrap();
        assert_eq!(send(&tx, &frames(v, 100, 100)).sent, 100);
        assert_stamped(&tx, 100, "receive buffer large enough");
    });
}

/// One handle captures and sends with TX timestamps on. Stamps that arrive
/// after the send call gave up waiting for them (a slow qdisc holds the
/// frames beyond a second) wait in the socket's error queue, which makes
/// poll report POLLERR: the capture keeps reading, and later sends are
/// stamped as before.
#[test]
fn capture_and_send_with_tx_timestamps() {
    with_veth(|v| {
        let mut both = open(&v.b, |o| o.tx.timestamps = TxTimestamps::Software);
        let peer = open(&v.a, |_| {});
        // 1000-byte frames at 80 kbit/s: 100 ms each after the first.
        slow_qdisc("80kbit", "1600");
        let slow: Vec<Vec<u8>> = (0..14).map(|i| frame(v.a_mac, v.b_mac, i, 1000)).collect();
        assert_eq!(send(&both, &slow).sent, 14);
        let s = both.shared().tx.lock().stamps().to_vec();
        let stamped = s.iter().take_while(|st| st.source == StampSource::Software).count();
        assert!((1..14).contains(&stamped), "the last frames left after the call returned: {s:?}");
        // The late stamps reach the error queue while the handle captures.
        for i in 0..5 {
            inject(&peer, &frame(v.b_mac, v.a_mac, 100 + i, 60)).unwrap();
        }
        let mut seqs = Vec::new();
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            both.dispatch(-1, &mut |_, d| seqs.extend(frame_seq(d))).expect("capture goes on with stamps in the error queue");
        }
        assert_eq!(seqs, vec![100, 101, 102, 103, 104]);
        tc(&["qdisc", "del", "dev", "rcb", "root"]);
        assert_eq!(send(&both, &frames(v, 20, 50)).sent, 50);
        assert_stamped(&both, 50, "after late stamps");
    });
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

/// A TX ring larger than the machine is refused at activation, naming it
/// (the kernel would try to allocate it and wake the OOM killer).
#[test]
fn a_tx_ring_larger_than_memory_is_refused() {
    with_veth(|v| {
        let e = try_open(&v.b, |o| o.tx.ring = Some((1 << 20, 100_000))).unwrap_err();
        let memory = ringcap::sys::physical_memory();
        assert!(
            e.message.starts_with("ring geometry: a ring of ") && e.message.ends_with(&format!("does not fit in this machine's {memory} bytes of memory")),
            "{}",
            e.message
        );
    });
}
