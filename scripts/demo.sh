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
run_on_veth rdemo0 rdemo1 target/demo/demo rdemo0 rdemo1 "${1:-5}" "${2:-64}"
