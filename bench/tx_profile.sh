#!/bin/sh
# Where a TX frame's CPU goes on veth: each variant sends COUNT 64-byte frames
# from one end of a veth pair in a private namespace under `perf record`
# (cpu-clock samples with call graphs; works without hardware counters), and
# the kernel functions that bound the stages of the path are reported as
# inclusive shares and as nanoseconds per frame (samples x period / frames):
#
#   send_syscall      packet_sendmsg: everything the send() does, receive included
#   skb_alloc         sock_alloc_send_pskb: the socket buffer for each frame
#   parse_headers     packet_parse_headers: the kernel's look at the frame (flow dissector)
#   dev_queue_xmit    __dev_queue_xmit: qdisc layer and driver, receive included
#   veth_xmit         veth_xmit: the driver, up to handing the skb to the peer
#   zerocopy_copy     skb_copy_ubufs: veth copying zero-copy ring pages into fresh pages
#   ubuf_complete     tpacket_ubuf_complete: giving the ring frame back
#   rx_softirq        handle_softirqs: the peer's receive, run on the sender's CPU
#   rx_core           __netif_receive_skb_core: protocol demux (no handler: dropped)
#   drop_free         sk_skb_reason_drop: freeing the dropped skb
#   userland          samples outside the kernel (library and program)
#   all               every sample of the run (the open and ring setup included)
#
# Variants (as in bench/tx.sh): libpcap-inject, ringcap-inject, ringcap-batch,
# ringcap-batch-linear, raw-ring, raw-ring-1, raw-ring-linear,
# raw-ring-linear-1, raw-ring-bypass, trafgen.
#
#   bench/tx_profile.sh      COUNT=1000000 VARIANTS="..."
#
# Prints `PROFILE <variant> <stage> <percent> <ns per frame>`. Run bench/tx.sh
# first (it builds the senders into bench/out/tx).
set -eu
cd "$(dirname "$0")/.."
COUNT=${COUNT:-1000000}
FREQ=${FREQ:-4999}
VARIANTS=${VARIANTS:-"libpcap-inject ringcap-inject ringcap-batch ringcap-batch-linear raw-ring raw-ring-1 raw-ring-linear raw-ring-linear-1 raw-ring-bypass trafgen"}
OUT=bench/out/tx
LIB="$PWD/target/lib"
[ -x "$OUT/tx_raw" ] || { echo "run bench/tx.sh first" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf is missing (Debian: linux-perf)" >&2; exit 1; }

for v in $VARIANTS; do
    env=""
    case $v in
        libpcap-inject) cmd="$OUT/tx_inject btb $COUNT 64" ;;
        ringcap-inject) cmd="$OUT/tx_inject btb $COUNT 64" env="LD_LIBRARY_PATH=$LIB" ;;
        ringcap-batch) cmd="$OUT/tx_batch btb $COUNT 64 batch 256" ;;
        ringcap-batch-linear) cmd="$OUT/tx_batch btb $COUNT 64 batch 256" env="RINGCAP_TX_LINEAR=1" ;;
        raw-ring) cmd="$OUT/tx_raw btb $COUNT 64 256 0 0" ;;
        raw-ring-1) cmd="$OUT/tx_raw btb $COUNT 64 1 0 0" ;;
        raw-ring-linear) cmd="$OUT/tx_raw btb $COUNT 64 256 1 0" ;;
        raw-ring-linear-1) cmd="$OUT/tx_raw btb $COUNT 64 1 1 0" ;;
        raw-ring-bypass) cmd="$OUT/tx_raw btb $COUNT 64 256 0 1" ;;
        trafgen) cmd="trafgen --dev btb --conf $OUT/trafgen.cfg --num $COUNT --cpus 1 --no-sock-mem -Q -C" ;;
        *) echo "unknown variant $v" >&2; exit 1 ;;
    esac
    data="$OUT/profile-$v.data"
    inner="
        set -e
        ip link add bta type veth peer name btb
        for d in bta btb; do echo 1 > /proc/sys/net/ipv6/conf/\$d/disable_ipv6; ip link set \$d up; done
        env $env perf record -q -e cpu-clock -F $FREQ -g -o $data -- $cmd >/dev/null 2>&1
    "
    if [ "$(id -u)" = 0 ]; then unshare -n sh -c "$inner"; else unshare -Urn sh -c "$inner"; fi
    # Inclusive shares per symbol; sample counts per binary (self).
    perf report -q -i "$data" --children --sort symbol -g none 2>/dev/null > "$OUT/profile-$v.txt"
    perf report -q -i "$data" -n --no-children --sort dso -g none 2>/dev/null > "$OUT/profile-$v.dso"
    total=$(awk '{ s += $2 } END { print s }' "$OUT/profile-$v.dso")
    user=$(awk '$3 !~ /kernel/ { s += $2 } END { print s + 0 }' "$OUT/profile-$v.dso")
    awk -v v="$v" -v total="$total" -v user="$user" -v count="$COUNT" -v freq="$FREQ" '
        BEGIN {
            split("packet_sendmsg:send_syscall sock_alloc_send_pskb:skb_alloc packet_parse_headers:parse_headers " \
                  "__dev_queue_xmit:dev_queue_xmit veth_xmit:veth_xmit skb_copy_ubufs:zerocopy_copy " \
                  "tpacket_ubuf_complete:ubuf_complete handle_softirqs:rx_softirq " \
                  "__netif_receive_skb_core.constprop.0:rx_core sk_skb_reason_drop:drop_free", m, " ")
            for (i in m) { split(m[i], kv, ":"); stage[kv[1]] = kv[2] }
            ns = 1e9 / freq / count
        }
        # "<children>% <self>% [k] <symbol>"
        $4 in stage && !(stage[$4] in seen) {
            seen[stage[$4]] = 1
            pct = $1 + 0
            printf "PROFILE %s %s %.1f %.0f\n", v, stage[$4], pct, pct / 100 * total * ns
        }
        END {
            printf "PROFILE %s userland %.1f %.0f\n", v, 100 * user / total, user * ns
            printf "PROFILE %s all 100.0 %.0f\n", v, total * ns
        }
    ' "$OUT/profile-$v.txt"
done
