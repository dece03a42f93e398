//! Golden files of compile listings (`tcpdump -d` format) and error texts,
//! produced by the system libpcap and checked in under
//! `tests/golden/filter/`. The test compares ringcap's compiler (and its
//! `bpf_image` listing) with them; no libpcap is needed to run it.
//!
//! Regenerate from the system libpcap with:
//! `RINGCAP_REGEN=1 cargo test --test filter_golden`

mod common;
mod filter_support;

use filter_support::{unescape, Oracle, NETMASK, SNAPLEN};
use ringcap::bpf::image;
use ringcap::filter::{compile, CompileOptions};

/// (link type, name, expression) whose listings are pinned, optimized and not.
const LISTINGS: &[(i32, &str, &str)] = &[
    (1, "EN10MB", ""),
    (1, "EN10MB", "ip"),
    (1, "EN10MB", "tcp port 80"),
    (1, "EN10MB", "host 10.0.0.1 and not port 22"),
    (1, "EN10MB", "src net 192.168.0.0/16 and dst portrange 1000-2000"),
    (1, "EN10MB", "ip6 host 2001:db8::1 or ip6 net fe80::/10"),
    (1, "EN10MB", "ether host 00:11:22:33:44:55 or ether broadcast"),
    (1, "EN10MB", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0"),
    (1, "EN10MB", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420"),
    (1, "EN10MB", "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply"),
    (1, "EN10MB", "vlan 100 and vlan 200 and tcp"),
    (1, "EN10MB", "mpls 100 and ip"),
    (1, "EN10MB", "pppoes 0x1234 and udp port 53"),
    (1, "EN10MB", "geneve 5 and ether host 00:11:22:33:44:55"),
    (1, "EN10MB", "ip protochain 6"),
    (1, "EN10MB", "ip6 protochain 17"),
    (1, "EN10MB", "ip broadcast or ip multicast"),
    (1, "EN10MB", "ether proto \\ipx or stp or iso"),
    (1, "EN10MB", "llc u or llc rnr"),
    (1, "EN10MB", "less 100 or greater 1000 or len = 60"),
    (1, "EN10MB", "ip[2:2] - ((ip[0] & 0xf) << 2) > 100"),
    (1, "EN10MB", "inbound and ifindex 2"),
    (1, "EN10MB", "port 1 or port 2 or port 3 or port 4 or port 5 or port 6 or port 7 or port 8 or port 9 or port 10 or port 11 or port 12 or port 13 or port 14 or port 15 or port 16"),
    (113, "LINUX_SLL", "tcp port 80 and inbound"),
    (113, "LINUX_SLL", "ether proto \\stp or netbeui"),
    (276, "LINUX_SLL2", "ifindex 3 and outbound and udp"),
    (12, "RAW", "host 10.0.0.1 and ip6 or ip"),
    (228, "IPV4", "tcp port 80"),
    (229, "IPV6", "ip6 and udp port 53"),
    (0, "NULL", "ip or ip6"),
    (108, "LOOP", "ip6 and tcp"),
    (105, "IEEE802_11", "wlan host 00:11:22:33:44:55"),
    (105, "IEEE802_11", "type mgt subtype beacon or dir tods"),
    (105, "IEEE802_11", "ip and tcp port 80"),
    (127, "IEEE802_11_RADIO", "tcp port 80"),
    (127, "IEEE802_11_RADIO", "wlan ta 00:11:22:33:44:55 and radio[0] = 0"),
    (119, "PRISM_HEADER", "udp port 53"),
    (163, "IEEE802_11_RADIO_AVS", "ip6 multicast"),
    (192, "PPI", "ip"),
];

/// (link type, name, expression) whose error texts are pinned.
const ERRORS: &[(i32, &str, &str)] = &[
    (1, "EN10MB", "tcp and"),
    (1, "EN10MB", "port 99999"),
    (1, "EN10MB", "portrange 1-70000"),
    (1, "EN10MB", "net 10.0.0.1/8"),
    (1, "EN10MB", "net 10.0.0.0/33"),
    (1, "EN10MB", "ip6 host 10.0.0.1"),
    (1, "EN10MB", "tcp host 10.0.0.1"),
    (1, "EN10MB", "ip proto \\nosuchproto"),
    (1, "EN10MB", "ether proto \\bogus"),
    (1, "EN10MB", "vlan 5000"),
    (1, "EN10MB", "mpls 2000000"),
    (1, "EN10MB", "tcp[1:3] = 1"),
    (1, "EN10MB", "ip[0] / 0 = 1"),
    (1, "EN10MB", "ip[0] << 32 = 1"),
    (1, "EN10MB", "0x1ffffffff"),
    (1, "EN10MB", "08"),
    (1, "EN10MB", "fe80::g"),
    (1, "EN10MB", "1:2:3:4:5:6:7"),
    (1, "EN10MB", "host 999.1.1.1"),
    (1, "EN10MB", "port 80 and 10.0.0.1"),
    (1, "EN10MB", "gateway localhost"),
    (1, "EN10MB", "decnet host foo"),
    (1, "EN10MB", "tcp port bootps"),
    (1, "EN10MB", "type mgt"),
    (1, "EN10MB", "tcp and not tcp"),
    (1, "EN10MB", "lane"),
    (1, "EN10MB", "fisu"),
    (1, "EN10MB", "on eth0"),
    (12, "RAW", "ether host 00:11:22:33:44:55"),
    (12, "RAW", "vlan"),
    (12, "RAW", "broadcast"),
    (105, "IEEE802_11", "type foo"),
    (105, "IEEE802_11", "type mgt subtype rts"),
    (105, "IEEE802_11", "dir foo"),
    (192, "PPI", "ip protochain 6"),
    (229, "IPV6", "mpls"),
    (5, "DLT 5", "ip"),
    // Names that resolve nowhere (the test runs without a network).
    (1, "EN10MB", "host nosuchhost.invalid"),
    (1, "EN10MB", "src host nosuchhost.invalid and tcp"),
    (1, "EN10MB", "net nosuchnet"),
    (1, "EN10MB", "ip6 host nosuch.invalid"),
    (1, "EN10MB", "ip host nosuch.invalid"),
    (1, "EN10MB", "ether host nosuchether"),
    (1, "EN10MB", "ether src nosuchether"),
    (1, "EN10MB", "gateway nosuch.invalid"),
    (1, "EN10MB", "port nosuchport"),
    (1, "EN10MB", "portrange nosuch-80"),
    (105, "IEEE802_11", "wlan host nosuchether"),
    (105, "IEEE802_11", "wlan addr2 nosuchether"),
];

fn opts(dlt: i32, optimize: bool) -> CompileOptions {
    CompileOptions { linktype: dlt, snaplen: SNAPLEN, optimize, netmask: NETMASK, linux_vlan_ancillary: false }
}

fn listing_path() -> std::path::PathBuf {
    filter_support::tests_dir().join("golden/filter/listings.txt")
}

fn errors_path() -> std::path::PathBuf {
    filter_support::tests_dir().join("golden/filter/errors.txt")
}

/// Rewrite the golden files from the system libpcap.
fn regenerate() {
    let oracle = Oracle::new(common::Against::System);
    let mut input = String::new();
    for (dlt, _, e) in LISTINGS {
        for opt in [0, 1] {
            input.push_str(&format!("L\t{dlt}\t{SNAPLEN}\t{opt}\t{NETMASK:#x}\t{e}\n"));
        }
    }
    for (dlt, _, e) in ERRORS {
        input.push_str(&format!("C\t{dlt}\t{SNAPLEN}\t1\t{NETMASK:#x}\t{e}\n"));
    }
    let lines = filter_support::isolated(move || oracle.run(input));
    let mut it = lines.into_iter();
    let mut text = String::from("# Generated from the system libpcap: RINGCAP_REGEN=1 cargo test --test filter_golden\n");
    for (_, name, e) in LISTINGS {
        for opt in [0, 1] {
            let head = it.next().expect("oracle listing");
            text.push_str(&format!("### {name} optimize={opt} {e}\n"));
            let n: usize = head.strip_prefix("LIST\t").unwrap_or_else(|| panic!("{e}: {head}")).parse().unwrap();
            for _ in 0..n {
                text.push_str(&it.next().expect("listing line"));
                text.push('\n');
            }
        }
    }
    std::fs::create_dir_all(listing_path().parent().unwrap()).unwrap();
    std::fs::write(listing_path(), text).unwrap();
    let mut text = String::from("# Generated from the system libpcap: RINGCAP_REGEN=1 cargo test --test filter_golden\n");
    for (_, name, e) in ERRORS {
        let line = it.next().expect("oracle error");
        let msg = line.strip_prefix("ERR\t").unwrap_or_else(|| panic!("{e} compiled: {line}"));
        text.push_str(&format!("{name}\t{e}\t{msg}\n"));
    }
    std::fs::write(errors_path(), text).unwrap();
}

#[test]
fn golden_listings_and_errors() {
    if filter_support::regenerate() {
        regenerate();
    }
    // Names resolve: in a private network namespace, so none leaves the machine.
    filter_support::isolated(check_golden);
}

fn check_golden() {
    let golden = std::fs::read_to_string(listing_path()).expect("golden listings");
    let mut sections = golden.split("### ").skip(1);
    let mut checked = 0;
    for (dlt, name, e) in LISTINGS {
        for opt in [false, true] {
            let sec = sections.next().expect("a golden section per listing");
            let (head, body) = sec.split_once('\n').unwrap();
            assert_eq!(head, format!("{name} optimize={} {e}", opt as u8));
            let ours = compile(e, &opts(*dlt, opt)).unwrap_or_else(|err| panic!("{e}: {err}"));
            assert_eq!(image::dump(&ours, 1), body, "{name} optimize={opt} {e}");
            checked += 1;
        }
    }
    let errors = std::fs::read_to_string(errors_path()).expect("golden errors");
    let mut lines = errors.lines().skip(1);
    for (dlt, name, e) in ERRORS {
        let line = lines.next().expect("a golden line per error");
        let want = format!("{name}\t{e}\t");
        let msg = line.strip_prefix(&want).unwrap_or_else(|| panic!("golden line {line:?} is not for {want:?}"));
        let got = compile(e, &opts(*dlt, true)).expect_err(e);
        assert_eq!(got.message, unescape(msg), "{name} {e}");
        checked += 1;
    }
    println!("filter_golden: {checked} listings and error texts match the golden files");
}
