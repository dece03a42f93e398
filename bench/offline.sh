#!/bin/sh
# Offline reading: a ~1 GiB pcap (generated under bench/out/, not in git)
# read with pcap_loop and a counting callback by one binary
# (bench/offline_count.c) on the system libpcap and on ringcap
# (LD_LIBRARY_PATH), beside `cat FILE > /dev/null` as the ceiling; and
# `tcpdump -r FILE -w /dev/null` on both. Warm page cache, medians of RUNS
# (default 5) interleaved runs.
#
# Three packet mixes: imix (7 x 64, 4 x 576, 1 x 1500 bytes; the headline),
# small (64-byte frames) and large (1514-byte frames).
#
# Prints `RESULT offline <variant> <metric> <value>` lines:
#   mix-<mix> frames <sizes>     what each mix that ran holds
#   <tool>-<mix> seconds|mpps    for cat, libpcap, ringcap
#   ringcap-<mix> speedup        ringcap's packets/s over libpcap's
#   ringcap-<mix> target-2x      met or missed (speedup >= 2)
#   tcpdump-rw-<lib>-<mix> seconds, tcpdump-rw-ringcap-<mix> speedup
#   ringcap-base-<mix> seconds, ringcap-<mix> vs-base   with BASE_LIB set: another
#                                ringcap build (a directory like target/lib) timed
#                                in the same runs, for before/after comparisons
# and a closing table, one line per mix.
#
#   bench/offline.sh            SIZE_MIB=1024 RUNS=5 MIXES="imix small large" BASE_LIB=
set -eu
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-5}
MIXES=${MIXES:-imix small large}
BASE_LIB=${BASE_LIB:-}
OUT=bench/out
LIB=$(pwd)/target/lib

make -s lib >&2
mkdir -p "$OUT"
cc -O2 -Wall -o "$OUT/offline_gen" bench/offline_gen.c
cc -O2 -Wall -o "$OUT/offline_count" bench/offline_count.c -lpcap

now() { date +%s.%N; }
# Seconds a command takes (its output discarded).
timed() {
    t0=$(now)
    "$@" > /dev/null
    t1=$(now)
    echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
result() { echo "RESULT offline $1 $2 $3"; }
frames() {
    case $1 in
    imix) echo "7x64+4x576+1x1500-bytes" ;;
    small) echo "64-bytes" ;;
    large) echo "1514-bytes" ;;
    *) echo "unknown" ;;
    esac
}
table=""

for mix in $MIXES; do
    f="$OUT/offline-$mix-$SIZE_MIB.pcap"
    [ -f "$f" ] || "$OUT/offline_gen" "$f" "$SIZE_MIB" "$mix" >&2
    cat "$f" > /dev/null
    npkts=$("$OUT/offline_count" "$f" | cut -d' ' -f1)
    [ "$(LD_LIBRARY_PATH=$LIB "$OUT/offline_count" "$f" | cut -d' ' -f1)" = "$npkts" ] || {
        echo "ringcap and libpcap count different packets in $f" >&2
        exit 1
    }
    : > "$OUT/t-cat"; : > "$OUT/t-sys"; : > "$OUT/t-rc"; : > "$OUT/t-tsys"; : > "$OUT/t-trc"; : > "$OUT/t-base"
    tcpdump_ok=1
    LD_LIBRARY_PATH=$LIB tcpdump -r "$f" -c 1 -w /dev/null 2> "$OUT/tcpdump-check" || tcpdump_ok=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        timed cat "$f" >> "$OUT/t-cat"
        "$OUT/offline_count" "$f" | cut -d' ' -f2 >> "$OUT/t-sys"
        LD_LIBRARY_PATH=$LIB "$OUT/offline_count" "$f" | cut -d' ' -f2 >> "$OUT/t-rc"
        if [ -n "$BASE_LIB" ]; then
            LD_LIBRARY_PATH=$BASE_LIB "$OUT/offline_count" "$f" | cut -d' ' -f2 >> "$OUT/t-base"
        fi
        timed tcpdump -r "$f" -w /dev/null 2> /dev/null >> "$OUT/t-tsys"
        if [ $tcpdump_ok = 1 ]; then
            timed env LD_LIBRARY_PATH="$LIB" tcpdump -r "$f" -w /dev/null 2> /dev/null >> "$OUT/t-trc"
        fi
        i=$((i + 1))
    done
    cat_s=$(median < "$OUT/t-cat")
    sys_s=$(median < "$OUT/t-sys")
    rc_s=$(median < "$OUT/t-rc")
    tsys_s=$(median < "$OUT/t-tsys")
    speedup=$(echo "$sys_s $rc_s" | awk '{ printf "%.2f", $1 / $2 }')
    met=$(echo "$speedup" | awk '{ print ($1 >= 2) ? "met" : "missed" }')
    result "mix-$mix" frames "$(frames "$mix")"
    result "cat-$mix" seconds "$cat_s"
    result "libpcap-$mix" seconds "$sys_s"
    result "ringcap-$mix" seconds "$rc_s"
    result "libpcap-$mix" mpps "$(echo "$npkts $sys_s" | awk '{ printf "%.2f", $1 / $2 / 1e6 }')"
    result "ringcap-$mix" mpps "$(echo "$npkts $rc_s" | awk '{ printf "%.2f", $1 / $2 / 1e6 }')"
    result "ringcap-$mix" speedup "$speedup"
    result "ringcap-$mix" target-2x "$met"
    if [ -n "$BASE_LIB" ]; then
        base_s=$(median < "$OUT/t-base")
        result "ringcap-base-$mix" seconds "$base_s"
        result "ringcap-$mix" vs-base "$(echo "$base_s $rc_s" | awk '{ printf "%.2f", $1 / $2 }')"
    fi
    result "tcpdump-rw-libpcap-$mix" seconds "$tsys_s"
    if [ $tcpdump_ok = 1 ]; then
        trc_s=$(median < "$OUT/t-trc")
        result "tcpdump-rw-ringcap-$mix" seconds "$trc_s"
        tspeedup=$(echo "$tsys_s $trc_s" | awk '{ printf "%.2f", $1 / $2 }')
        result "tcpdump-rw-ringcap-$mix" speedup "$tspeedup"
    else
        tspeedup="-"
        echo "tcpdump does not run on ringcap yet: $(head -c 300 "$OUT/tcpdump-check")" >&2
    fi
    table="$table$(printf '%-6s %-24s %8s %8s %8s %8s %7s %-6s %8s' "$mix" "$(frames "$mix")" "$cat_s" \
        "$sys_s" "$rc_s" "$npkts" "${speedup}x" "$met" "${tspeedup}x")
"
done
echo
echo "offline reading, medians of $RUNS runs, ${SIZE_MIB} MiB per file, seconds:"
printf '%-6s %-24s %8s %8s %8s %8s %7s %-6s %8s\n' mix frames cat libpcap ringcap packets speedup 2x tcpdump
printf '%s' "$table"
