#!/bin/sh
# Run every cargo-fuzz target in fuzz/fuzz_targets/ for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) is per target; with no TARGET, every target runs.
# The kept corpus (fuzz/corpus/<target>/) is read but never written: new
# inputs go to a scratch directory, so the repository's corpus stays small
# (merge interesting finds by hand with `cargo +nightly fuzz cmin`).
# Exits non-zero as soon as a target finds a crash (the input is left in
# fuzz/artifacts/<target>/).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list)}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ringcap-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
for t in $targets; do
    mkdir -p "$scratch/$t" "fuzz/corpus/$t"
    echo "fuzz: $t for ${secs}s" >&2
    cargo +nightly fuzz run "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1
done
