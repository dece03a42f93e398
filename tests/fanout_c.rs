//! Fanout through the C ABI and for unmodified programs: c-tests/fanout_api.c
//! (every `ringcap_*fanout*` call on every kind of handle, with exact
//! output), examples/fanout.c (worker threads in one group: the total is
//! what was sent), and two unmodified Debian tcpdump processes joined by
//! `RINGCAP_FANOUT=hash:<id>` that together capture every frame of a flow
//! mix exactly once; a malformed `RINGCAP_FANOUT` fails tcpdump's
//! activation with the variable named.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::netns::{udp_frame, with_veth, Sender, Veth};
use common::{build_c, build_c_file, lib_dir, Against};
use ringcap::packet::{Next, PacketSource};
use ringcap::savefile::source::Source;
use ringcap::savefile::Offline;

/// What fanout_api.c prints. Error texts stay until the next error
/// (`pcap_geterr` keeps the last one, as in libpcap). The CBPF program
/// returns the low byte of the sequence number (offset 3 from the network
/// header): frames 0..299 split 101 / 100 / 99 over the three members.
const EXPECTED: &str = r#"NULL handle: -1 -1 -1 -1
kernel values: 0 1 2 3 4 5 6 7 0x1000 0x2000 0x4000 0x8000
ringcap_fanout_group_id(in) = -3 [This handle hasn't been activated yet]
ringcap_set_fanout(in, 9, 1, 0) = -1 [fanout mode 9 is not one the kernel has (hash 0, lb 1, cpu 2, rollover 3, rnd 4, qm 5, cbpf 6, ebpf 7)]
ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 1, 0x0100) = -1 [fanout flags 0x0100 have unknown bits 0x0100 (the kernel's are PACKET_FANOUT_FLAG_ROLLOVER 0x1000, UNIQUEID 0x2000, IGNORE_OUTGOING 0x4000, DEFRAG 0x8000)]
ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 5, RINGCAP_FANOUT_FLAG_UNIQUEID) = -1 [fanout flag uniqueid asks the kernel to assign the group id, so the group id must be 0, not 5]
ringcap_set_fanout(in, RINGCAP_FANOUT_ROLLOVER, 5, RINGCAP_FANOUT_FLAG_ROLLOVER) = -1 [fanout mode rollover takes no rollover flag (it rolls over already)]
ringcap_set_fanout_cbpf(in, &prog) = -1 [ringcap_set_fanout_cbpf: this handle has no fanout request; call ringcap_set_fanout first]
ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 20, 0) = 0 [ringcap_set_fanout_cbpf: this handle has no fanout request; call ringcap_set_fanout first]
ringcap_set_fanout_cbpf(in, &prog) = -1 [a CBPF program applies to fanout mode cbpf only; this handle's mode is hash]
ringcap_set_fanout(in, RINGCAP_FANOUT_CBPF, 20, 0) = 0 [a CBPF program applies to fanout mode cbpf only; this handle's mode is hash]
ringcap_set_fanout_cbpf(in, NULL) = -1 [ringcap_set_fanout_cbpf: the program is NULL]
ringcap_set_fanout_cbpf(in, &empty) = -1 [ringcap_set_fanout_cbpf: the program has no instructions]
ringcap_set_fanout_cbpf(in, &bad) = -1 [the CBPF fanout program is not valid (bpf_validate refuses it)]
ringcap_set_fanout_cbpf(in, &prog) = 0 [the CBPF fanout program is not valid (bpf_validate refuses it)]
ringcap_fanout_group_id(in) = 20 [the CBPF fanout program is not valid (bpf_validate refuses it)]
ringcap_set_fanout(m[i], RINGCAP_FANOUT_CBPF, 20, 0) = 0 []
ringcap_set_fanout(m[i], RINGCAP_FANOUT_CBPF, 20, 0) = 0 []
cbpf counts 101 100 99 misplaced 0
ringcap_set_fanout_cbpf(m[2], &bad) = -1 [the CBPF fanout program is not valid (bpf_validate refuses it)]
ringcap_set_fanout_cbpf(m[2], &prog) = 0 [the CBPF fanout program is not valid (bpf_validate refuses it)]
ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 21, 0) = -1 [this handle is already in fanout group 20 (mode cbpf, flags none); a socket joins one group and stays in it until it closes: Operation already in progress]
ringcap_set_fanout(q, RINGCAP_FANOUT_LB, 20, 0) = -1 [fanout group 20 exists with mode cbpf; this handle asked for lb: Invalid argument]
ringcap_set_fanout(q, RINGCAP_FANOUT_CBPF, 20, RINGCAP_FANOUT_FLAG_DEFRAG) = -1 [fanout group 20 exists with flags none; this handle asked for defrag: Invalid argument]
ringcap_fanout_group_id(q) = -1 [this handle is in no fanout group]
ringcap_set_fanout_cbpf(q, &prog) = -1 [this handle is in no fanout group; a CBPF program needs a cbpf group joined first]
ringcap_set_fanout(q, RINGCAP_FANOUT_HASH, 22, 0) = 0 [this handle is in no fanout group; a CBPF program needs a cbpf group joined first]
ringcap_set_fanout_cbpf(q, &prog) = -1 [fanout group 22 has mode hash; a CBPF program applies to mode cbpf only]
ringcap_set_fanout_ebpf(q, -1) = -1 [ringcap_set_fanout_ebpf: -1 is not a file descriptor]
ringcap_set_fanout_ebpf(q, 999) = -1 [ringcap_set_fanout_ebpf: can't duplicate descriptor 999: Bad file descriptor]
ringcap_set_fanout(o, RINGCAP_FANOUT_CBPF, 20, 0) = -1 [fanout group 20 is on device rca; this handle captures on rcb: Invalid argument]
ringcap_set_fanout(u1, RINGCAP_FANOUT_LB, 0, RINGCAP_FANOUT_FLAG_UNIQUEID) = 0 []
assigned id in range: yes
ringcap_set_fanout(u2, RINGCAP_FANOUT_LB, (uint16_t)id, 0) = 0 []
second member's id matches: yes
uniqueid lb counts 50 50 misplaced 0
ringcap_set_fanout(m[i], RINGCAP_FANOUT_EBPF, 30, 0) = 0 []
ringcap_set_fanout(m[i], RINGCAP_FANOUT_EBPF, 30, 0) = 0 []
ringcap_set_fanout(m[i], RINGCAP_FANOUT_EBPF, 30, 0) = 0 []
ringcap_set_fanout_ebpf(m[0], fd) = 0 []
ebpf counts 0 150 0 misplaced 0
join from a callback = 0, group 40
ringcap_set_fanout(dead, RINGCAP_FANOUT_HASH, 1, 0) = -1 [ringcap_set_fanout: fanout needs a live capture, not a pcap_open_dead pcap_t]
ringcap_fanout_group_id(dead) = -1 [ringcap_fanout_group_id: fanout needs a live capture, not a pcap_open_dead pcap_t]
ringcap_set_fanout_cbpf(dead, &prog) = -1 [ringcap_set_fanout_cbpf: fanout needs a live capture, not a pcap_open_dead pcap_t]
done
"#;

#[test]
fn fanout_through_the_c_abi() {
    let exe = build_c("fanout_api", Against::Ringcap, &[]);
    let out = with_veth(move |v| common::run(&exe, &[&v.a, &v.b], Against::Ringcap)).expect("namespaces");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "fanout_api failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    let diff: Vec<String> =
        EXPECTED.lines().zip(text.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("expected: {a}\n     got: {b}")).collect();
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    assert_eq!(text, EXPECTED);
}

/// Flow-mix frames `0..n` (64 flows) sent into `v.a`.
fn send_flows(v: &Veth, n: u32) {
    let tx = Sender::new(v.b_index);
    for seq in 0..n {
        tx.send_retry(&udp_frame(v, seq, seq % 64, 0));
    }
}

fn interrupt(child: &Child) {
    let st = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
}

/// examples/fanout.c with three workers in one hash group: every frame
/// sent is counted by exactly one worker.
#[test]
fn fanout_example_counts_every_frame_once() {
    let exe = build_c_file(&common::root().join("examples/fanout.c"), "fanout_example", Against::Ringcap, &["-pthread"]);
    let (out, err) = with_veth(move |v| {
        let mut child = common::command(&exe, Against::Ringcap)
            .args([v.a.as_str(), "3", "hash", "4242"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert_eq!(first, "capturing on rca: 3 workers in fanout group 4242 (hash)\n");
        send_flows(v, 3000);
        // The workers' 100 ms timeout hands over the last block.
        std::thread::sleep(Duration::from_millis(700));
        interrupt(&child);
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(child.wait().unwrap().success(), "{rest}{err}");
        (rest, err)
    })
    .expect("namespaces");
    assert_eq!(err, "");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[3], "total: 3000 packets, 0 dropped by the kernel", "{out}");
    let per: Vec<u64> = lines[..3]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let rest = l.strip_prefix(&format!("worker {i}: ")).unwrap_or_else(|| panic!("{l}"));
            rest.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(per.iter().sum::<u64>(), 3000);
    assert!(per.iter().all(|&n| n > 0), "64 flows hash onto every worker: {per:?}");
}

/// An unmodified tcpdump on ringcap writing `file`, with `fanout` in
/// RINGCAP_FANOUT, once it is listening (or has exited, or 30 s passed):
/// the process, its stderr so far, and the rest of its stderr to come.
fn tcpdump(dev: &str, fanout: &str, file: &std::path::Path) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = Command::new("tcpdump")
        .args(["-Z", "root", "-n", "-U", "-i", dev, "-w"])
        .arg(file)
        .env("LD_LIBRARY_PATH", lib_dir())
        .env("RINGCAP_FANOUT", fanout)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump (apt-get install tcpdump)");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let rest = std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            // Once the caller stopped listening, the rest is the tail.
            if let Err(unsent) = tx.send(std::mem::take(&mut line)) {
                line = unsent.0;
                break;
            }
        }
        err.read_to_string(&mut line).unwrap_or_default();
        line
    });
    let mut head = String::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        head.push_str(&line);
        // "tcpdump: listening on rca, link-type ..." with -w.
        if line.contains("listening on") {
            break;
        }
    }
    (child, head, rest)
}

/// The (sequence number, flow) of every flow-mix frame in a pcap file.
fn frames_in(file: &std::path::Path) -> Vec<(u32, u32)> {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut f = Offline::open(Source::memory(bytes), 0).expect("a pcap file");
    let mut v = Vec::new();
    while let Next::Packet(_, d) = f.next_packet().expect("read") {
        v.extend(common::netns::udp_frame_fields(d).map(|(s, fl, _)| (s, fl)));
    }
    v
}

/// Two unmodified tcpdump processes in one hash group (RINGCAP_FANOUT)
/// capture every frame of a flow mix exactly once between them, each flow
/// in one of them.
#[test]
fn two_tcpdumps_share_a_hash_group() {
    lib_dir();
    let dir = std::env::temp_dir().join(format!("ringcap-fanout-tcpdump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = [dir.join("one.pcap"), dir.join("two.pcap")];
    let f2 = files.clone();
    let stderr = with_veth(move |v| {
        let procs: Vec<_> = f2.iter().map(|f| tcpdump(&v.a, "hash:77", f)).collect();
        for (_, head, _) in &procs {
            assert!(head.contains("listening on rca"), "{head}");
        }
        send_flows(v, 2000);
        // tcpdump's 1 s timeout hands over the last block.
        std::thread::sleep(Duration::from_millis(1600));
        for (c, _, _) in &procs {
            interrupt(c);
        }
        procs
            .into_iter()
            .map(|(mut c, head, rest)| {
                let st = c.wait().unwrap();
                let tail = rest.join().unwrap();
                assert!(st.success(), "tcpdump exited with {st:?}:\n{head}{tail}");
                tail
            })
            .collect::<Vec<String>>()
    })
    .expect("namespaces");
    let got: Vec<Vec<(u32, u32)>> = files.iter().map(|f| frames_in(f)).collect();
    let _ = std::fs::remove_dir_all(&dir);
    let counts: Vec<usize> = got.iter().map(Vec::len).collect();
    assert_eq!(counts.iter().sum::<usize>(), 2000, "frames in the two files: {counts:?}\n{stderr:?}");
    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, frames) in got.iter().enumerate() {
        for &(seq, flow) in frames {
            *seen.entry(seq).or_default() += 1;
            assert_eq!(*owner.entry(flow).or_insert(i), i, "flow {flow} in both captures");
        }
    }
    assert_eq!(seen.keys().copied().collect::<Vec<_>>(), (0..2000).collect::<Vec<_>>());
    assert!(seen.values().all(|&n| n == 1), "every frame once");
    assert!(counts.iter().all(|&n| n > 0), "64 flows hash onto both: {counts:?}");
    for (i, tail) in stderr.iter().enumerate() {
        assert!(tail.contains(&format!("{} packets captured", counts[i])), "tcpdump {i}: {tail}");
    }
}

/// A malformed RINGCAP_FANOUT fails tcpdump's activation, naming the
/// variable and what it expected.
#[test]
fn malformed_fanout_knob_stops_tcpdump() {
    lib_dir();
    let file = std::env::temp_dir().join(format!("ringcap-fanout-bad-{}.pcap", std::process::id()));
    let f = file.clone();
    let (st, err) = with_veth(move |v| {
        let (mut child, head, rest) = tcpdump(&v.a, "hash", &f);
        (child.wait().unwrap(), head + &rest.join().unwrap())
    })
    .expect("namespaces");
    let _ = std::fs::remove_file(&file);
    assert!(!st.success());
    assert_eq!(err, "tcpdump: RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...], got 'hash'\n");
}
