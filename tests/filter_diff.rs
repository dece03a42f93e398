//! Differential test of the filter compiler against the system libpcap:
//! the whole expression corpus on every covered link type, optimized and
//! not; error texts must be identical, and every program pair (ringcap's,
//! libpcap's) must return the same value on every packet of the link
//! type's packet corpus, run by the system libpcap's `bpf_filter`.
//!
//! The corpus has a checked-in copy, `tests/filter/corpus.txt` (used by
//! `bench/filter.sh`); regenerate it with
//! `RINGCAP_REGEN=1 cargo test --test filter_diff corpus_copy_is_current`.

mod common;
mod filter_support;

use common::Against;
use filter_support::{corpus, packets, Oracle, Outcome, LINKTYPES, NETMASK, SNAPLEN};
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
    longer: usize,
    verdicts: u64,
    accepted: u64,
    mismatches: Vec<String>,
}

fn opts(dlt: i32, optimize: bool) -> CompileOptions {
    CompileOptions { linktype: dlt, snaplen: SNAPLEN, optimize, netmask: NETMASK, linux_vlan_ancillary: false }
}

fn run_linktype(oracle: &Oracle, exprs: &[String], dlt: i32, name: &str, t: &mut Tally) {
    let mut input = String::new();
    for optimize in [false, true] {
        for e in exprs {
            input.push_str(&filter_support::compile_cmd(dlt, optimize, e));
        }
    }
    let lines = oracle.run(input);
    assert_eq!(lines.len(), 2 * exprs.len(), "oracle answered every compile");

    let pkts = packets::packets(dlt);
    let file = std::env::temp_dir().join(format!("ringcap-filter-{}-{dlt}.pkts", std::process::id()));
    std::fs::write(&file, packets::encode(&pkts)).unwrap();
    let mut verdict_cmds = format!("P\t{}\n", file.display());
    let mut verdict_exprs = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let optimize = k >= exprs.len();
        let e = &exprs[k % exprs.len()];
        let theirs = Outcome::parse(line);
        let ours = Outcome::of(&compile(e, &opts(dlt, optimize)));
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
                if optimize && lb > la {
                    t.longer += 1;
                }
                verdict_cmds.push_str(&format!("V\t{tb}\t{ta}\n"));
                verdict_exprs.push((e.clone(), optimize));
            }
            _ => t.mismatches.push(format!("{name} opt={optimize} {e:?}: libpcap {theirs:?}, ringcap {ours:?}")),
        }
    }
    let out = oracle.run(verdict_cmds);
    assert_eq!(out.first().map(String::as_str), Some(format!("PACKETS\t{}", pkts.len()).as_str()));
    for (line, (e, optimize)) in out[1..].iter().zip(&verdict_exprs) {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "SAME" => {
                t.verdicts += f[1].parse::<u64>().unwrap();
                t.accepted += f[2].parse::<u64>().unwrap();
            }
            _ => t.mismatches.push(format!(
                "{name} opt={optimize} {e:?}: packet {} returns {} with ringcap, {} with libpcap",
                f[1], f[2], f[3]
            )),
        }
    }
    assert_eq!(out.len() - 1, verdict_exprs.len(), "oracle answered every verdict run");
    let _ = std::fs::remove_file(&file);
    eprintln!("filter_diff: {name}: {} packets", pkts.len());
}

#[test]
fn differential_against_system_libpcap() {
    let exe = common::build_c("filter_oracle", Against::System, &[]);
    let t = filter_support::isolated(move || {
        let oracle = Oracle { exe };
        let exprs = corpus::expressions();
        assert!(exprs.len() >= 2000, "corpus has {} expressions", exprs.len());
        let mut t = Tally::default();
        for &(dlt, name) in LINKTYPES {
            run_linktype(&oracle, &exprs, dlt, name, &mut t);
        }
        (t, exprs.len())
    });
    let (t, n_exprs) = t;
    println!(
        "filter_diff: {n_exprs} expressions x {} link types x {{unoptimized, optimized}} = {} compiles",
        LINKTYPES.len(),
        t.compiles
    );
    println!(
        "filter_diff: {} programs ({} instruction-identical to libpcap's, {:.2}%), {} identical error texts",
        t.programs,
        t.identical,
        100.0 * t.identical as f64 / t.programs.max(1) as f64,
        t.errors
    );
    println!(
        "filter_diff: {} (expression, packet) verdicts compared ({} accepts), all identical: {}",
        t.verdicts,
        t.accepted,
        t.mismatches.is_empty()
    );
    for m in t.mismatches.iter().take(40) {
        println!("MISMATCH {m}");
    }
    assert!(t.mismatches.is_empty(), "{} mismatches with libpcap", t.mismatches.len());
    // The optimizer must not lose to libpcap's for more than 10 % of programs.
    assert!(t.longer * 10 <= t.programs / 2, "{} optimized programs longer than libpcap's", t.longer);
}
