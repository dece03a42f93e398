//! Debian's unmodified tcpdump capturing live through ringcap
//! (`LD_LIBRARY_PATH=target/lib`), compared with the same tcpdump on the
//! system libpcap: a mix of real protocol frames (the filter tests' packet
//! corpus: IPv4/IPv6, TCP/UDP/ICMP, ARP, VLAN stacks, MPLS, PPPoE, ...) sent
//! over a veth pair in a private namespace, printed with `-n -e -x -t`, with
//! and without filters, plus tcpdump's closing statistics.

mod common;
mod filter_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::netns::{with_veth, Sender};
use common::{assert_same_lines, lib_dir, Against};

/// Frames that fit the veth MTU.
fn frames() -> Vec<Vec<u8>> {
    filter_support::packets::ethernet_frames().into_iter().filter(|f| f.len() >= 14 && f.len() <= 1514).collect()
}

/// How tcpdump finds its libpcap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lib {
    System,
    /// `LD_LIBRARY_PATH=target/lib`: ringcap's libpcap.so.0.8 instead.
    LibraryPath,
    /// `LD_PRELOAD=target/lib/libringcap.so`: ringcap's symbols first.
    Preload,
}

/// Run tcpdump with `args` on the capture end, send the corpus, stop it with
/// SIGINT; returns (stdout, stderr). `{ifindex}` in an argument stands for
/// the capture interface's index.
fn tcpdump(against: Lib, args: &[&str]) -> (String, String) {
    let lib = lib_dir();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    with_veth(move |v| {
        let mut cmd = Command::new("tcpdump");
        cmd.args(["-Z", "root", "-n", "-e", "-x", "-t", "-l", "-i", &v.a]);
        cmd.args(args.iter().map(|a| a.replace("{ifindex}", &v.a_index.to_string())));
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        match against {
            Lib::System => {}
            Lib::LibraryPath => {
                cmd.env("LD_LIBRARY_PATH", &lib);
            }
            Lib::Preload => {
                cmd.env("LD_PRELOAD", lib.join("libringcap.so"));
            }
        }
        let mut child = cmd.spawn().expect("tcpdump (apt-get install tcpdump)");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "tcpdump exited: {head}");
            head.push_str(&line);
            if line.starts_with("listening on") {
                break;
            }
        }
        // Drain stdout while tcpdump runs, so a full pipe never blocks it.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            stdout.read_to_string(&mut out).unwrap();
            out
        });
        let tx = Sender::new(v.b_index);
        // libpcap filters the ring block that is filling when the filter is
        // set in userland, whatever arrives in it later, with an interpreter
        // that has no packet type or interface index (`inbound` and
        // `ifindex` reject everything there). A warm-up frame the kernel
        // lets through fills that block until its timeout hands it over;
        // the mix goes into the next, which only the kernel filters, as
        // ringcap's whole capture after the change is.
        let outbound = args.iter().any(|a| a.contains("outbound"));
        Sender::new(if outbound { v.a_index } else { v.b_index }).send(&warm_up_frame(v));
        std::thread::sleep(Duration::from_millis(1300));
        for f in frames() {
            tx.send(&f);
        }
        // libpcap hands a TPACKET_V3 block over when its 1 s timeout expires.
        std::thread::sleep(Duration::from_millis(1600));
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        let out = reader.join().unwrap();
        let mut tail = String::new();
        err.read_to_string(&mut tail).unwrap();
        let st = child.wait().unwrap();
        assert!(st.success(), "tcpdump {args:?} against {against:?} exited with {st:?}\n{head}{tail}");
        (out, head + &tail)
    })
    .expect("namespaces")
}

/// The warm-up frame's source address, which no frame of the mix has.
const WARM_UP_SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x99];

/// An ICMP echo request to the capture end (`inbound and icmp` keeps it),
/// sent before the mix and left out of the comparison.
fn warm_up_frame(v: &common::netns::Veth) -> Vec<u8> {
    let mut f = v.a_mac.to_vec();
    f.extend(WARM_UP_SRC);
    f.extend([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 9, 9, 9, 10, 9, 9, 8]);
    f.extend([8, 0, 0, 0, 0, 1, 0, 1]);
    f
}

/// tcpdump's output without the warm-up frame (its line, and the byte
/// lines under it).
fn without_warm_up(out: &str) -> String {
    let mut kept = String::new();
    let mut skipping = false;
    for l in out.lines() {
        if !l.starts_with(char::is_whitespace) {
            skipping = l.starts_with("02:00:00:00:00:99 >");
        }
        if !skipping {
            kept.push_str(l);
            kept.push('\n');
        }
    }
    kept
}

/// The frames tcpdump printed: `-x` puts the bytes on indented lines
/// under each frame's one unindented line.
fn printed(out: &str) -> usize {
    out.lines().filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace)).count()
}

/// tcpdump's closing "N packets captured" count, and its stderr without it.
fn captured(err: &str) -> (usize, String) {
    let line = err.lines().find(|l| l.ends_with(" packets captured") || l.ends_with(" packet captured")).expect(err);
    (line.split(' ').next().unwrap().parse().unwrap(), err.replace(line, ""))
}

fn compare(args: &[&str], expect_some: bool) -> usize {
    compare_with(Lib::LibraryPath, args, expect_some)
}

fn compare_with(ours: Lib, args: &[&str], expect_some: bool) -> usize {
    let (sys_all, sys_err) = tcpdump(Lib::System, args);
    let (our_all, our_err) = tcpdump(ours, args);
    // Each counted what it printed; where libpcap's userland pass dropped
    // the warm-up frame and the kernel kept it for ringcap, the counts
    // differ by that frame.
    let (sys_n, sys_err) = captured(&sys_err);
    let (our_n, our_err) = captured(&our_err);
    assert_eq!((sys_n, our_n), (printed(&sys_all), printed(&our_all)), "tcpdump {args:?}: captured counts");
    let sys_out = without_warm_up(&sys_all);
    let our_out = without_warm_up(&our_all);
    if expect_some {
        assert!(printed(&sys_out) > 0, "libpcap's tcpdump printed packets for {args:?}");
    }
    assert_same_lines(&format!("tcpdump {args:?}"), &sys_out, &our_out);
    // "listening on ...", and the kernel's closing counts.
    assert_eq!(our_err, sys_err, "tcpdump {args:?}: stderr");
    printed(&sys_out)
}

/// The interface index of the capture end in a fresh namespace (the
/// loopback device is 1, then the pair: rcb, rca).
const CAPTURE_IFINDEX: i32 = 3;

/// How many frames of the mix `filter` selects, computed offline by the
/// system libpcap's pcap_offline_filter, on the frames as the kernel runs
/// a live filter over them:
/// - Linux moves an arriving frame's outer 802.1Q/802.1ad tag into packet
///   metadata, so a filter sees the frame without it (`tcp` matches tagged
///   TCP live); a filter that tests `vlan` reads the metadata on a live
///   capture and the tag itself offline, so it runs on the frames as sent;
/// - filters on what the ring reports rather than the frame (direction,
///   interface) run on the frames as a cooked v2 capture of the capture end
///   records them: every frame arrives there, none is sent.
fn offline_selection(filter: &str) -> usize {
    use filter_support::packets::{encode, Packet};
    use filter_support::{parse_prog, Oracle, Outcome};
    let metadata = ["inbound", "outbound", "ifindex"].iter().any(|w| filter.contains(w));
    let tags_inline = filter.contains("vlan");
    let pkts: Vec<Packet> = frames()
        .into_iter()
        .map(|f| {
            let f = if tags_inline { f } else { untagged(&f) };
            let data = if metadata { cooked_v2(&f) } else { f };
            Packet { wirelen: data.len() as u32, data }
        })
        .collect();
    let dlt = if metadata { 276 } else { 1 };
    let oracle = Oracle::new(Against::System);
    let compiled = oracle.run(filter_support::compile_cmd(dlt, true, filter));
    let Outcome::Program { text, .. } = Outcome::parse(&compiled[0]) else { panic!("{filter}: {compiled:?}") };
    assert!(!parse_prog(&text).is_empty());
    let file = std::env::temp_dir().join(format!("ringcap-tcpdump-mix-{}-{dlt}", std::process::id()));
    std::fs::write(&file, encode(&pkts)).unwrap();
    let out = oracle.run(format!("P\t{}\nR\t{text}\n", file.display()));
    let _ = std::fs::remove_file(&file);
    out[1].split('\t').skip(1).filter(|r| *r != "0").count()
}

/// A frame without its outer 802.1Q or 802.1ad tag, as a live filter sees
/// it.
fn untagged(f: &[u8]) -> Vec<u8> {
    if f[12..14] == [0x81, 0x00] || f[12..14] == [0x88, 0xa8] {
        [&f[..12], &f[16..]].concat()
    } else {
        f.to_vec()
    }
}

/// An Ethernet frame as a LINUX_SLL2 capture on the capture end records
/// it: protocol, interface, ARPHRD_ETHER, the packet type the kernel gives
/// an arriving frame (host, broadcast, multicast, or another host's under
/// tcpdump's promiscuous mode), the source address, the payload.
fn cooked_v2(f: &[u8]) -> Vec<u8> {
    let capture_mac = [0x02, 0, 0, 0, 0, 0x0a];
    let pkttype = if f[..6] == capture_mac {
        0
    } else if f[..6] == [0xff; 6] {
        1
    } else if f[0] & 1 != 0 {
        2
    } else {
        3
    };
    let mut h = f[12..14].to_vec();
    h.extend([0, 0]);
    h.extend(CAPTURE_IFINDEX.to_be_bytes());
    h.extend(1u16.to_be_bytes());
    h.extend([pkttype, 6]);
    h.extend(&f[6..12]);
    h.extend([0, 0]);
    h.extend(&f[14..]);
    h
}

/// tcpdump prints exactly the frames libpcap's tcpdump prints, and as many
/// as the filter selects from the mix offline.
fn selects(filter: &str) {
    let live = compare(&[filter], false);
    let offline = offline_selection(&filter.replace("{ifindex}", &CAPTURE_IFINDEX.to_string()));
    assert_eq!(live, offline, "{filter}: tcpdump printed {live} frames, the filter selects {offline} of the mix");
}

#[test]
fn tcpdump_prints_the_same_packets() {
    assert_eq!(compare(&[], true), frames().len());
}

/// The same with ringcap preloaded into tcpdump, which still loads the
/// system libpcap: ringcap's symbols win (a malformed ringcap knob, which
/// only ringcap reads, stops the preloaded tcpdump at activation).
#[test]
fn tcpdump_preloaded_prints_the_same_packets() {
    assert_eq!(compare_with(Lib::Preload, &["tcp or udp or arp"], true), offline_selection("tcp or udp or arp"));
    let lib = lib_dir();
    let out = with_veth(move |v| {
        let mut child = Command::new("tcpdump")
            .args(["-n", "-c", "1", "-i", &v.a])
            .env("LD_PRELOAD", lib.join("libringcap.so"))
            .env("RINGCAP_TPACKET_VERSION", "7")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump");
        // Had the knob been ignored, tcpdump would wait for a packet that
        // never comes: stop it, and the check below fails.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        child.wait_with_output().unwrap()
    })
    .expect("namespaces");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("RINGCAP_TPACKET_VERSION: expected 1, 2 or 3, got '7'"), "{err}");
}

#[test]
fn tcpdump_with_filters() {
    for f in [
        "udp port 53",
        "tcp or arp",
        "vlan",
        "vlan 100",
        "vlan and tcp port 80",
        "ip6 and not icmp6",
        "mpls 100",
        "mpls and ip6",
        "pppoes 0x1234",
        "pppoed",
        "geneve 5",
        "ether broadcast",
        "ether host 00:11:22:33:44:55 and not arp",
        "udp portrange 1000-2000",
        "ip multicast or ip6 multicast",
        "inbound",
        "outbound",
        "ifindex {ifindex}",
        "ifindex 7",
        "inbound and icmp",
    ] {
        selects(f);
    }
}

/// The capture end's index is what `offline_selection` assumes.
#[test]
fn capture_interface_index() {
    assert_eq!(with_veth(|v| v.a_index).unwrap(), CAPTURE_IFINDEX);
}

#[test]
fn tcpdump_snaplen_and_immediate_mode() {
    compare(&["-s", "60"], true);
    compare(&["--immediate-mode", "-s", "96", "ip"], true);
    compare(&["-Q", "in"], true);
}
