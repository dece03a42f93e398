#!/bin/sh
# The C tests against ringcap under AddressSanitizer + UndefinedBehaviorSanitizer,
# then under valgrind memcheck (zero errors, zero definitely lost bytes).
# The same Rust test harness runs them; RINGCAP_CHECK tells it how to build
# (asan) or run (valgrind) every C program that uses ringcap. The Rust
# library itself is not instrumented (nightly -Zsanitizer is not available
# here); ASan still sees every allocation it hands across the C boundary,
# because ringcap allocates with the system malloc.
#
#   scripts/sanitize.sh [asan|valgrind]      (default: both)
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_deps
command -v valgrind >/dev/null 2>&1 || { [ "$(id -u)" = 0 ] && apt-get install -y -qq valgrind >/dev/null; }
TESTS="--test live_c --test live_cmp --test breakloop --test devices --test faults --test tpacket_version --test bpf --test savefile_diff --test batch_c --test examples --test inject_c --test inject_ext --test savefile_tcpdump --test abi_layout --test filter_live_vlan --test iface_faults --test delivery_stress"
make -s lib
# tests/examples.rs runs the built Rust examples; `cargo test --test` alone
# does not build them.
if [ "$(id -u)" = 0 ]; then cargo build -q --examples; else cargo build -q --offline --examples; fi
modes=${*:-asan valgrind}
status=0
for m in $modes; do
    echo "== sanitize: $m" >&2
    if [ "$(id -u)" = 0 ]; then
        RINGCAP_CHECK=$m cargo test --no-fail-fast $TESTS -- --test-threads=2 || status=1
    else
        RINGCAP_CHECK=$m unshare -Urn cargo test --offline --no-fail-fast $TESTS -- --test-threads=2 || status=1
    fi
done
exit $status
