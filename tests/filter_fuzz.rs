//! The filter compiler's and the BPF interpreter's fuzz targets: the kept
//! corpora replayed through the same checks the targets run (always), and
//! each target run for a short while when `cargo +nightly fuzz` is
//! installed. The compiler resolves host names: everything here runs in a
//! private network namespace, so no lookup leaves the machine.

mod common;

mod compile_check {
    include!("../fuzz/common/filter_compile.rs");
}
mod interp_check {
    include!("../fuzz/common/bpf_interp.rs");
}

use compile_check::{check_filter_compile, private_network};
use interp_check::check_bpf_interp;

const TARGETS: [&str; 2] = ["filter_compile", "bpf_interp"];

/// Replay `target`'s kept corpus through `check` on a thread of its own in
/// a private network namespace; returns how many inputs it replayed.
fn replay(target: &'static str, check: fn(&[u8])) -> usize {
    std::thread::spawn(move || {
        private_network();
        let files = common::fuzz_corpus(target);
        for (name, data) in &files {
            let r = std::panic::catch_unwind(|| check(data));
            assert!(r.is_ok(), "{target}/{name} fails the check");
        }
        files.len()
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[test]
fn filter_compile_corpus_replays_cleanly() {
    let n = replay("filter_compile", check_filter_compile);
    assert!(n >= 2000, "filter_compile: corpus has {n} inputs");
}

#[test]
fn bpf_interp_corpus_replays_cleanly() {
    let n = replay("bpf_interp", check_bpf_interp);
    assert!(n >= 1000, "bpf_interp: corpus has {n} inputs");
}

/// Inputs longer than the fuzzer tries: nesting at and past the depth of
/// libpcap's parser stack, on a thread with a small stack (the later
/// passes must not recurse once per level).
#[test]
fn filter_compile_deep_nesting() {
    let cases: Vec<Vec<u8>> = vec![
        // Nested deeper than libpcap's parser stack: "memory exhausted",
        // with no recursion left to overflow the stack.
        [&[0u8, 1][..], "(".repeat(20_000).as_bytes(), b"tcp"].concat(),
        [&[0u8, 0][..], "not ".repeat(20_000).as_bytes(), b"tcp"].concat(),
        [&[0u8, 1][..], "(".repeat(9_000).as_bytes(), b"len", "+1)".repeat(9_000).as_bytes(), b"=5"].concat(),
        [&[0u8, 1][..], "-".repeat(9_000).as_bytes(), b"1 = len"].concat(),
    ];
    std::thread::Builder::new()
        // Smaller than any thread a C program gets by default.
        .stack_size(256 << 10)
        .spawn(move || {
            private_network();
            for c in &cases {
                check_filter_compile(c);
            }
        })
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn fuzz_targets_run_for_a_while() {
    common::run_fuzz_targets(15, &TARGETS);
}
