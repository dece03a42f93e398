//! The send-queue walk's fuzz target (fuzz/fuzz_targets/sendqueue.rs): the
//! kept corpus and a deterministic stream of mutations of it replayed
//! through the target's check (always), and the target run for a while when
//! cargo-fuzz is installed.

mod common;

include!("../fuzz/common/sendqueue.rs");

#[test]
fn kept_corpus_and_mutations_replay_cleanly() {
    let files = common::fuzz_corpus("sendqueue");
    assert!(files.len() >= 5, "corpus too small");
    let mut rng = common::Rng::new(0x2545_f491_4f6c_dd1du64);
    let mut next = || rng.next();
    for (name, data) in &files {
        check_sendqueue(data);
        for _ in 0..2000 {
            let mut m = data.clone();
            match next() % 4 {
                0 if !m.is_empty() => {
                    let i = (next() as usize) % m.len();
                    m[i] = next() as u8;
                }
                1 => m.truncate((next() as usize) % (m.len() + 1)),
                2 => m.extend((0..next() % 64).map(|_| next() as u8)),
                _ => {
                    let other = &files[(next() as usize) % files.len()].1;
                    m.extend_from_slice(other);
                }
            }
            let r = std::panic::catch_unwind(|| check_sendqueue(&m));
            assert!(r.is_ok(), "a mutation of {name} fails the check: {m:?}");
        }
    }
}

#[test]
fn fuzz_target_runs_for_a_while() {
    common::run_fuzz_targets(10, &["sendqueue"]);
}
