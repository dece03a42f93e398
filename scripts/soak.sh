#!/bin/sh
# Soak: bench/soak.c for SECONDS (default 600) at the highest rate this
# machine sustains, on a veth pair in a private network namespace: a fanout
# group of 2 capturing, filters changed every second, inject and capture on
# one handle. Prints a line a second and the final figures; exits non-zero
# when counts are not exact, RSS grew more than 5 % after warm-up, or
# descriptors leaked. Not part of the test suite.
#
#   scripts/soak.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_deps
make -s lib
mkdir -p target/soak
cc -O2 -Wall -o target/soak/soak bench/soak.c \
    $(PKG_CONFIG_PATH="$PWD/target/lib/pkgconfig" pkg-config --cflags --libs ringcap) \
    -Wl,-rpath,"$PWD/target/lib" -pthread
run_on_veth rsoak0 rsoak1 target/soak/soak rsoak0 rsoak1 "${1:-600}"
