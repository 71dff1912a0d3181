#!/usr/bin/env bash
# make fuzz: libFuzzer with AddressSanitizer and UBSan on every packet processor
# of the registry, FUZZ_RUNS inputs each, seeded with the test traces.  Prints
# one line per class and writes build/fuzz/summary.txt; exits 1 if any failed
# (the crashing input and the log stay in build/fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${FUZZ_RUNS:-1000000}
OUT=${FUZZ_OUT:-build/fuzz}
PY=.venv/bin/python
mkdir -p "$OUT"
echo ">> building $OUT/fuzz_processors (clang, libFuzzer, ASan, UBSan)"
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Idataplane/include -Idataplane/processors $(pkg-config --cflags libdpdk libhs) \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	fuzz/fuzz_processors.c dataplane/processors/*.c \
	$(pkg-config --libs libdpdk libhs) -o "$OUT/fuzz_processors"
rm -rf "$OUT/seeds" && $PY fuzz/seeds.py "$OUT/seeds"
classes=$($PY -c 'from micronf.dataplane.catalog import descriptors
print(" ".join(d["class"] for d in descriptors()))')
status=0
: > "$OUT/summary.txt"
for cls in $classes; do
	corpus="$OUT/corpus/$cls"
	mkdir -p "$corpus"
	UNF_FUZZ_CLASS=$cls "$OUT/fuzz_processors" -runs="$RUNS" -max_len=9201 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$OUT/$cls-" "$corpus" "$OUT/seeds" \
		> "$OUT/$cls.log" 2>&1 &
	pid=$!
	if wait $pid; then
		result=ok
	else
		result="FAILED (see $OUT/$cls.log)"
		status=1
	fi
	rm -rf "/var/run/dpdk/unf-fuzz-$pid"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$cls.log")
	secs=$(sed -n 's/^stat::.*\(average_exec_per_sec\): *//p' "$OUT/$cls.log")
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$cls.log" | tail -1 | cut -d' ' -f2)
	line=$(printf '%-18s %-8s runs=%s exec/s=%s cov=%s' "$cls" "$result" "${runs:-?}" \
		"${secs:-?}" "${cov:-?}")
	echo "$line" | tee -a "$OUT/summary.txt"
done
exit $status
