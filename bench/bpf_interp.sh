#!/bin/sh
# Userland BPF interpreter throughput: pcap_offline_filter over a packet mix
# with the program the system libpcap compiles for `tcp port 80 or udp port 53`
# (identical instructions for both), on the system libpcap and on ringcap
# (same binary, LD_LIBRARY_PATH=target/lib). Medians of RUNS runs, alternated.
#
# usage: bench/bpf_interp.sh [RUNS] [PACKETS]
# prints: RESULT bpf_interp <libpcap|ringcap> pps <packets/s>
#         RESULT bpf_interp ringcap ratio <ringcap/libpcap>
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
PACKETS=${2:-20000000}
EXPR=${BPF_BENCH_EXPR:-tcp port 80 or udp port 53}
OUT=bench/out/bpf_interp
mkdir -p "$OUT"

make -s lib >&2
cc -O2 -o "$OUT/bpf_compile" bench/bpf_compile.c -lpcap
cc -O2 -o "$OUT/bpf_interp" bench/bpf_interp.c -lpcap
"$OUT/bpf_compile" "$EXPR" > "$OUT/program.ddd"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: > "$OUT/libpcap.txt"
: > "$OUT/ringcap.txt"
i=0
while [ "$i" -lt "$RUNS" ]; do
	"$OUT/bpf_interp" "$OUT/program.ddd" "$PACKETS" >> "$OUT/libpcap.txt"
	LD_LIBRARY_PATH="$PWD/target/lib" "$OUT/bpf_interp" "$OUT/program.ddd" "$PACKETS" >> "$OUT/ringcap.txt"
	i=$((i + 1))
done

# Both must have matched the same packets.
if [ "$(cut -d' ' -f2 "$OUT/libpcap.txt" | sort -u)" != "$(cut -d' ' -f2 "$OUT/ringcap.txt" | sort -u)" ]; then
	echo "bpf_interp: libpcap and ringcap disagree on the number of matches" >&2
	exit 1
fi
lib=$(cut -d' ' -f1 "$OUT/libpcap.txt" | median)
ring=$(cut -d' ' -f1 "$OUT/ringcap.txt" | median)
echo "RESULT bpf_interp libpcap pps $lib"
echo "RESULT bpf_interp ringcap pps $ring"
echo "RESULT bpf_interp ringcap ratio $(awk -v r="$ring" -v l="$lib" 'BEGIN { printf "%.2f", r / l }')"
