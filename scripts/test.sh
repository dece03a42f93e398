#!/bin/sh
# ringcap's whole test suite: installs what it needs, builds the C libraries,
# and runs every test (unit, kernel tests on private veth pairs, C ABI
# comparisons with the system libpcap and tcpdump, fuzz corpus replays).
# As root it runs directly; otherwise it re-enters a user+network namespace
# (`unshare -Urn`) where it is root, after fetching everything it needs.
# Ends with a summary line: "N passed, N failed".
#
#   scripts/test.sh [cargo test arguments...]
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_deps
setup_fuzz
export CI="${CI:-}"
log=$(mktemp "${TMPDIR:-/tmp}/ringcap-test.XXXXXX")
trap 'rm -f "$log"' EXIT
# Build everything first (needs the network for crates), then run.
make -s lib
cargo test --no-run -q --no-fail-fast "$@"
status=0
if [ "$(id -u)" = 0 ]; then
    cargo test --offline --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
else
    unshare -Urn cargo test --offline --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
fi
passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed.*/\1/p' "$log" | paste -sd+ - | bc)
failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed.*/\2/p' "$log" | paste -sd+ - | bc)
[ "$status" = 0 ] || [ "${failed:-0}" != 0 ] || failed=1
echo "${passed:-0} passed, ${failed:-0} failed"
[ "${failed:-0}" = 0 ] && [ "$status" = 0 ]
