//! The ring walkers' fuzz target (fuzz/fuzz_targets/ring.rs): the kept
//! corpus and a deterministic stream of mutations of it replayed through
//! the target's check (always), and the target run for a while when
//! cargo-fuzz is installed.

mod common;

include!("../fuzz/common/ring.rs");

#[test]
fn kept_corpus_and_mutations_replay_cleanly() {
    let files = common::fuzz_corpus("ring");
    assert!(files.len() >= 20, "corpus too small");
    let mut rng = common::Rng::new(0x9e37_79b9_7f4a_7c15u64);
    let mut next = || rng.next();
    for (name, data) in &files {
        check_ring(data);
        for _ in 0..300 {
            let mut m = data.clone();
            // Hostile words where the walkers look: headers, descriptors.
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % m.len().max(1);
                let w = match next() % 4 {
                    0 => 0u32,
                    1 => u32::MAX,
                    2 => (next() % 8192) as u32,
                    _ => next() as u32,
                };
                for (k, b) in w.to_ne_bytes().iter().enumerate() {
                    if let Some(x) = m.get_mut(at + k) {
                        *x = *b;
                    }
                }
            }
            if next() % 8 == 0 {
                m.truncate((next() as usize) % (m.len() + 1));
            }
            let r = std::panic::catch_unwind(|| check_ring(&m));
            assert!(r.is_ok(), "a mutation of {name} fails the check");
        }
    }
}

#[test]
fn fuzz_target_runs_for_a_while() {
    common::run_fuzz_targets(10, &["ring"]);
}
