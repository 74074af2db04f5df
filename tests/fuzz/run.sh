#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs each fuzz harness for SECONDS and prints one line per harness: its
# inputs per second, or the reproducer of what it found. Exits 1 if any
# harness found a crash, a leak, a timeout or a broken promise.
#
#   run.sh DIR SECONDS corpus|seeds NAME...
#
# DIR is build/fuzz: harnesses DIR/fuzz_NAME, seeds DIR/seeds/NAME. "corpus"
# keeps what the fuzzer learns in DIR/corpus/NAME for the next run (make
# fuzz); "seeds" starts from the seeds alone every time (make test).
# Reproducers go to DIR/crashes, libFuzzer's output to DIR/logs/NAME.log.
set -eu

dir=$1 secs=$2 mode=$3
shift 3
mkdir -p "$dir/crashes" "$dir/logs"
failed=0

for name in "$@"; do
	bin=$dir/fuzz_$name
	log=$dir/logs/$name.log
	case $mode in
	corpus) corpus=$dir/corpus/$name ;;
	seeds) corpus=$dir/short/$name; rm -rf "$corpus" ;;
	*) echo "run.sh: mode is corpus or seeds, not '$mode'" >&2; exit 2 ;;
	esac
	mkdir -p "$corpus"
	# Records: room for many records an input.
	case $name in
	records) extra=-max_len=65536 ;;
	*) extra= ;;
	esac
	# -timeout: seconds one input may take (the Go seeds take well under one)
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/crashes/$name-" $extra "$corpus" "$dir/seeds/$name" \
		> "$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		printf '  fuzz     %-9s %9s inputs in %ss, %6s/s, no crash\n' "$name" "$runs" \
			"$secs" "$rate"
		continue
	fi
	failed=1
	repro=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	echo "fuzz: $name failed (full output in $log):" >&2
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*broken promise|.*runtime error)' "$log" |
		head -n 5 >&2 || true
	if [ -n "$repro" ]; then
		echo "fuzz: reproduce with: $bin $repro" >&2
	else
		tail -n 20 "$log" >&2
	fi
done
exit $failed
