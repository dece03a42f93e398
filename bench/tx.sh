#!/bin/sh
# Transmit, side by side: COUNT frames of SIZE bytes (default 2,000,000 x 64)
# sent from one end of a veth pair in a private namespace, nothing capturing
# on either end (the peer's receive counter in /proc/net/dev confirms every frame arrived).
# Variants:
#   libpcap-inject          bench/tx_inject.c (pcap_inject loop) on the system libpcap
#   ringcap-inject          the same binary on ringcap (LD_LIBRARY_PATH): TX ring,
#                           TPACKET_V3 (ringcap's default), zero-copy frames
#   ringcap-inject-v2       ... with RINGCAP_TPACKET_VERSION=2
#   ringcap-inject-linear   ... with RINGCAP_TX_LINEAR=1 (linear frames, opt-in)
#   ringcap-inject-noring   ... with RINGCAP_TX_RING=0x0 (one send() per frame, as libpcap)
#   ringcap-batch           bench/tx_batch.c: ringcap_inject_batch, 256 frames per call
#   ringcap-batch-v2        ... with RINGCAP_TPACKET_VERSION=2 (V2 TX frames instead of V3)
#   ringcap-batch-bypass    ... with RINGCAP_QDISC_BYPASS=1
#   ringcap-batch-linear    ... with RINGCAP_TX_LINEAR=1
#   ringcap-batch-noring    ... with RINGCAP_TX_RING=0x0 (no TX ring: sendmmsg, 256 frames per call)
#   ringcap-queue           bench/tx_batch.c: pcap_sendqueue_transmit, 256 records, sync 0
#   ringcap-batch-<N>       ringcap_inject_batch with N frames per call (the 128-frame
#                           ring is kicked once per 128), e.g. 1, 16, 64, 1024
#   ringcap-batch-1024-ring512  ... 1024 per call with RINGCAP_TX_RING=2048x512
#   trafgen                 Debian's netsniff-ng trafgen, one CPU (its default: qdisc bypass)
#   trafgen-qdisc           ... with -q (through the qdisc layer, like the others)
#   raw-ring                bench/tx_raw.c: a plain TPACKET_V2 TX-ring loop, 256 per send()
#   raw-ring-bypass         ... with PACKET_QDISC_BYPASS
#   raw-ring-linear         ... with PACKET_VNET_HDR linear frames (ringcap's opt-in mode)
#   raw-ring-1              ... zero-copy, one frame per send()
#   raw-ring-linear-1       ... linear, one frame per send()
# and what the TX ring costs a capture-only handle (OPEN_VARIANTS, bench/tx_open.c:
# pcap_create + pcap_activate + pcap_close, OPENS times): open-libpcap, open-ringcap
# (default TX ring), open-ringcap-noring (RINGCAP_TX_RING=0x0).
# Medians of RUNS (default 3) interleaved runs of: frames per second (the
# sender's wall clock over its send loop; trafgen's whole run) and sender
# CPU time (user + system) per frame. With veth the peer's receive work runs
# on the sender's CPU, so it is part of the cost.
#
#   bench/tx.sh          RUNS=3 COUNT=2000000 SIZE=64 VARIANTS="..."
#
# bench/TX.md analyses these figures (where a frame's cost goes on veth, the
# ceiling); bench/tx_profile.sh profiles the senders it builds.
#
# Prints `RESULT tx <variant> mpps|cpu_ns_per_frame|got <value>`, and
#   RESULT tx ringcap-inject ratio_libpcap        ringcap pcap_inject rate / libpcap's
#   RESULT tx ringcap-batch ratio_libpcap          batch rate / libpcap pcap_inject's
#   RESULT tx ringcap-batch ratio_trafgen          batch rate / trafgen -q's (both through the qdisc)
#   RESULT tx ringcap-batch-bypass ratio_trafgen   bypass batch rate / trafgen's (both bypass the
#                                                  qdisc: trafgen's default)
#   RESULT tx ringcap-queue ratio_libpcap          send queue rate / libpcap pcap_inject's
#   RESULT tx ringcap-batch-v2 ratio_v3            V2 TX frames batch rate / V3 (the default)
#   and the same with cpu_ratio_* (CPU per frame of the reference over ringcap's);
#   RESULT tx open-<variant> ms_per_open|ring_kib <value>.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COUNT=${COUNT:-2000000}
SIZE=${SIZE:-64}
VARIANTS=${VARIANTS:-"libpcap-inject ringcap-inject ringcap-inject-v2 ringcap-inject-linear ringcap-inject-noring ringcap-batch ringcap-batch-v2 ringcap-batch-bypass ringcap-batch-linear ringcap-batch-noring ringcap-queue ringcap-batch-16 ringcap-batch-64 ringcap-batch-1024 ringcap-batch-1024-ring512 trafgen trafgen-qdisc raw-ring raw-ring-bypass raw-ring-linear raw-ring-1 raw-ring-linear-1"}
OPEN_VARIANTS=${OPEN_VARIANTS:-"open-libpcap open-ringcap open-ringcap-noring"}
OPENS=${OPENS:-20}
OUT=bench/out/tx
mkdir -p "$OUT"
make -s lib >&2
LIB="$PWD/target/lib"
cc -O2 -Wall -o "$OUT/tx_inject" bench/tx_inject.c -lpcap
cc -O2 -Wall -Iinclude -o "$OUT/tx_batch" bench/tx_batch.c -L"$LIB" -lringcap -Wl,-rpath,"$LIB"
cc -O2 -Wall -o "$OUT/tx_raw" bench/tx_raw.c
cc -O2 -Wall -o "$OUT/cpuof" bench/cpuof.c
cc -O2 -Wall -o "$OUT/tx_open" bench/tx_open.c -lpcap
# trafgen's packet: the same header, zero padding.
printf '{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x88, 0xb5, fill(0x00, %d) }\n' \
    $((SIZE - 14)) > "$OUT/trafgen.cfg"
# --no-sock-mem, -Q: leave the machine's socket memory and IRQ settings alone.
TRAFGEN="$OUT/cpuof $COUNT trafgen --dev btb --conf $OUT/trafgen.cfg --num $COUNT --cpus 1 --no-sock-mem -Q -C"

# One run of one variant in its own namespace; prints
# "<frames> <seconds> <cpu seconds> <peer rx_packets delta>".
run_one() {
    variant=$1
    env=""
    case $variant in
        libpcap-inject) cmd="$OUT/tx_inject btb $COUNT $SIZE" ;;
        ringcap-inject) cmd="$OUT/tx_inject btb $COUNT $SIZE" env="LD_LIBRARY_PATH=$LIB" ;;
        ringcap-inject-v2) cmd="$OUT/tx_inject btb $COUNT $SIZE" env="LD_LIBRARY_PATH=$LIB RINGCAP_TPACKET_VERSION=2" ;;
        ringcap-inject-linear) cmd="$OUT/tx_inject btb $COUNT $SIZE" env="LD_LIBRARY_PATH=$LIB RINGCAP_TX_LINEAR=1" ;;
        ringcap-inject-noring) cmd="$OUT/tx_inject btb $COUNT $SIZE" env="LD_LIBRARY_PATH=$LIB RINGCAP_TX_RING=0x0" ;;
        ringcap-batch) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 256" ;;
        ringcap-batch-v2) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 256" env="RINGCAP_TPACKET_VERSION=2" ;;
        ringcap-batch-bypass) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 256" env="RINGCAP_QDISC_BYPASS=1" ;;
        ringcap-batch-noring) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 256" env="RINGCAP_TX_RING=0x0" ;;
        ringcap-batch-linear) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 256" env="RINGCAP_TX_LINEAR=1" ;;
        ringcap-queue) cmd="$OUT/tx_batch btb $COUNT $SIZE queue 256" ;;
        ringcap-batch-1024-ring512) cmd="$OUT/tx_batch btb $COUNT $SIZE batch 1024" env="RINGCAP_TX_RING=2048x512" ;;
        ringcap-batch-*) cmd="$OUT/tx_batch btb $COUNT $SIZE batch ${variant#ringcap-batch-}" ;;
        open-libpcap) cmd="$OUT/tx_open btb $OPENS" ;;
        open-ringcap) cmd="$OUT/tx_open btb $OPENS" env="LD_LIBRARY_PATH=$LIB" ;;
        open-ringcap-noring) cmd="$OUT/tx_open btb $OPENS" env="LD_LIBRARY_PATH=$LIB RINGCAP_TX_RING=0x0" ;;
        trafgen) cmd="$TRAFGEN" ;;
        trafgen-qdisc) cmd="$TRAFGEN -q" ;;
        raw-ring) cmd="$OUT/tx_raw btb $COUNT $SIZE 256 0 0" ;;
        raw-ring-bypass) cmd="$OUT/tx_raw btb $COUNT $SIZE 256 0 1" ;;
        raw-ring-linear) cmd="$OUT/tx_raw btb $COUNT $SIZE 256 1 0" ;;
        raw-ring-1) cmd="$OUT/tx_raw btb $COUNT $SIZE 1 0 0" ;;
        raw-ring-linear-1) cmd="$OUT/tx_raw btb $COUNT $SIZE 1 1 0" ;;
        *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
    inner="
        set -e
        ip link add bta type veth peer name btb
        for d in bta btb; do echo 1 > /proc/sys/net/ipv6/conf/\$d/disable_ipv6; ip link set \$d up; done
        rx0=\$(awk -F'[: ]+' '\$2 == \"bta\" { print \$4 }' /proc/net/dev)
        out=\$(env $env $cmd)
        rx1=\$(awk -F'[: ]+' '\$2 == \"bta\" { print \$4 }' /proc/net/dev)
        echo \$(echo \"\$out\" | cut -d' ' -f2-4) \$((rx1 - rx0))
    "
    if [ "$(id -u)" = 0 ]; then unshare -n sh -c "$inner"; else unshare -Urn sh -c "$inner"; fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for v in $VARIANTS $OPEN_VARIANTS; do : > "$OUT/$v.txt"; done
i=0
while [ "$i" -lt "$RUNS" ]; do
    # Interleave variants so drift (other load on the machine) affects all alike.
    for v in $VARIANTS $OPEN_VARIANTS; do
        run_one "$v" >> "$OUT/$v.txt" || echo "tx: $v failed" >&2
    done
    i=$((i + 1))
done
for v in $OPEN_VARIANTS; do
    f="$OUT/$v.txt"
    [ -s "$f" ] || continue
    # "<opens> <ms per open> <ring KiB> <rx delta>"
    echo "RESULT tx $v ms_per_open $(awk '{ print $2 }' "$f" | median)"
    echo "RESULT tx $v ring_kib $(awk '{ print $3 }' "$f" | median)"
done
: > "$OUT/summary.tmp"
for v in $VARIANTS; do
    f="$OUT/$v.txt"
    [ -s "$f" ] || continue
    mpps=$(awk '{ printf "%.6f\n", $1 / $2 / 1e6 }' "$f" | median)
    cpu=$(awk '{ printf "%.1f\n", $3 / $1 * 1e9 }' "$f" | median)
    got=$(awk '{ print $4 }' "$f" | median)
    echo "RESULT tx $v mpps $mpps"
    echo "RESULT tx $v cpu_ns_per_frame $cpu"
    echo "RESULT tx $v got $got"
    [ "$got" = "$COUNT" ] || echo "tx: $v: the peer received $got of $COUNT frames" >&2
    echo "$v $mpps $cpu" >> "$OUT/summary.tmp"
done
ratio() { # variant reference
    awk -v a="$1" -v b="$2" '$1 == a { am = $2; ac = $3 } $1 == b { bm = $2; bc = $3 }
        END { if (am && bm) { printf "%.3f %.3f\n", am / bm, bc / ac } }' "$OUT/summary.tmp"
}
# Like with like: trafgen bypasses the qdisc unless -q.
for pair in "ringcap-inject libpcap-inject libpcap" "ringcap-batch libpcap-inject libpcap" \
            "ringcap-batch trafgen-qdisc trafgen" "ringcap-batch-bypass trafgen trafgen" \
            "ringcap-queue libpcap-inject libpcap" "ringcap-batch-v2 ringcap-batch v3"; do
    set -- $pair
    r=$(ratio "$1" "$2")
    [ -n "$r" ] || continue
    echo "RESULT tx $1 ratio_$3 $(echo "$r" | cut -d' ' -f1)"
    echo "RESULT tx $1 cpu_ratio_$3 $(echo "$r" | cut -d' ' -f2)"
done
rm -f "$OUT/summary.tmp"
