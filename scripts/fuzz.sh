#!/bin/sh
# Run cargo-fuzz targets for a bounded time each; exit non-zero if any crashes,
# hangs (one input running over HANG seconds) or fails to build.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to every file in
# fuzz/fuzz_targets/. The kept corpus fuzz/corpus/<target>/ seeds each run but
# is not written to: new inputs go to a scratch directory, crashes to
# fuzz/artifacts/<target>/. With KEEP=1 (a campaign), new inputs go into the
# kept corpus, which is then minimized (cargo fuzz cmin), and the run's final
# statistics are appended to fuzz/campaign.log. A dictionary fuzz/<target>.dict
# is used when there is one. Targets are built with debug assertions and
# overflow checks (what the test suite's builds have), so an arithmetic
# overflow is a finding. Needs cargo-fuzz (`cargo install cargo-fuzz`) and
# a nightly toolchain, or stable with RUSTC_BOOTSTRAP=1: set
# FUZZ_TOOLCHAIN=stable to use that.
set -u
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=$*
if [ -z "$TARGETS" ]; then
	TARGETS=$(for f in fuzz/fuzz_targets/*.rs; do basename "$f" .rs; done)
fi
HANG=${HANG:-10}
# The nightly toolchain if rustup has one, else stable with RUSTC_BOOTSTRAP.
if [ -z "${FUZZ_TOOLCHAIN:-}" ]; then
	if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then FUZZ_TOOLCHAIN=nightly; else FUZZ_TOOLCHAIN=stable; fi
fi
TOOLCHAIN=$FUZZ_TOOLCHAIN
if [ "$TOOLCHAIN" = stable ]; then
	export RUSTC_BOOTSTRAP=1
fi
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT INT TERM

failed=""
for t in $TARGETS; do
	echo "fuzz: $t for ${SECS}s" >&2
	mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "$SCRATCH/$t"
	if ! cargo "+$TOOLCHAIN" fuzz build -a "$t"; then
		failed="$failed $t(build)"
		continue
	fi
	DICT=""
	[ -f "fuzz/$t.dict" ] && DICT="-dict=fuzz/$t.dict"
	if [ "${KEEP:-0}" = 1 ]; then
		dirs="fuzz/corpus/$t"
	else
		dirs="$SCRATCH/$t fuzz/corpus/$t"
	fi
	if ! cargo "+$TOOLCHAIN" fuzz run -a "$t" $dirs -- $DICT \
		-max_total_time="$SECS" -timeout="$HANG" -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 2> "$SCRATCH/$t.log"; then
		failed="$failed $t"
	fi
	cat "$SCRATCH/$t.log" >&2
	if [ "${KEEP:-0}" = 1 ]; then
		cargo "+$TOOLCHAIN" fuzz cmin -a "$t" "fuzz/corpus/$t" >/dev/null 2>&1 || echo "fuzz: cmin $t failed" >&2
		{
			echo "$(date -u +%Y-%m-%dT%H:%MZ) $t ${SECS}s corpus $(ls "fuzz/corpus/$t" | wc -l) files"
			grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$SCRATCH/$t.log"
		} >> fuzz/campaign.log
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran ${SECS}s without a crash" >&2
