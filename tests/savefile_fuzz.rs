//! The savefile readers' fuzz targets: the kept corpus replayed through the
//! same check the targets run (always), and each target run for a short
//! while when `cargo +nightly fuzz` is installed.

use std::path::Path;
use std::process::Command;

mod common;

include!("../fuzz/common/savefile.rs");

const TARGETS: [&str; 2] = ["savefile_pcap", "savefile_pcapng"];

#[test]
fn kept_corpus_replays_cleanly() {
    for target in TARGETS {
        let files = common::fuzz_corpus(target);
        assert!(files.len() >= 5, "{target}: corpus too small");
        for (name, data) in files {
            let input = if target == "savefile_pcapng" {
                // The pcapng target prefixes the Section Header Block type.
                [&0x0a0d_0d0au32.to_ne_bytes()[..], &data].concat()
            } else {
                data
            };
            let r = std::panic::catch_unwind(|| check_savefile(&input));
            assert!(r.is_ok(), "{target}/{name} fails the check");
        }
    }
}

fn cargo_fuzz_available() -> bool {
    Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn fuzz_targets_run_for_a_while() {
    if !cargo_fuzz_available() {
        // scripts/test.sh installs cargo-fuzz; under CI its absence is a failure.
        assert!(std::env::var_os("CI").is_none(), "CI is set but cargo-fuzz is not installed");
        eprintln!("cargo-fuzz is not installed: the fuzz run is left out (the corpus replay still runs)");
        return;
    }
    let script = common::root().join("scripts/fuzz.sh");
    assert!(Path::new(&script).exists());
    let out = Command::new(&script)
        .arg("15")
        .args(TARGETS)
        .current_dir(common::root())
        .output()
        .expect("run scripts/fuzz.sh");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "fuzzing found a failure:\n{}", &log[log.len().saturating_sub(4000)..]);
    for t in TARGETS {
        assert!(log.contains(&format!("fuzz: {t} for")), "{t} did not run");
    }
    assert_eq!(log.matches("stat::number_of_executed_units").count(), TARGETS.len());
}
