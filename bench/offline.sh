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
#   <tool>-<mix> seconds|mpps    for cat, libpcap, ringcap
#   ringcap-<mix> speedup        ringcap's packets/s over libpcap's
#   tcpdump-rw-<lib>-<mix> seconds, tcpdump-rw-ringcap-<mix> speedup
#
#   bench/offline.sh            SIZE_MIB=1024 RUNS=5 MIXES="imix small large"
set -eu
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-5}
MIXES=${MIXES:-imix small large}
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

for mix in $MIXES; do
    f="$OUT/offline-$mix-$SIZE_MIB.pcap"
    [ -f "$f" ] || "$OUT/offline_gen" "$f" "$SIZE_MIB" "$mix" >&2
    cat "$f" > /dev/null
    npkts=$("$OUT/offline_count" "$f" | cut -d' ' -f1)
    [ "$(LD_LIBRARY_PATH=$LIB "$OUT/offline_count" "$f" | cut -d' ' -f1)" = "$npkts" ] || {
        echo "ringcap and libpcap count different packets in $f" >&2
        exit 1
    }
    : > "$OUT/t-cat"; : > "$OUT/t-sys"; : > "$OUT/t-rc"; : > "$OUT/t-tsys"; : > "$OUT/t-trc"
    tcpdump_ok=1
    LD_LIBRARY_PATH=$LIB tcpdump -r "$f" -c 1 -w /dev/null 2> "$OUT/tcpdump-check" || tcpdump_ok=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        timed cat "$f" >> "$OUT/t-cat"
        "$OUT/offline_count" "$f" | cut -d' ' -f2 >> "$OUT/t-sys"
        LD_LIBRARY_PATH=$LIB "$OUT/offline_count" "$f" | cut -d' ' -f2 >> "$OUT/t-rc"
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
    result "cat-$mix" seconds "$cat_s"
    result "libpcap-$mix" seconds "$sys_s"
    result "ringcap-$mix" seconds "$rc_s"
    result "libpcap-$mix" mpps "$(echo "$npkts $sys_s" | awk '{ printf "%.2f", $1 / $2 / 1e6 }')"
    result "ringcap-$mix" mpps "$(echo "$npkts $rc_s" | awk '{ printf "%.2f", $1 / $2 / 1e6 }')"
    result "ringcap-$mix" speedup "$(echo "$sys_s $rc_s" | awk '{ printf "%.2f", $1 / $2 }')"
    result "tcpdump-rw-libpcap-$mix" seconds "$tsys_s"
    if [ $tcpdump_ok = 1 ]; then
        trc_s=$(median < "$OUT/t-trc")
        result "tcpdump-rw-ringcap-$mix" seconds "$trc_s"
        result "tcpdump-rw-ringcap-$mix" speedup "$(echo "$tsys_s $trc_s" | awk '{ printf "%.2f", $1 / $2 }')"
    else
        echo "tcpdump does not run on ringcap yet: $(head -c 300 "$OUT/tcpdump-check")" >&2
    fi
done
