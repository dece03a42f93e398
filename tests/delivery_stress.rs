//! Delivery under stress, through the C ABI, for TPACKET_V1, V2 and V3, and
//! compared with the system libpcap wherever it has the behaviour:
//! statistics that stay exact when the ring overflows, and frames that
//! stress delivery (runts, VLAN stacks, frames larger than the ring's frame,
//! 64 KiB GSO frames), checked byte for byte against what was sent.

mod common;

use std::time::Duration;

use common::child::Driven;
use common::netns::{frame, with_veth, Sender};
use common::{build_c, Against};

const LINE: Duration = Duration::from_secs(5);
const EXIT: Duration = Duration::from_secs(20);

/// The `key=value` fields of a line.
fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("{key} in {line:?}"))
        .parse()
        .unwrap()
}

/// The libraries and TPACKET versions a C program can run with: ringcap
/// with each version, libpcap with its default (V3) and, through immediate
/// mode, V2.
fn every_version() -> Vec<(Against, u32)> {
    vec![(Against::Ringcap, 1), (Against::Ringcap, 2), (Against::Ringcap, 3), (Against::System, 2), (Against::System, 3)]
}

/// Run `f` for every (library, version) at once, each in its own
/// namespace; a failure names the case.
fn for_each_version(f: impl Fn(Against, u32) + Send + Sync + Clone + 'static) {
    let handles: Vec<_> = every_version()
        .into_iter()
        .map(|(against, version)| {
            let f = f.clone();
            (against, version, std::thread::spawn(move || f(against, version)))
        })
        .collect();
    for (against, version, h) in handles {
        h.join().unwrap_or_else(|_| panic!("against {against:?} with TPACKET_V{version}: failed (above)"));
    }
}

/// Send `n` 200-byte frames in one burst to a capture with a 256 KiB ring
/// (c-tests/overload.c) that reads them `mode` ("idle": only afterwards;
/// "busy": while they arrive). Returns its final line.
fn overload_run(against: Against, version: u32, mode: &'static str, n: u32) -> String {
    let exe = build_c("overload", against, &[]);
    with_veth(move |v| {
        let mut d = Driven::spawn(&exe, &[&v.a, &version.to_string(), mode], against);
        d.expect_line(LINE, "READY");
        let tx = Sender::new(v.b_index);
        for i in 0..n {
            tx.send_retry(&frame(v.a_mac, v.b_mac, i, 200));
        }
        d.say("DONE");
        let (out, _) = d.finish(EXIT);
        out.lines().last().unwrap_or_default().to_string()
    })
    .expect("namespaces")
}

fn overload(mode: &'static str) {
    for_each_version(move |against, version| {
        let n = 20_000u32;
        let line = overload_run(against, version, mode, n);
        let (delivered, recv, drop) = (field(&line, "delivered"), field(&line, "recv"), field(&line, "drop"));
        let case = format!("{mode} {against:?} TPACKET_V{version}: {line}");
        eprintln!("{case}");
        assert_eq!(recv, n as u64, "{case}: ps_recv counts every frame sent");
        assert_eq!(delivered + drop, n as u64, "{case}: delivered + ps_drop == sent");
        assert_eq!(field(&line, "out_of_order"), 0, "{case}: delivered in order, none twice");
        if mode == "idle" {
            assert!(drop > 0 && delivered > 0, "{case}: the ring overflowed and kept what it held");
        }
    });
}

#[test]
fn overload_with_an_idle_reader_counts_every_frame() {
    overload("idle");
}

#[test]
fn overload_with_a_busy_reader_counts_every_frame() {
    overload("busy");
}

/// Run c-tests/hostile.c in dump mode on `v.a` (with an explicit ring
/// `geometry` if given), send `frames` from `v.b`, and return its output.
fn dump_run(v: &common::netns::Veth, against: Against, version: u32, geometry: Option<&str>, frames: &[Vec<u8>]) -> String {
    let exe = build_c("hostile", against, &[]);
    let mut args = vec![v.a.clone(), version.to_string(), "dump".into(), "0".into()];
    args.extend(geometry.map(str::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut d = Driven::spawn(&exe, &args, against);
    d.expect_line(LINE, "READY");
    let tx = Sender::new(v.b_index);
    for f in frames {
        tx.send(f);
    }
    d.say("DONE");
    d.finish(EXIT).0
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}


/// The packet and statistics lines of a dump (the '#' lines are ringcap's
/// alone).
fn packets_and_stats(out: &str) -> String {
    out.lines().skip_while(|l| *l != "READY").skip(1).filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect()
}

/// What a dump prints for frames delivered whole.
fn dump_lines(frames: &[Vec<u8>]) -> String {
    let mut s: String = frames.iter().map(|f| format!("len={} caplen={} {}\n", f.len(), f.len(), hex(f))).collect();
    s += &format!("recv={} drop=0\n", frames.len());
    s
}

/// An Ethernet header from the peer to the capture side.
fn eth(v: &common::netns::Veth, ethertype: u16) -> Vec<u8> {
    let mut h = v.a_mac.to_vec();
    h.extend_from_slice(&v.b_mac);
    h.extend_from_slice(&ethertype.to_be_bytes());
    h
}

fn is_tagged(f: &[u8]) -> bool {
    matches!(u16::from_be_bytes([f[12], f[13]]), 0x8100 | 0x88a8)
}

/// What the capture must deliver of frames sent whole: the kernel takes the
/// outer VLAN tag off a received frame into metadata, and drops a tagged
/// frame with fewer than VLAN_HLEN + 2 bytes after the Ethernet header
/// (skb_vlan_untag) before any packet socket sees it; TPACKET_V2/V3 (as
/// libpcap) put the tag back, TPACKET_V1 has no field for it.
fn delivered(frames: &[Vec<u8>], version: u32) -> Vec<Vec<u8>> {
    frames
        .iter()
        .filter(|f| !is_tagged(f) || f.len() >= 14 + 6)
        .map(|f| if is_tagged(f) && version == 1 { [&f[..12], &f[16..]].concat() } else { f.clone() })
        .collect()
}

/// Runt frames: the shortest a packet socket sends on veth (the kernel
/// checks the link-layer header is whole: 14 bytes, 13 is EINVAL), and
/// short ones with every kind of EtherType, tagged ones cut inside or
/// right after their tag included. Every library and version delivers
/// what the kernel hands up, byte for byte.
#[test]
fn runt_frames_are_delivered_byte_exact() {
    for_each_version(|against, version| {
        with_veth(move |v| {
            let tx = Sender::new(v.b_index);
            for n in 0..14 {
                let e = tx.try_send(&vec![0x11; n]).expect_err("shorter than an Ethernet header");
                assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{n} bytes");
            }
            let mut frames: Vec<Vec<u8>> = (14..=21).map(|n| (0..n).map(|i| if i < 14 { eth(v, 0x88b5)[i] } else { i as u8 }).collect()).collect();
            frames.extend([0x0800u16, 0x0806, 0x86dd, 0x8100, 0x88a8].map(|t| eth(v, t)));
            for tail in [&[0x00u8, 0x05][..], &[0x00, 0x05, 0x88, 0xb5], &[0x00, 0x05, 0x88, 0xb5, 1, 2], &[0x00, 0x05, 0x88, 0xb5, 1, 2, 3, 4]] {
                frames.push([eth(v, 0x8100), tail.to_vec()].concat());
            }
            let got = packets_and_stats(&dump_run(v, against, version, None, &frames));
            assert_eq!(got, dump_lines(&delivered(&frames, version)), "{against:?} TPACKET_V{version}");
        })
        .expect("namespaces");
    });
}

/// VLAN stacks: 802.1ad outer + 802.1Q inner (the kernel strips the outer
/// tag into metadata, with its TPID), two 802.1Q tags, three tags, a lone
/// 802.1ad tag, priority and DEI bits in the TCI. libpcap re-inserts the
/// tag; ringcap must give back the sent bytes exactly as libpcap does.
#[test]
fn vlan_in_vlan_is_delivered_as_sent() {
    for_each_version(|against, version| {
        with_veth(move |v| {
            let payload = |seq: u8| -> Vec<u8> { [&[0x88, 0xb5, 0, 0, 0, seq][..], b"RCAP", &[seq; 40][..]].concat() };
            let tag = |tpid: u16, tci: u16| [tpid.to_be_bytes(), tci.to_be_bytes()].concat();
            let mac = || [&v.a_mac[..], &v.b_mac[..]].concat();
            let frames = vec![
                [mac(), tag(0x88a8, 100), tag(0x8100, 200), payload(1)].concat(),
                [mac(), tag(0x8100, 5), tag(0x8100, 6), payload(2)].concat(),
                [mac(), tag(0x88a8, 7), tag(0x8100, 8), tag(0x8100, 9), payload(3)].concat(),
                [mac(), tag(0x88a8, 4094), payload(4)].concat(),
                [mac(), tag(0x8100, 0xe00a), payload(5)].concat(),
                [mac(), tag(0x88a8, 0x3fff), tag(0x8100, 0xf001), payload(6)].concat(),
            ];
            let got = packets_and_stats(&dump_run(v, against, version, None, &frames));
            assert_eq!(got, dump_lines(&delivered(&frames, version)), "{against:?} TPACKET_V{version}");
        })
        .expect("namespaces");
    });
}

/// `TPACKET_ALIGN`.
fn tpacket_align(x: u32) -> u32 {
    (x + 15) & !15
}

/// Frames larger than what the ring can hold of one packet (ringcap only:
/// libpcap sizes its ring for the snapshot and has no call to do
/// otherwise). TPACKET_V1/V2: frames of 256 bytes; V3: blocks of 4 KiB on
/// a link with a 9000-byte MTU. The kernel cuts each packet to the room
/// behind its offset in the frame (V1/V2: `frame_size - macoff`; V3: the
/// block minus its descriptor, private area and `macoff`, where `macoff =
/// TPACKET_ALIGN(tp_hdrlen + 16) + tp_reserve - 14`) and keeps the wire
/// length; it sets no status bit for it (TP_STATUS_COPY comes only with
/// PACKET_COPY_THRESH, which neither library sets). Delivered: the cut
/// bytes, caplen = the room, len = the frame's length; pcap_stats counts
/// every frame, none dropped.
#[test]
fn frames_larger_than_the_ring_frame_are_cut_and_counted() {
    let cases = [(1u32, "4096:16:256", None), (2, "4096:16:256", None), (3, "4096:16:2048", Some("9000"))];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(version, geometry, mtu)| {
            std::thread::spawn(move || {
                let link: Vec<&str> = mtu.map(|m| vec!["mtu", m]).unwrap_or_default();
                common::netns::with_veth_opts(&link, move |v| {
                    // Learn the ring's layout from a first run with no frames.
                    let info = dump_run(v, Against::Ringcap, version, Some(geometry), &[]);
                    let ring = info.lines().find(|l| l.starts_with("# ring ")).unwrap_or_else(|| panic!("{info}"));
                    let num = |k: &str| field(ring, k) as u32;
                    let macoff = tpacket_align(num("header_len") + 16) + num("reserve") - 14;
                    let room = if version == 3 {
                        num("block_size") - 48 - ((num("sizeof_priv") + 7) & !7) - macoff
                    } else {
                        num("frame_size") - macoff
                    };
                    let largest = if version == 3 { 9014 } else { 1514 };
                    let sizes = [60, room - 1, room, room + 1, room + 100, largest];
                    let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| frame(v.a_mac, v.b_mac, i as u32, n as usize)).collect();
                    let out = dump_run(v, Against::Ringcap, version, Some(geometry), &frames);
                    let mut want: String = frames
                        .iter()
                        .map(|f| {
                            let cut = f.len().min(room as usize);
                            format!("len={} caplen={cut} {}\n", f.len(), hex(&f[..cut]))
                        })
                        .collect();
                    want += &format!("recv={} drop=0\n", frames.len());
                    assert_eq!(packets_and_stats(&out), want, "TPACKET_V{version} {geometry}: room {room}");
                    let status: Vec<&str> = out.lines().filter(|l| l.starts_with("# status=")).collect();
                    assert_eq!(status, vec!["# status=0x1"; frames.len()], "TPACKET_V{version}: TP_STATUS_USER alone");
                })
                .expect("namespaces")
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    }
}

/// The byte at offset `k` of the TCP stream c-tests/hostile.c checks.
fn pattern(k: u32) -> u8 {
    (k.wrapping_mul(131).wrapping_add(k >> 9)) as u8
}

/// 64 KiB GSO frames: TCP from the peer's namespace over the veth pair with
/// its segmentation offloads on (TSO/GSO, veth's defaults: the sender's
/// stack hands the veth super-packets, which reach the capture whole), read
/// with snaplen 262144. For every library and version: every packet of the
/// stream arrives whole (caplen == len == 14 + its IPv4 total length), the
/// payload is the sent stream at its place and covers all of it, some
/// packets are larger than the MTU, nothing is dropped.
#[test]
fn gso_sized_frames_arrive_whole() {
    const STREAM: u32 = 2 << 20;
    for_each_version(|against, version| {
        with_veth(move |v| {
            let exe = build_c("hostile", against, &[]);
            let peer = common::netns::PeerNs::start();
            peer.adopt(&v.b);
            let b = v.b.clone();
            let offloads = peer.run(move || {
                common::netns::ip(&["addr", "add", "10.99.0.2/24", "dev", &b]);
                let ctl = ringcap::sys::socket::ioctl_socket().unwrap();
                let get = |cmd| ringcap::sys::netdev::ethtool_value(std::os::fd::AsFd::as_fd(&ctl), &b, cmd).unwrap_or(0);
                (get(ringcap::sys::netdev::ETHTOOL_GTSO), get(ringcap::sys::netdev::ETHTOOL_GGSO))
            });
            assert_eq!(offloads, (1, 1), "TSO and GSO on the sending end");
            common::netns::ip(&["addr", "add", "10.99.0.1/24", "dev", &v.a]);
            let listener = std::net::TcpListener::bind("10.99.0.1:5001").expect("listen");
            let mut d = Driven::spawn(&exe, &[&v.a, &version.to_string(), "tcp", "262144"], against);
            d.expect_line(LINE, "READY");
            let server = std::thread::spawn(move || {
                let (mut s, _) = listener.accept().expect("accept");
                s.set_read_timeout(Some(EXIT)).unwrap();
                let mut got = Vec::new();
                std::io::Read::read_to_end(&mut s, &mut got).expect("receive");
                got
            });
            peer.run(|| {
                let data: Vec<u8> = (0..STREAM).map(pattern).collect();
                let mut s = std::net::TcpStream::connect_timeout(&"10.99.0.1:5001".parse().unwrap(), LINE).expect("connect");
                s.set_write_timeout(Some(EXIT)).unwrap();
                std::io::Write::write_all(&mut s, &data).expect("send the stream");
            });
            let got = server.join().unwrap();
            assert!(got.len() == STREAM as usize && got.iter().enumerate().all(|(k, &b)| b == pattern(k as u32)), "the stream itself");
            d.say("DONE");
            let (out, _) = d.finish(EXIT);
            let lines: Vec<&str> = out.lines().skip_while(|l| *l != "READY").skip(1).collect();
            let case = format!("{against:?} TPACKET_V{version}:\n{out}");
            assert_eq!(lines[0], format!("covered={STREAM} bad=0 beyond=0 cut=0 len_mismatch=0 gso=yes"), "{case}");
            assert!(lines[2].ends_with(" drop=0"), "{case}");
            eprintln!("{against:?} TPACKET_V{version}: {}", lines[1]);
            peer.end();
        })
        .expect("namespaces");
    });
}

/// Keep the link busy for about 1.5 s (bursts of 50 frames, a pause of
/// 1 ms after each: some 30 000 frames a second) while c-tests/break_storm.c
/// reads with `api` under a storm of pcap_breakloop calls from a SIGALRM
/// handler (every 100 us, on a random half of the signals). Every read
/// ends with -2 or its proper result; delivery keeps order and loses
/// nothing pcap_stats does not report as dropped (libpcap does lose some
/// through pcap_next_ex: see below).
fn break_storm(api: &'static str) {
    for_each_version(move |against, version| {
        let exe = build_c("break_storm", against, &[]);
        let (line, figures) = with_veth(move |v| {
            let mut d = Driven::spawn(&exe, &[&v.a, api, &version.to_string()], against);
            d.expect_line(LINE, "READY");
            let tx = Sender::new(v.b_index);
            let start = std::time::Instant::now();
            let mut sent = 0u32;
            while start.elapsed() < Duration::from_millis(1500) && sent < 200_000 {
                for _ in 0..50 {
                    tx.send_retry(&frame(v.a_mac, v.b_mac, sent, 100));
                    sent += 1;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            d.say("DONE");
            let (out, _) = d.finish(EXIT);
            let line = out.lines().find(|l| l.starts_with("delivered=")).unwrap_or_else(|| panic!("{out}")).to_string();
            let figures = out.lines().find(|l| l.starts_with("# signals=")).unwrap_or_default().to_string();
            (format!("{line} sent={sent}"), figures)
        })
        .expect("namespaces");
        let case = format!("{api} {against:?} TPACKET_V{version}: {line} {figures}");
        eprintln!("{case}");
        let sent = field(&line, "sent");
        assert_eq!(field(&line, "bad_returns"), 0, "{case}");
        assert_eq!(field(&line, "out_of_order"), 0, "{case}: in order, none twice");
        assert_eq!(field(&line, "recv"), sent, "{case}: ps_recv");
        let breaks = field(&figures, "breaks");
        let accounted = field(&line, "delivered") + field(&line, "drop");
        if against == Against::System && api == "next_ex" {
            // libpcap 1.10.3 loses packets here: its read takes the packet
            // from the ring into pcap_next_ex's buffer, then sees the break
            // and returns -2, so the caller never gets it and no counter
            // has it. At most one per break; ringcap loses none.
            assert!(accounted <= sent && sent - accounted <= breaks, "{case}: libpcap loses at most one per break");
        } else {
            assert_eq!(accounted, sent, "{case}: delivered + dropped == sent");
        }
        assert!(breaks > 100, "{case}: the storm broke reads");
    });
}

#[test]
fn breakloop_storm_during_pcap_loop() {
    break_storm("loop");
}

#[test]
fn breakloop_storm_during_pcap_dispatch() {
    break_storm("dispatch");
}

#[test]
fn breakloop_storm_during_pcap_next_ex() {
    break_storm("next_ex");
}
