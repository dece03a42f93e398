#!/bin/sh
# Live capture, side by side: a sender (bench/blast.c, TX ring) blasts COUNT
# frames of 64 and 1500 bytes across a veth pair in a private namespace; the
# same consumer binary (bench/consumer.c, linked with -lpcap) captures them on
# the system libpcap and on ringcap (LD_LIBRARY_PATH), with pcap_dispatch,
# pcap_next_ex and immediate mode; a bare TPACKET_V3 loop (bench/raw_v3.c) is
# the ceiling. Consumer CPU seconds per million packets (counted from the end
# of activation: ring sizes differ, and the kernel zeroing a ring is a
# one-time cost, reported apart as act_ms), packets delivered, kernel drops
# and the rate the sender sustained; medians of RUNS runs.
#
#   bench/capture.sh            RUNS=3 COUNT64=2000000 COUNT1500=500000
#
# Prints `RESULT capture <variant>-<size> <metric> <value>` with metrics
# cpu_per_mpkt, act_ms, mpps, got, drops, and for ringcap `ratio_libpcap` (CPU per
# packet over libpcap's) and `ratio_raw` (over the raw V3 ceiling).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COUNT64=${COUNT64:-2000000}
COUNT1500=${COUNT1500:-500000}
VARIANTS=${VARIANTS:-"raw-v3 libpcap-dispatch ringcap-dispatch libpcap-next_ex ringcap-next_ex ringcap-batch libpcap-immediate ringcap-immediate"}
OUT=bench/out/capture
mkdir -p "$OUT"
make -s lib >&2
cc -O2 -o "$OUT/blast" bench/blast.c
cc -O2 -o "$OUT/consumer" bench/consumer.c -lpcap
cc -O2 -o "$OUT/raw_v3" bench/raw_v3.c
cc -O2 -o "$OUT/batch_consumer" bench/batch_consumer.c -Iinclude -Ltarget/lib -lringcap -Wl,-rpath,"$PWD/target/lib"
LIB="$PWD/target/lib"

# One run of one variant, inside its own namespace; prints
# "<sent> <sender seconds> <got> <drops> <consumer cpu> <activation cpu>
# <lat50> <lat99> <latmax>". With PPS the sender paces its frames and the
# consumer measures each one's delay from arrival to delivery.
run_one() {
    variant=$1 size=$2 count=$3 pps=${4:-}
    case $variant in
        raw-v3) cmd="$OUT/raw_v3 bca" env="" ;;
        libpcap-dispatch) cmd="$OUT/consumer bca dispatch" env="" ;;
        ringcap-dispatch) cmd="$OUT/consumer bca dispatch" env="LD_LIBRARY_PATH=$LIB" ;;
        libpcap-next_ex) cmd="$OUT/consumer bca next_ex" env="" ;;
        ringcap-next_ex) cmd="$OUT/consumer bca next_ex" env="LD_LIBRARY_PATH=$LIB" ;;
        ringcap-batch) cmd="$OUT/batch_consumer bca" env="" ;;
        libpcap-immediate) cmd="$OUT/consumer bca dispatch immediate" env="" ;;
        ringcap-immediate) cmd="$OUT/consumer bca dispatch immediate" env="LD_LIBRARY_PATH=$LIB" ;;
        # Immediate-mode candidates, chosen between by measurement.
        ringcap-imm-v3) cmd="$OUT/consumer bca dispatch immediate" env="LD_LIBRARY_PATH=$LIB RINGCAP_TPACKET_VERSION=3" ;;
        ringcap-imm-v2) cmd="$OUT/consumer bca dispatch immediate" env="LD_LIBRARY_PATH=$LIB RINGCAP_TPACKET_VERSION=2" ;;
        ringcap-imm-v2-spin50) cmd="$OUT/consumer bca dispatch immediate" env="LD_LIBRARY_PATH=$LIB RINGCAP_TPACKET_VERSION=2 RINGCAP_BUSY_POLL_US=50" ;;
        ringcap-imm-v2-spin200) cmd="$OUT/consumer bca dispatch immediate" env="LD_LIBRARY_PATH=$LIB RINGCAP_TPACKET_VERSION=2 RINGCAP_BUSY_POLL_US=200" ;;
        *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
    [ -n "$pps" ] && cmd="$cmd latency"
    tmp=$(mktemp -d)
    inner="
        set -e
        ip link add bca type veth peer name bcb
        for d in bca bcb; do echo 1 > /proc/sys/net/ipv6/conf/\$d/disable_ipv6; ip link set \$d up; done
        mkfifo $tmp/out
        env $env $cmd > $tmp/out &
        pid=\$!
        exec 3< $tmp/out
        read ready <&3
        $OUT/blast bcb $count $size $pps > $tmp/sent
        sleep 1
        kill -USR1 \$pid
        cat <&3 > $tmp/got
        wait \$pid
        echo \$(cut -d' ' -f2,3 $tmp/sent) \$(cut -d' ' -f2,4,6,8,14,16,18 $tmp/got)
    "
    if [ "$(id -u)" = 0 ]; then unshare -n sh -c "$inner"; else unshare -Urn sh -c "$inner"; fi
    rm -rf "$tmp"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for size in 64 1500; do
    count=$COUNT64
    [ "$size" = 1500 ] && count=$COUNT1500
    for v in $VARIANTS; do : > "$OUT/$v-$size.txt"; done
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        # Interleave variants so drift affects all alike.
        for v in $VARIANTS; do
            run_one "$v" "$size" "$count" >> "$OUT/$v-$size.txt"
        done
        i=$((i + 1))
    done
    for v in $VARIANTS; do
        f="$OUT/$v-$size.txt"
        cpu=$(awk '{ printf "%.6f\n", ($3 > 0 ? $5 / ($3 / 1e6) : 0) }' "$f" | median)
        mpps=$(awk '{ printf "%.6f\n", $1 / $2 / 1e6 }' "$f" | median)
        act=$(awk '{ printf "%.3f\n", $6 * 1000 }' "$f" | median)
        got=$(awk '{ print $3 }' "$f" | median)
        drops=$(awk '{ print $4 }' "$f" | median)
        echo "RESULT capture $v-$size cpu_per_mpkt $cpu"
        echo "RESULT capture $v-$size act_ms $act"
        echo "RESULT capture $v-$size mpps $mpps"
        echo "RESULT capture $v-$size got $got"
        echo "RESULT capture $v-$size drops $drops"
        echo "$v $cpu $mpps" >> "$OUT/cpu-$size.tmp"
    done
    raw=$(awk '$1 == "raw-v3" { print $2 }' "$OUT/cpu-$size.tmp")
    for m in dispatch next_ex batch immediate; do
        # Batch receive has no libpcap counterpart: compared with dispatch.
        lm=$m
        [ "$m" = batch ] && lm=dispatch
        lib=$(awk -v v="libpcap-$lm" '$1 == v { print $2 }' "$OUT/cpu-$size.tmp")
        ring=$(awk -v v="ringcap-$m" '$1 == v { print $2 }' "$OUT/cpu-$size.tmp")
        [ -n "$lib" ] && [ -n "$ring" ] || continue
        echo "RESULT capture ringcap-$m-$size ratio_libpcap $(awk -v a="$ring" -v b="$lib" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
        [ -n "$raw" ] && echo "RESULT capture ringcap-$m-$size ratio_raw $(awk -v a="$ring" -v b="$raw" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
    done
    # Immediate mode's cost in rate: the rate the sender sustained, over the
    # same library's rate without immediate mode.
    for lib in libpcap ringcap; do
        awk -v l="$lib" -v size="$size" '$1 == l "-dispatch" { d = $3 } $1 ~ "^" l "-imm" { i[$1] = $3 }
            END { for (v in i) if (d > 0) printf "RESULT capture %s-%s rate_vs_dispatch %.3f\n", v, size, i[v] / d }' "$OUT/cpu-$size.tmp"
    done
    rm -f "$OUT/cpu-$size.tmp"
done

# Latency of immediate mode: LAT_COUNT 64-byte frames at LAT_PPS a second;
# each packet's delay from its kernel timestamp to its delivery (µs).
LAT_PPS=${LAT_PPS:-5000}
LAT_COUNT=${LAT_COUNT:-10000}
LAT_VARIANTS=${LAT_VARIANTS:-"libpcap-immediate ringcap-immediate ringcap-imm-v2 ringcap-imm-v2-spin50 ringcap-imm-v2-spin200"}
for v in $LAT_VARIANTS; do : > "$OUT/$v-lat.txt"; done
i=0
while [ "$i" -lt "$RUNS" ]; do
    for v in $LAT_VARIANTS; do
        run_one "$v" 64 "$LAT_COUNT" "$LAT_PPS" >> "$OUT/$v-lat.txt"
    done
    i=$((i + 1))
done
for v in $LAT_VARIANTS; do
    f="$OUT/$v-lat.txt"
    for m in lat50:7 lat99:8 latmax:9; do
        echo "RESULT capture $v-latency ${m%:*}_us $(awk -v c="${m#*:}" '{ print $c }' "$f" | median)"
    done
    echo "RESULT capture $v-latency drops $(awk '{ print $4 }' "$f" | median)"
done
