#!/bin/sh
# Every benchmark scenario, side by side with libpcap in one run, then the
# charts. Each scenario is a script bench/<name>.sh printing
# "RESULT <scenario> <variant> <metric> <value>" lines (medians of several
# runs); this driver collects them in bench/out/results.txt and draws
# bench/out/<scenario>.png with bench/chart.py (matplotlib, installed into a
# private virtualenv under bench/out/).
#
#   bench/run.sh [scenario...]     default: every bench/*.sh but this one
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_deps
OUT=bench/out
mkdir -p "$OUT"
if [ $# -gt 0 ]; then
    scenarios=$*
else
    scenarios=$(for f in bench/*.sh; do n=$(basename "$f" .sh); [ "$n" = run ] || echo "$n"; done)
fi
results="$OUT/results.txt"
: > "$results"
for s in $scenarios; do
    echo "== bench: $s" >&2
    if ! sh "bench/$s.sh" | tee -a "$results" | grep '^RESULT'; then
        echo "bench: $s failed" >&2
    fi
done
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    # Debian splits venv's pip bootstrap out of python3.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$OUT/venv/bin/python" ]; then
    python3 -m venv "$OUT/venv"
    "$OUT/venv/bin/pip" install -q matplotlib
fi
"$OUT/venv/bin/python" bench/chart.py "$results" "$OUT"
