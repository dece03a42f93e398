//! The name database of `<pcap/namedb.h>`, `eproto_db` and
//! `pcap_compile_nopcap` compared with the system libpcap: c-tests/namedb.c
//! built against each library must print the same lines. It runs in a
//! private network namespace with its own hosts, networks, services and
//! ethers files laid over /etc (tests/common/private_etc.rs), so results do
//! not depend on the machine and no lookup leaves it.

mod common;

use std::process::Command;

use common::private_etc::PrivateEtc;
use common::{assert_same_lines, build_c, command, Against};

const HOSTS: &str = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.1.2.3 rc-alpha\n\
                     10.1.2.4 rc-multi\n10.1.2.5 rc-multi\nfd00::7 rc-six\n";
const NETWORKS: &str = "loopback 127.0.0.0\nlink-local 169.254.0.0\nrc-net 10.20\nrc-net3 10.20.30\n";
/// Appended to the system's services: one service per protocol, one on
/// both, and one whose TCP and UDP ports differ.
const SERVICES: &str = "rc-tcp 1111/tcp\nrc-udp 2222/udp\nrc-both 3333/tcp\nrc-both 3333/udp\n\
                        rc-split 4444/tcp\nrc-split 5555/udp\n";

/// An ethers file with what `pcap_next_etherent` must take and skip:
/// comments, blank and indented lines, bad and short addresses (a short
/// one keeps the bytes a skipped line left behind in the same call, as in
/// libpcap), an address without a name, CRLF, a name over 121 bytes
/// (truncated), and a name at the end of the file without a newline (lost,
/// as in libpcap).
fn ethers() -> Vec<u8> {
    let mut s = String::from(
        "# ethers for ringcap's tests\n\n00:11:22:33:44:55 rc-eth1\n0:1:2:3:4:5\trc-eth0 # a comment\n\
         AA:BB:CC:DD:EE:FF rc-eth2\nzz:11:22:33:44:55 bad-hex\n00:11:22:33:44 short-addr\n\
         00:11:22:33:44:55:66 long-addr\n00:11:22:33:44:56\n00:11:22:33:44:57    # only a comment\n\
         01:02:03:04:05-x\n0a:0b rc-partial\n\t 02:00:00:00:00:01 indented\n02:00:00:00:00:02 rc-crlf\r\n02-00-00-00-00-03 dashes\n",
    );
    s.push_str(&format!("02:00:00:00:00:04 {}\n", "n".repeat(130)));
    s.push_str(&format!("02:00:00:00:00:05 {} tail\n", "p".repeat(121)));
    s.push_str("02:00:00:00:00:06 two names\n02:00:00:00:00:07 rc-eof");
    s.into_bytes()
}

fn private_etc() -> PrivateEtc {
    let services = std::fs::read_to_string("/etc/services").unwrap_or_default() + SERVICES;
    PrivateEtc::new(
        "namedb",
        &[
            ("hosts", HOSTS.as_bytes()),
            ("networks", NETWORKS.as_bytes()),
            ("services", services.as_bytes()),
            ("ethers", &ethers()),
        ],
    )
}

/// Run namedb with `args` against both libraries inside `etc`; both must
/// succeed and print the same lines. Returns the output.
fn same_on_both(etc: &PrivateEtc, args: &[&str]) -> String {
    let outs: Vec<String> = [Against::System, Against::Ringcap]
        .into_iter()
        .map(|against| {
            let exe = build_c("namedb", against, &[]);
            let mut cmd = command(&exe, against);
            cmd.args(args);
            let out = etc.command(&cmd).output().expect("run namedb under unshare");
            assert!(
                out.status.success(),
                "namedb {args:?} against {against:?}: {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    assert_same_lines(&format!("namedb {args:?}"), &outs[0], &outs[1]);
    outs.into_iter().next().unwrap()
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line {prefix:?} in\n{out}"))
}

#[test]
fn lookups_match_libpcap() {
    let etc = private_etc();
    let out = same_on_both(&etc, &["lookups"]);
    // The files laid over /etc are the ones read, and both libraries
    // answered (these are what libpcap prints; pinned so that a run that
    // read the machine's files instead cannot pass).
    assert_eq!(line(&out, "nametoaddr rc-multi:"), "nametoaddr rc-multi: 0a010204 0a010205");
    assert_eq!(line(&out, "nametoaddr nosuch.invalid:"), "nametoaddr nosuch.invalid: NULL");
    assert!(line(&out, "nametoaddrinfo rc-six:").ends_with("[10 1 6 fd00::7] (1)"), "{out}");
    assert_eq!(line(&out, "nametonetaddr 'rc-net':"), "nametonetaddr 'rc-net': 0a140000");
    assert_eq!(line(&out, "nametoport 'rc-tcp':"), "nametoport 'rc-tcp': 1 port 1111 proto 6");
    assert_eq!(line(&out, "nametoport 'rc-udp':"), "nametoport 'rc-udp': 1 port 2222 proto 17");
    assert_eq!(line(&out, "nametoport 'rc-both':"), "nametoport 'rc-both': 1 port 3333 proto -1");
    assert_eq!(line(&out, "nametoport 'rc-split':"), "nametoport 'rc-split': 1 port 4444 proto 6");
    // libpcap stores the first name's port and protocol before it fails.
    assert_eq!(line(&out, "nametoportrange 'http-nosuch':"), "nametoportrange 'http-nosuch': 0 ports 80 -7 proto 6");
    assert_eq!(line(&out, "nametoportrange 'ftp-data-ftp':"), "nametoportrange 'ftp-data-ftp': 0 ports 21 -7 proto 6");
    assert_eq!(line(&out, "nametoproto 'ipv6-icmp':"), "nametoproto 'ipv6-icmp': 58");
    assert_eq!(line(&out, "nametoproto 'nosuch':"), "nametoproto 'nosuch': -1");
    assert_eq!(out.lines().filter(|l| l.starts_with("eproto_db ")).count(), 13);
    assert_eq!(line(&out, "ether_hostton 'rc-eth2'"), "ether_hostton 'rc-eth2' (7 bytes): aa:bb:cc:dd:ee:ff");
    assert_eq!(line(&out, "compile_nopcap 65535 1 'tcp port' "), "compile_nopcap 65535 1 'tcp port' 1: -1");
    assert!(line(&out, "compile_nopcap 65535 1 'ether host rc-eth1' 1: 0 len ").contains(" 21,0,2,573785173 "), "{out}");
    assert_eq!(line(&out, "compile_nopcap 0 1 'tcp' "), "compile_nopcap 0 1 'tcp' 1: -1");
}

#[test]
fn next_etherent_matches_libpcap() {
    let etc = private_etc();
    let file = etc.dir().join("ethers");
    let out = same_on_both(&etc, &["etherent", file.to_str().unwrap()]);
    let names: Vec<&str> = out.lines().filter_map(|l| l.split('\'').nth(1)).collect();
    let long = "n".repeat(121);
    let tail = "p".repeat(121);
    assert_eq!(
        names,
        // An address without a name takes the next line's address as
        // its name, as in libpcap.
        ["rc-eth1", "rc-eth0", "rc-eth2", "short-addr", "00:11:22:33:44:57", "rc-partial", "indented", "rc-crlf", &long, &tail, "two"],
        "{out}"
    );
    assert!(line(&out, "etherent end").starts_with("etherent end after 11,"), "{out}");
    // Files that end inside an entry.
    for (tag, text) in [("eof-addr", "00:11:22:33:44:55"), ("eof-space", "00:11:22:33:44:55 "), ("empty", "")] {
        let etc = PrivateEtc::new(tag, &[("ethers", text.as_bytes())]);
        let file = etc.dir().join("ethers");
        let out = same_on_both(&etc, &["etherent", file.to_str().unwrap()]);
        assert!(out.starts_with("etherent end after 0,"), "{tag}: {out}");
    }
}

/// The harness refuses to run a program unisolated: inside, the network
/// namespace has nothing but a loopback device that is down.
#[test]
fn lookups_run_without_a_network() {
    let etc = PrivateEtc::new("netns", &[]);
    let mut cat = Command::new("cat");
    cat.arg("/proc/net/dev");
    let out = etc.command(&cat).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let devs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(devs, ["lo"]);
}
