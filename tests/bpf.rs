//! Classic BPF through the C ABI compared with the system libpcap: the same
//! C program (c-tests/bpf_diff.c) built against each library must print the
//! same `bpf_validate` verdicts, `bpf_filter` / `pcap_offline_filter`
//! results, `bpf_image` lines and `bpf_dump` listings, for seeded random
//! programs and for what the system libpcap compiles from common filter
//! expressions (c-tests/bpf_compile.c).

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{assert_same_lines, build_c, root, run, Against};

/// Expressions compiled by the system libpcap on a dead Ethernet handle.
/// (`ip6 protochain` loops with backward jumps; its AH branch can spin forever
/// in libpcap's interpreter on some packets, not on these seeded ones.)
const EXPRESSIONS: &[&str] = &[
    "",
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ip6",
    "arp",
    "not ip",
    "tcp port 80",
    "tcp port 80 or udp port 53",
    "udp port 53",
    "tcp dst port 443",
    "src port 1234",
    "portrange 1000-2000",
    "host 192.168.1.3",
    "src host 192.168.1.7 and dst port 53",
    "net 10.0.0.0/8",
    "dst net 10.0.0.0/24 or src net 192.168.0.0/16",
    "ip and not net 127.0.0.0/8",
    "tcp dst port 22 and (src net 10.0.0.0/8 or src net 192.168.0.0/16)",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0",
    "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] > 100",
    "ip[6:2] & 0x1fff = 0",
    "ip[8] < 65",
    "icmp[icmptype] = icmp-echo",
    "ip proto 47",
    "ip6 and tcp port 443",
    "ip6 and udp",
    "vlan",
    "vlan 105",
    "vlan and tcp port 80",
    "ether host 00:11:22:33:44:55",
    "ether broadcast",
    "ether multicast",
    "ip multicast",
    "ether[0] & 1 != 0",
    "ether proto 0x88cc",
    "greater 100",
    "less 64",
    "len > 120",
    "len <= 60 or len >= 150",
    "udp[8:2] = 0x1234",
    "mpls",
    "pppoes",
    "ip[0] & 0xf != 5",
    "ip6 protochain 6",
    "ip6 protochain 17",
];

fn compiled_programs() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let exe = build_c("bpf_compile", Against::System, &[]);
        let mut child = Command::new(&exe).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all((EXPRESSIONS.join("\n") + "\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "bpf_compile failed");
        let path = root().join("target/c-tests/bpf_programs.ddd");
        std::fs::write(&path, &out.stdout).unwrap();
        path
    })
}

fn exe(against: Against) -> &'static PathBuf {
    static SYSTEM: OnceLock<PathBuf> = OnceLock::new();
    static RINGCAP: OnceLock<PathBuf> = OnceLock::new();
    let cell = if against == Against::System { &SYSTEM } else { &RINGCAP };
    cell.get_or_init(|| build_c("bpf_diff", against, &[]))
}

/// Run bpf_diff with `args` on both libraries; both must succeed and print
/// the same lines. Returns the output.
fn same_on_both(args: &[&str]) -> String {
    let outputs: Vec<String> = [Against::System, Against::Ringcap]
        .iter()
        .map(|&against| {
            let out = run(exe(against), args, against);
            assert!(
                out.status.success(),
                "bpf_diff {args:?} against {against:?} failed: {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    assert_same_lines(&format!("bpf_diff {args:?}"), &outputs[0], &outputs[1]);
    outputs.into_iter().next().unwrap()
}

#[test]
fn validate_verdicts_match_libpcap() {
    let out = same_on_both(&["validate", "20000", "1"]);
    // The generator reaches both verdicts often.
    let ok = out.lines().filter(|l| l.ends_with(" 1")).count();
    assert!(ok > 3000 && ok < 17000, "{ok} of 20000 valid");
}

#[test]
fn filter_results_match_libpcap() {
    let programs = compiled_programs().to_str().unwrap();
    let out = same_on_both(&["filter", programs, "3000", "2"]);
    assert_eq!(out.lines().filter(|l| l.starts_with('c')).count(), EXPRESSIONS.len());
    // Compiled filters both accept and reject crafted packets.
    let verdicts: Vec<&str> = out.lines().filter(|l| l.starts_with('c')).flat_map(|l| l.split(' ').skip(1)).collect();
    assert!(verdicts.iter().filter(|v| **v == "262144/262144").count() > 300);
    assert!(verdicts.iter().filter(|v| **v == "0/0").count() > 300);
}

#[test]
fn images_match_libpcap() {
    let out = same_on_both(&["image"]);
    assert_eq!(out.lines().count(), 65536 * 7);
}

#[test]
fn dumps_match_libpcap() {
    let programs = compiled_programs().to_str().unwrap();
    let out = same_on_both(&["dump", programs, "3"]);
    assert!(out.contains("(000) ldh      [12]"), "{}", &out[..out.len().min(2000)]);
}

#[test]
fn edge_cases_match_libpcap() {
    let out = same_on_both(&["edge"]);
    assert!(out.contains("bpf_filter NULL program: 4294967295"), "{out}");
}

/// NULL arguments that crash libpcap return the documented failure values.
#[test]
fn null_arguments_do_not_crash() {
    let out = run(exe(Against::Ringcap), &["null"], Against::Ringcap);
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "bpf_image NULL: NULL\n\
         pcap_offline_filter NULL program: 0\n\
         pcap_offline_filter NULL header: 0\n\
         pcap_offline_filter NULL packet: 0\n\
         bpf_filter NULL packet, buflen 4: 0\n\
         bpf_validate NULL: 0\n\
         -- dump NULL insns\n\
         5\n\
         -- end\n"
    );
}
