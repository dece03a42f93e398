#!/bin/sh
# The filter compiler against libpcap's, over the expression corpus
# (tests/filter/corpus.txt): c-tests/filter_oracle.c built against each
# library, run in a private network namespace (names that are not in
# /etc/hosts fail at once; no DNS query leaves the machine).
#
# - Program length, optimized: every corpus expression on every link type
#   the differential test covers; for each expression both compile, the
#   ratio ringcap/libpcap of the instruction counts: its distribution.
# - Compile time: pcap_compile (optimized, Ethernet) of every corpus
#   expression that compiles, REPS times each; the mean time per
#   expression, median of RUNS runs alternating the libraries; and the
#   median over expressions of each one's time ratio (long programs weigh
#   most in the mean, typical ones in the median).
#
# usage: bench/filter.sh [RUNS] [REPS]
# prints: RESULT filter ringcap length_ratio_{min,p50,p90,p99,max,mean} <r>
#         RESULT filter ringcap {shorter,equal,longer}_pct <percent of programs>
#         RESULT filter <libpcap|ringcap> compile_us <µs per expression>
#         RESULT filter ringcap compile_time_ratio <ringcap/libpcap, of the means>
#         RESULT filter ringcap compile_time_ratio_p50 <median per-expression ratio>
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
REPS=${2:-20}
OUT=bench/out/filter
CORPUS=tests/filter/corpus.txt
# The link types of tests/filter_support/mod.rs (LINKTYPES).
LINKTYPES="1 113 276 12 228 229 0 108 105 127 119 163 192"
mkdir -p "$OUT"
rm -f "$OUT"/times.*

make -s lib >&2
cc -std=gnu11 -O2 -o "$OUT/oracle-system" c-tests/filter_oracle.c -lpcap
cc -std=gnu11 -O2 -Iinclude -o "$OUT/oracle-ringcap" c-tests/filter_oracle.c \
	-Ltarget/lib -lpcap -Wl,-rpath,"$PWD/target/lib"

if ! unshare -n true 2>/dev/null; then
	echo "filter: cannot make a private network namespace (run as root): the corpus resolves names" >&2
	exit 1
fi
oracle() { unshare -n "$OUT/oracle-$1"; }

# Lengths: one compile command per (link type, expression).
awk -v lts="$LINKTYPES" 'BEGIN { n = split(lts, lt, " ") }
	{ e[NR] = $0 }
	END { for (i = 1; i <= n; i++) for (j = 1; j <= NR; j++) printf "C\t%s\t262144\t1\t0xffffff00\t%s\n", lt[i], e[j] }' \
	"$CORPUS" > "$OUT/lengths.in"
oracle system < "$OUT/lengths.in" | cut -f1,2 > "$OUT/lengths.libpcap"
oracle ringcap < "$OUT/lengths.in" | cut -f1,2 > "$OUT/lengths.ringcap"
paste "$OUT/lengths.ringcap" "$OUT/lengths.libpcap" |
	awk -F'\t' '$1 == "OK" && $3 == "OK" { print $2 / $4 }' | sort -g > "$OUT/ratios"
awk '{ r[NR] = $1; s += $1; lt += $1 < 1; eq += $1 == 1; gt += $1 > 1 }
	function q(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return r[i] }
	END {
		if (NR == 0) exit 1
		printf "RESULT filter ringcap length_ratio_min %.4f\n", r[1]
		printf "RESULT filter ringcap length_ratio_p50 %.4f\n", q(0.5)
		printf "RESULT filter ringcap length_ratio_p90 %.4f\n", q(0.9)
		printf "RESULT filter ringcap length_ratio_p99 %.4f\n", q(0.99)
		printf "RESULT filter ringcap length_ratio_max %.4f\n", r[NR]
		printf "RESULT filter ringcap length_ratio_mean %.4f\n", s / NR
		printf "RESULT filter ringcap shorter_pct %.2f\n", 100 * lt / NR
		printf "RESULT filter ringcap equal_pct %.2f\n", 100 * eq / NR
		printf "RESULT filter ringcap longer_pct %.2f\n", 100 * gt / NR
		printf "filter: %d programs compared\n", NR > "/dev/stderr"
	}' "$OUT/ratios"

# Compile times: the Ethernet expressions both libraries compile.
paste "$OUT/lengths.ringcap" "$OUT/lengths.libpcap" | head -n "$(wc -l < "$CORPUS")" |
	paste - "$CORPUS" |
	awk -F'\t' -v reps="$REPS" '$1 == "OK" && $3 == "OK" { printf "T\t1\t262144\t1\t0xffffff00\t%s\t%s\n", reps, $5 }' \
	> "$OUT/times.in"
echo "filter: timing $(wc -l < "$OUT/times.in") expressions x $REPS compiles x $RUNS runs per library" >&2

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > "$OUT/times.libpcap"
: > "$OUT/times.ringcap"
i=0
while [ "$i" -lt "$RUNS" ]; do
	for lib in libpcap ringcap; do
		exe=system
		[ "$lib" = ringcap ] && exe=ringcap
		# Nanoseconds per compile, one line per expression.
		oracle "$exe" < "$OUT/times.in" |
			awk -F'\t' '$1 == "TIME" { print $2 } $1 != "TIME" { exit 1 }' > "$OUT/times.$lib.$i"
		awk '{ s += $1 } END { printf "%.3f\n", s / NR / 1000 }' "$OUT/times.$lib.$i" >> "$OUT/times.$lib"
	done
	i=$((i + 1))
done
lib=$(median < "$OUT/times.libpcap")
ring=$(median < "$OUT/times.ringcap")
# Per expression: the sums over the runs, ringcap's over libpcap's.
paste "$OUT"/times.ringcap.* > "$OUT/per-expr.ringcap"
paste "$OUT"/times.libpcap.* > "$OUT/per-expr.libpcap"
p50=$(paste "$OUT/per-expr.ringcap" "$OUT/per-expr.libpcap" |
	awk -v runs="$RUNS" '{ r = 0; l = 0; for (i = 1; i <= runs; i++) { r += $i; l += $(runs + i) } print r / l }' | median)
echo "RESULT filter libpcap compile_us $lib"
echo "RESULT filter ringcap compile_us $ring"
echo "RESULT filter ringcap compile_time_ratio $(awk -v r="$ring" -v l="$lib" 'BEGIN { printf "%.3f", r / l }')"
echo "RESULT filter ringcap compile_time_ratio_p50 $(printf '%.3f' "$p50")"
