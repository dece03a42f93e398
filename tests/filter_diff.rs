//! Differential test of the filter compiler and the interpreter against the
//! system libpcap: the whole expression corpus on every covered link type,
//! optimized and not. Error texts must be identical; every program pair
//! (ringcap's, libpcap's) must return the same value on every packet of the
//! link type's packet corpus through `pcap_offline_filter`, run by the
//! system libpcap and by ringcap (c-tests/filter_oracle.c built against
//! each), and both libraries' verdicts must be identical.
//!
//! The corpus has a checked-in copy, `tests/filter/corpus.txt` (used by
//! `bench/filter.sh`); regenerate it with
//! `RINGCAP_REGEN=1 cargo test --test filter_diff corpus_copy_is_current`.

mod common;
mod filter_support;

use std::collections::HashMap;

use common::private_etc::PrivateEtc;
use common::Against;
use filter_support::{corpus, packets, parse_prog, reads_unwritten_scratch, Oracle, Outcome, LINKTYPES, NETMASK, SNAPLEN};
use ringcap::filter::{compile, CompileOptions};

#[test]
fn corpus_copy_is_current() {
    let path = filter_support::tests_dir().join("filter/corpus.txt");
    let text = corpus::expressions().join("\n") + "\n";
    if filter_support::regenerate() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).expect("tests/filter/corpus.txt (RINGCAP_REGEN=1 to create)");
    assert!(on_disk == text, "tests/filter/corpus.txt is stale: RINGCAP_REGEN=1 cargo test --test filter_diff");
}

#[derive(Default)]
struct Tally {
    compiles: usize,
    programs: usize,
    identical: usize,
    errors: usize,
    /// Optimized program pairs, and those where ringcap's is longer.
    optimized: usize,
    longer: usize,
    /// Program pairs whose verdicts are not compared: they load scratch
    /// memory before storing it (undefined in libpcap's interpreter).
    scratch_skipped: usize,
    verdicts: u64,
    accepted: u64,
    /// Per link type: (name, expressions compiled optimized, packets).
    covered: Vec<(&'static str, usize, usize)>,
    /// (link type, expression) -> (packets accepted, packets), optimized.
    per_expr: HashMap<(i32, String), (u64, u64)>,
    mismatches: Vec<String>,
}

fn opts(dlt: i32, optimize: bool) -> CompileOptions {
    CompileOptions { linktype: dlt, snaplen: SNAPLEN, optimize, netmask: NETMASK, linux_vlan_ancillary: false }
}

/// The two builds of the oracle: the system libpcap compiles and both run
/// the verdicts.
struct Oracles {
    system: Oracle,
    ringcap: Oracle,
}

fn run_linktype(o: &Oracles, exprs: &[String], dlt: i32, name: &'static str, t: &mut Tally) {
    let mut input = String::new();
    for optimize in [false, true] {
        for e in exprs {
            input.push_str(&filter_support::compile_cmd(dlt, optimize, e));
        }
    }
    let lines = o.system.run(input);
    assert_eq!(lines.len(), 2 * exprs.len(), "oracle answered every compile");

    let pkts = packets::packets(dlt);
    let file = std::env::temp_dir().join(format!("ringcap-filter-{}-{dlt}.pkts", std::process::id()));
    std::fs::write(&file, packets::encode(&pkts)).unwrap();
    let mut verdict_cmds = format!("P\t{}\n", file.display());
    let mut verdict_exprs = Vec::new();
    let mut compiled_optimized = 0;
    for (k, line) in lines.iter().enumerate() {
        let optimize = k >= exprs.len();
        let e = &exprs[k % exprs.len()];
        let theirs = Outcome::parse(line);
        let ours_prog = compile(e, &opts(dlt, optimize));
        let ours = Outcome::of(&ours_prog);
        t.compiles += 1;
        match (&theirs, &ours) {
            (Outcome::Error(a), Outcome::Error(b)) => {
                t.errors += 1;
                if a != b {
                    t.mismatches.push(format!("{name} opt={optimize} {e:?}: libpcap error {a:?}, ringcap error {b:?}"));
                }
            }
            (Outcome::Program { len: la, text: ta }, Outcome::Program { len: lb, text: tb }) => {
                t.programs += 1;
                if ta == tb {
                    t.identical += 1;
                }
                if optimize {
                    t.optimized += 1;
                    compiled_optimized += 1;
                    if lb > la {
                        t.longer += 1;
                    }
                }
                let ours_unset = reads_unwritten_scratch(ours_prog.as_ref().unwrap());
                let theirs_unset = reads_unwritten_scratch(&parse_prog(ta));
                if ours_unset != theirs_unset {
                    t.mismatches.push(format!(
                        "{name} opt={optimize} {e:?}: loads unstored scratch memory: ringcap {ours_unset}, libpcap {theirs_unset}"
                    ));
                } else if ours_unset {
                    t.scratch_skipped += 1;
                } else {
                    verdict_cmds.push_str(&format!("V\t{tb}\t{ta}\n"));
                    verdict_exprs.push((e.clone(), optimize));
                }
            }
            _ => t.mismatches.push(format!("{name} opt={optimize} {e:?}: libpcap {theirs:?}, ringcap {ours:?}")),
        }
    }
    let sys = o.system.run(verdict_cmds.clone());
    let ring = o.ringcap.run(verdict_cmds);
    let head = format!("PACKETS\t{}", pkts.len());
    assert_eq!(sys.first(), Some(&head));
    assert_eq!(ring.first(), Some(&head));
    assert_eq!(sys.len() - 1, verdict_exprs.len(), "libpcap's oracle answered every verdict run");
    assert_eq!(ring.len() - 1, verdict_exprs.len(), "ringcap's oracle answered every verdict run");
    for ((s, r), (e, optimize)) in sys[1..].iter().zip(&ring[1..]).zip(&verdict_exprs) {
        let f: Vec<&str> = s.split('\t').collect();
        if f[0] != "SAME" {
            t.mismatches.push(format!(
                "{name} opt={optimize} {e:?}: packet {} returns {} with ringcap's program, {} with libpcap's (libpcap's interpreter)",
                f[1], f[2], f[3]
            ));
        } else if r != s {
            t.mismatches.push(format!(
                "{name} opt={optimize} {e:?}: ringcap's interpreter gives {r:?}, libpcap's {s:?} (SAME packets accepted digest)"
            ));
        } else {
            let (n, acc) = (f[1].parse::<u64>().unwrap(), f[2].parse::<u64>().unwrap());
            t.verdicts += n;
            t.accepted += acc;
            if *optimize {
                t.per_expr.insert((dlt, e.clone()), (acc, n));
            }
        }
    }
    let _ = std::fs::remove_file(&file);
    t.covered.push((name, compiled_optimized, pkts.len()));
}

#[test]
fn differential_against_system_libpcap() {
    let o = Oracles { system: Oracle::new(Against::System), ringcap: Oracle::new(Against::Ringcap) };
    let t = filter_support::isolated(move || {
        let exprs = corpus::expressions();
        assert!(exprs.len() >= 2000, "corpus has {} expressions", exprs.len());
        let mut t = Tally::default();
        for &(dlt, name) in LINKTYPES {
            run_linktype(&o, &exprs, dlt, name, &mut t);
        }
        (t, exprs.len())
    });
    let (t, n_exprs) = t;
    println!(
        "filter_diff: {n_exprs} expressions x {} link types x {{unoptimized, optimized}} = {} compiles",
        LINKTYPES.len(),
        t.compiles
    );
    for (name, compiled, pkts) in &t.covered {
        println!("filter_diff: {name}: {compiled} expressions compile (optimized) x {pkts} packets");
    }
    println!(
        "filter_diff: {} programs ({} instruction-identical to libpcap's, {:.2}%), {} identical error texts",
        t.programs,
        t.identical,
        100.0 * t.identical as f64 / t.programs.max(1) as f64,
        t.errors
    );
    println!(
        "filter_diff: {} (program, packet) verdicts compared through both libraries' pcap_offline_filter ({} accepts), \
         all identical: {}; {} programs load scratch memory before storing it (undefined in libpcap): not run",
        t.verdicts,
        t.accepted,
        t.mismatches.is_empty(),
        t.scratch_skipped
    );
    println!(
        "filter_diff: {} of {} optimized programs longer than libpcap's ({:.2}%)",
        t.longer,
        t.optimized,
        100.0 * t.longer as f64 / t.optimized.max(1) as f64
    );
    for m in t.mismatches.iter().take(40) {
        println!("MISMATCH {m}");
    }
    assert!(t.mismatches.is_empty(), "{} mismatches with libpcap", t.mismatches.len());
    // The optimizer must not lose to libpcap's for more than 10 % of the
    // optimized programs.
    assert!(t.optimized > 0 && t.longer * 10 <= t.optimized, "{} of {} optimized programs longer than libpcap's", t.longer, t.optimized);
    // Most of the corpus is valid Ethernet filters, not errors.
    let en10mb = t.covered.iter().find(|c| c.0 == "EN10MB").unwrap().1;
    assert!(en10mb >= 2000, "only {en10mb} expressions compile on EN10MB");
    // Every primitive both accepts and rejects packets of its link type.
    let mut dull = Vec::new();
    for (dlt, e) in corpus::PRIMITIVES {
        match t.per_expr.get(&(*dlt, e.to_string())) {
            Some(&(acc, n)) if acc > 0 && acc < n => {}
            other => dull.push(format!("DLT {dlt} {e:?}: (accepted, packets) {other:?}")),
        }
    }
    assert!(dull.is_empty(), "primitives that do not split their packet corpus:\n{}", dull.join("\n"));
    assert!(t.scratch_skipped < t.programs / 20, "{} programs skipped", t.scratch_skipped);
}

/// The scratch-memory check is the kernel's: these are what it accepts and
/// refuses.
#[test]
fn scratch_check_follows_the_kernel() {
    use ringcap::bpf::insn::*;
    use ringcap::bpf::Insn;
    let st = |k| Insn::stmt(BPF_ST, k);
    let ld = |k| Insn::stmt(BPF_LD | BPF_MEM, k);
    let ldx = |k| Insn::stmt(BPF_LDX | BPF_MEM, k);
    let ret = Insn::stmt(BPF_RET | BPF_K, 1);
    let jeq = |jt, jf| Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, jt, jf);
    let ja = |k| Insn::stmt(BPF_JMP | BPF_JA, k);
    assert!(!reads_unwritten_scratch(&[st(0), ld(0), ret]));
    assert!(reads_unwritten_scratch(&[ld(0), ret]));
    assert!(reads_unwritten_scratch(&[st(1), ldx(0), ret]));
    // Stored on one branch only.
    assert!(reads_unwritten_scratch(&[jeq(0, 1), st(2), ld(2), ret]));
    // Stored on both.
    assert!(!reads_unwritten_scratch(&[jeq(0, 2), st(2), ja(1), st(2), ld(2), ret]));
    // A backward jump brings a path on which the word was never stored
    // (the kernel's single pass would miss it) ...
    let back = (-3i32) as u32;
    assert!(reads_unwritten_scratch(&[jeq(0, 2), st(3), ld(3), jeq(0, 1), ja(back), ret]));
    // ... or one on which it was.
    assert!(!reads_unwritten_scratch(&[st(3), ld(3), jeq(0, 1), ja(back), ret]));
}

/// Nesting at libpcap's parser stack limit: the same programs below it, the
/// same "memory exhausted" at it.
#[test]
fn deep_nesting_matches_libpcap() {
    let mut exprs = Vec::new();
    for n in [9_994usize, 9_995, 9_996, 9_997] {
        exprs.push(format!("{}tcp{}", "(".repeat(n), ")".repeat(n)));
        exprs.push(format!("{}tcp", "not ".repeat(n)));
        exprs.push(format!("{}len{}=5", "(".repeat(n), "+1)".repeat(n)));
        exprs.push(format!("{}1 = len", "-".repeat(n)));
    }
    let mut input = String::new();
    for e in &exprs {
        for optimize in [false, true] {
            input.push_str(&filter_support::compile_cmd(1, optimize, e));
        }
    }
    let lines = Oracle::new(Against::System).run(input);
    assert_eq!(lines.len(), 2 * exprs.len());
    let mut errors = 0;
    for (k, line) in lines.iter().enumerate() {
        let (e, optimize) = (&exprs[k / 2], k % 2 == 1);
        let theirs = Outcome::parse(line);
        errors += matches!(theirs, Outcome::Error(_)) as usize;
        assert_eq!(Outcome::of(&compile(e, &opts(1, optimize))), theirs, "{} bytes, optimize {optimize}", e.len());
    }
    assert!(errors > 0 && errors < lines.len(), "{errors} of {} fail", lines.len());
}

/// Names resolved through the system databases, found and not: host names
/// (IPv4, IPv6, several addresses), networks, services, and Ethernet
/// addresses from /etc/ethers, with files of the test's own laid over /etc
/// and no network (tests/common/private_etc.rs). The oracle built against
/// each library compiles; programs and error texts must be identical.
#[test]
fn names_resolve_like_libpcap() {
    let services = std::fs::read_to_string("/etc/services").unwrap_or_default() + "rc-tcp 1111/tcp\nrc-split 4444/tcp\nrc-split 5555/udp\n";
    let etc = PrivateEtc::new(
        "filter-names",
        &[
            ("hosts", b"127.0.0.1 localhost\n10.1.2.3 rc-alpha\n10.1.2.4 rc-multi\n10.1.2.5 rc-multi\nfd00::7 rc-six rc-dual\n10.1.2.6 rc-dual\n"),
            ("networks", b"loopback 127.0.0.0\nrc-net 10.20\n"),
            ("services", services.as_bytes()),
            ("ethers", b"00:11:22:33:44:55 rc-eth1\n# a comment\nAA:BB:CC:DD:EE:FF rc-eth2\n"),
        ],
    );
    let cases: &[(i32, &str)] = &[
        (1, "ether host rc-eth1"),
        (1, "ether src rc-eth2 or ether dst rc-eth1"),
        (1, "ether host RC-ETH2"),
        (1, "ether host nosuchether"),
        (1, "host rc-alpha"),
        (1, "src host rc-multi and tcp"),
        (1, "ip6 host rc-six"),
        (1, "host rc-six"),
        (1, "host rc-dual"),
        (1, "ip host rc-six"),
        (1, "ip6 host rc-alpha"),
        (1, "arp host rc-alpha"),
        (1, "host localhost"),
        (1, "host nosuch.invalid"),
        (1, "net rc-net"),
        (1, "net loopback"),
        (1, "src net rc-net and udp"),
        (1, "ip6 net rc-net"),
        (1, "net nosuchnet"),
        (1, "gateway rc-alpha"),
        (1, "port rc-tcp"),
        (1, "port rc-split"),
        (1, "udp port rc-split"),
        (1, "portrange rc-tcp-rc-split"),
        (1, "portrange 1-rc-tcp"),
        (105, "wlan host rc-eth1"),
        (105, "wlan addr2 rc-eth2"),
        (105, "wlan ra rc-eth1 and wlan ta rc-eth2"),
        (105, "wlan host nosuchether"),
        (113, "ether host rc-eth1"),
        (113, "host rc-alpha"),
        (12, "ether host rc-eth1"),
    ];
    let mut input = String::new();
    for (dlt, e) in cases {
        for optimize in [false, true] {
            input.push_str(&filter_support::compile_cmd(*dlt, optimize, e));
        }
    }
    let sys = Oracle::new(Against::System).run_in(&etc, input.clone());
    let ours = Oracle::new(Against::Ringcap).run_in(&etc, input);
    assert_eq!(sys.len(), 2 * cases.len());
    for (k, (a, b)) in sys.iter().zip(&ours).enumerate() {
        assert_eq!(Outcome::parse(b), Outcome::parse(a), "DLT {} {:?} optimize {}", cases[k / 2].0, cases[k / 2].1, k % 2);
    }
    // Names were found through the test's files, and not found elsewhere.
    let ok = |e: &str| sys[2 * cases.iter().position(|c| c.1 == e).unwrap()].starts_with("OK\t");
    for e in ["ether host rc-eth1", "ether host RC-ETH2", "host rc-alpha", "ip6 host rc-six", "net rc-net", "port rc-tcp", "wlan host rc-eth1"] {
        assert!(ok(e), "{e}: {sys:?}");
    }
    for e in ["ether host nosuchether", "host nosuch.invalid", "net nosuchnet", "ip host rc-six", "udp port rc-split"] {
        assert!(!ok(e), "{e}: {sys:?}");
    }
}

/// A savefile of link type `dlt` with no packets: classic pcap or pcapng,
/// in the host's byte order or swapped.
fn empty_savefile(dlt: i32, ng: bool, swapped: bool) -> Vec<u8> {
    let w32 = |v: u32| if swapped { v.swap_bytes().to_ne_bytes() } else { v.to_ne_bytes() };
    let w16 = |v: u16| if swapped { v.swap_bytes().to_ne_bytes() } else { v.to_ne_bytes() };
    let mut f = Vec::new();
    if ng {
        // Section header block, then one interface description block.
        f.extend(0x0a0d_0d0au32.to_ne_bytes());
        f.extend(w32(28));
        f.extend(w32(0x1a2b_3c4d));
        f.extend(w16(1));
        f.extend(w16(0));
        f.extend([0xff; 8]);
        f.extend(w32(28));
        f.extend(w32(1));
        f.extend(w32(20));
        f.extend(w16(dlt as u16));
        f.extend(w16(0));
        f.extend(w32(SNAPLEN));
        f.extend(w32(20));
    } else {
        f.extend(w32(0xa1b2_c3d4));
        f.extend(w16(2));
        f.extend(w16(4));
        f.extend(w32(0));
        f.extend(w32(0));
        f.extend(w32(SNAPLEN));
        f.extend(w32(dlt as u32));
    }
    f
}

/// pcap_compile on a savefile handle (pcap_open_offline), the oracle built
/// against each library: a savefile's rules differ from a capture's
/// (`inbound`, `outbound` and `ifindex` are refused on most link types,
/// DLT_NULL's address family is in the file's byte order). Every link
/// type, classic pcap and pcapng, native and swapped; the directional
/// primitives and a slice of the corpus on each, the whole corpus on
/// Ethernet. Programs and error texts must be identical.
#[test]
fn savefile_compiles_match_libpcap() {
    const SPECIFIC: &[&str] = &[
        "inbound",
        "outbound",
        "not inbound and tcp",
        "ifindex 1",
        "ifindex 2 and outbound",
        "ip6",
        "ip6 and tcp port 80",
        "ip or ip6",
        "ip6 protochain 6",
        "ip",
        "vlan",
        "vlan 100 and ip",
        "",
    ];
    let dir = std::env::temp_dir().join(format!("ringcap-savefile-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = corpus::expressions();
    let mut input = String::new();
    let mut cases = Vec::new();
    for &(dlt, name) in LINKTYPES {
        for (ng, swapped) in [(false, false), (false, true), (true, false), (true, true)] {
            let path = dir.join(format!("{name}-{}-{}", if ng { "ng" } else { "pcap" }, if swapped { "swapped" } else { "native" }));
            std::fs::write(&path, empty_savefile(dlt, ng, swapped)).unwrap();
            let all = dlt == 1 && !ng && !swapped;
            let exprs = SPECIFIC.iter().map(|s| s.to_string()).chain(corpus.iter().step_by(if all { 1 } else { 61 }).cloned());
            for e in exprs {
                input.push_str(&format!("F\t{}\t1\t{NETMASK:#x}\t{e}\n", path.display()));
                cases.push((path.file_name().unwrap().to_string_lossy().into_owned(), e));
            }
        }
    }
    let (sys, ours) = filter_support::isolated(move || {
        (Oracle::new(Against::System).run(input.clone()), Oracle::new(Against::Ringcap).run(input))
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(sys.len(), cases.len());
    assert_eq!(ours.len(), cases.len());
    let mut mismatches = Vec::new();
    for ((a, b), (file, e)) in sys.iter().zip(&ours).zip(&cases) {
        assert!(!a.starts_with("OPEN"), "{file}: {a}");
        if a != b {
            mismatches.push(format!("{file} {e:?}:\n  libpcap {a}\n  ringcap {b}"));
        }
    }
    assert!(mismatches.is_empty(), "{} differences:\n{}", mismatches.len(), mismatches[..mismatches.len().min(20)].join("\n"));
    // The savefile rules were in play: refused on a savefile, accepted on a
    // capture of the same link type; DLT_NULL's ip6 follows the byte order.
    let out = |file: &str, e: &str| &sys[cases.iter().position(|c| c.0 == file && c.1 == e).unwrap()];
    assert_eq!(
        out("EN10MB-pcap-native", "inbound"),
        "ERR\tinbound/outbound not supported on Ethernet when reading savefiles"
    );
    assert!(out("LINUX_SLL2-pcap-native", "ifindex 1").starts_with("OK\t"));
    assert!(out("EN10MB-pcap-native", "ifindex 1").starts_with("ERR\t"));
    assert_ne!(out("NULL-pcap-native", "ip6"), out("NULL-pcap-swapped", "ip6"));
    assert_eq!(out("NULL-pcap-swapped", "ip6"), out("NULL-ng-swapped", "ip6"));
    println!("filter_diff: {} savefile compiles identical", cases.len());
}
