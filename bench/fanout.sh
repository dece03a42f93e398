#!/bin/sh
# Fanout: does a second consumer in one PACKET_FANOUT group raise the
# aggregate capture rate on this 2-core machine? A sender (bench/blast.c,
# TX ring, pinned to CPU 0) blasts COUNT 64-byte frames across a veth pair in
# a private namespace; bench/consumer.c (linked with -lpcap) captures them,
# spinning WORK nanoseconds per packet as a stand-in for per-packet
# processing, with a 10 ms timeout (so a last, partly filled block is not
# held for long: the rate below is measured up to the last delivery) and a
# BUFFER-byte ring (see below).
# Variants:
#   libpcap-1         one consumer on the system libpcap (no fanout API), CPU 1
#   ringcap-1         one consumer on ringcap, CPU 1
#   ringcap-fanout2   two consumers on ringcap joined by RINGCAP_FANOUT=lb:7
#                     (round robin: blast's frames are one flow, which hash
#                     mode would keep on one member), one on each CPU
# With veth the kernel's receive work runs on the sender's CPU, so the second
# consumer shares CPU 0 with the sender: the scaling shown is what two cores
# give when they also carry the traffic. Medians of RUNS interleaved runs.
#
#   bench/fanout.sh        RUNS=3 COUNT=300000 WORKS="0 5000" BUFFER=134217728
#
# Prints `RESULT fanout <variant>-w<work> <metric> <value>` with metrics
#   mpps          packets captured per second, all consumers together: the
#                 count over the span from the first delivery to the last
#   got, drops    packets captured (all consumers), kernel ring drops
#   sender_mpps   the rate the sender sustained
#   cpu_per_mpkt  consumer CPU seconds (all consumers) per million packets
# and for ringcap-fanout2 `scaling` (its mpps over ringcap-1's) and for
# ringcap-1 `ratio_libpcap` (its mpps over libpcap-1's).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COUNT=${COUNT:-300000}
WORKS=${WORKS:-"0 5000"}
# Every consumer's ring holds the whole burst, so what is measured is how
# fast the consumers work through it, not ring overflow: BUFFER bytes, laid
# out as libpcap lays them (256 KiB blocks) for ringcap too. ringcap's own
# layout for this buffer (4 MiB blocks) would retire each block after the
# 10 ms timeout nearly empty and overflow at a tenth of the size.
BUFFER=${BUFFER:-134217728}
RING="262144x$((BUFFER / 262144))"
VARIANTS=${VARIANTS:-"libpcap-1 ringcap-1 ringcap-fanout2"}
OUT=bench/out/fanout
mkdir -p "$OUT"
make -s lib >&2
cc -O2 -o "$OUT/blast" bench/blast.c
cc -O2 -o "$OUT/consumer" bench/consumer.c -lpcap
LIB="$PWD/target/lib"

# One run of one variant inside its own namespace; prints
# "<sent> <sender seconds> <got> <drops> <consumer cpu> <span seconds>".
run_one() {
    variant=$1 work=$2 count=$3
    case $variant in
        libpcap-1) n=1 env="" ;;
        ringcap-1) n=1 env="LD_LIBRARY_PATH=$LIB RINGCAP_RING=$RING" ;;
        ringcap-fanout2) n=2 env="LD_LIBRARY_PATH=$LIB RINGCAP_RING=$RING RINGCAP_FANOUT=lb:7" ;;
        *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
    # Long enough for one consumer to work through every packet.
    drain=$(awk -v c="$count" -v w="$work" 'BEGIN { printf "%.1f", 1.5 + c * w / 1e9 }')
    tmp=$(mktemp -d)
    inner="
        set -e
        ip link add bca type veth peer name bcb
        for d in bca bcb; do echo 1 > /proc/sys/net/ipv6/conf/\$d/disable_ipv6; ip link set \$d up; done
        i=0
        while [ \$i -lt $n ]; do
            env $env taskset -c \$(( (i + 1) % 2 )) $OUT/consumer bca dispatch buffer=$BUFFER timeout=10 work=$work > $tmp/out\$i &
            echo \$! >> $tmp/pids
            until grep -q READY $tmp/out\$i 2>/dev/null; do sleep 0.05; done
            i=\$((i + 1))
        done
        taskset -c 0 $OUT/blast bcb $count 64 > $tmp/sent
        sleep $drain
        kill -USR1 \$(cat $tmp/pids)
        wait
        cat $tmp/out* | awk -v sent=\"\$(cut -d' ' -f2,3 $tmp/sent)\" '
            \$1 == \"got\" { got += \$2; drops += \$4; cpu += \$6
                           if (first == 0 || (\$10 > 0 && \$10 < first)) first = \$10
                           if (\$12 > last) last = \$12 }
            END { printf \"%s %d %d %.6f %.6f\\n\", sent, got, drops, cpu, last - first }'
    "
    if [ "$(id -u)" = 0 ]; then unshare -n sh -c "$inner"; else unshare -Urn sh -c "$inner"; fi
    rm -rf "$tmp"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for work in $WORKS; do
    for v in $VARIANTS; do : > "$OUT/$v-w$work.txt"; done
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        # Interleave variants so drift affects all alike.
        for v in $VARIANTS; do
            run_one "$v" "$work" "$COUNT" >> "$OUT/$v-w$work.txt"
        done
        i=$((i + 1))
    done
    : > "$OUT/mpps-w$work.tmp"
    for v in $VARIANTS; do
        f="$OUT/$v-w$work.txt"
        mpps=$(awk '{ printf "%.6f\n", ($6 > 0 ? $3 / $6 / 1e6 : 0) }' "$f" | median)
        echo "RESULT fanout $v-w$work mpps $mpps"
        echo "RESULT fanout $v-w$work got $(awk '{ print $3 }' "$f" | median)"
        echo "RESULT fanout $v-w$work drops $(awk '{ print $4 }' "$f" | median)"
        echo "RESULT fanout $v-w$work sender_mpps $(awk '{ printf "%.6f\n", $1 / $2 / 1e6 }' "$f" | median)"
        echo "RESULT fanout $v-w$work cpu_per_mpkt $(awk '{ printf "%.6f\n", ($3 > 0 ? $5 / ($3 / 1e6) : 0) }' "$f" | median)"
        echo "$v $mpps" >> "$OUT/mpps-w$work.tmp"
    done
    ratio() { awk -v a="$1" -v b="$2" '
        $1 == a { x = $2 } $1 == b { y = $2 } END { if (x != "" && y > 0) printf "%.3f", x / y }' "$OUT/mpps-w$work.tmp"; }
    s=$(ratio ringcap-fanout2 ringcap-1)
    [ -n "$s" ] && echo "RESULT fanout ringcap-fanout2-w$work scaling $s"
    r=$(ratio ringcap-1 libpcap-1)
    [ -n "$r" ] && echo "RESULT fanout ringcap-1-w$work ratio_libpcap $r"
    rm -f "$OUT/mpps-w$work.tmp"
done
