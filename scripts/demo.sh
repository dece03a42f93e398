#!/bin/sh
# ringcap demo: installs what it needs, builds the library and the demo, and
# runs it on a veth pair inside a private network namespace it creates (so
# nothing leaves this machine's own test interfaces). Ends by itself.
#
#   scripts/demo.sh [seconds] [frame size]
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_deps
make -s demo
inner='
set -e
ip link add rdemo0 type veth peer name rdemo1
for d in rdemo0 rdemo1; do
    echo 1 > /proc/sys/net/ipv6/conf/$d/disable_ipv6 2>/dev/null || true
    ip link set $d up
done
exec target/demo/demo rdemo0 rdemo1 "$@"
'
run_in_netns sh -c "$inner" demo "${1:-5}" "${2:-64}"
