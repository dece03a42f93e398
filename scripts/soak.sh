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
inner='
set -e
ip link add rsoak0 type veth peer name rsoak1
for d in rsoak0 rsoak1; do
    echo 1 > /proc/sys/net/ipv6/conf/$d/disable_ipv6 2>/dev/null || true
    ip link set $d up
done
exec target/soak/soak rsoak0 rsoak1 "$1"
'
run_in_netns sh -c "$inner" soak "${1:-600}"
