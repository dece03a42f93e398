//! The savefile readers' fuzz targets: the kept corpus replayed through the
//! same check the targets run (always), and each target run for a short
//! while when `cargo +nightly fuzz` is installed.

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

#[test]
fn fuzz_targets_run_for_a_while() {
    common::run_fuzz_targets(15, &TARGETS);
}
