#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Golden traces: record files saved from real runs (spantrace --save-records) of
# the C threads target, the Go target, span pairs, a process tree and C++
# exceptions, and the trace bench/replay made of each when they were saved.
# Every build must make the very same bytes of them.
#
#   check.sh REPLAY OUTDIR          compare (exit 1 on any difference)
#   check.sh REPLAY OUTDIR --update write the expected traces anew: only for a
#                                   deliberate change of the trace's format
set -eu
replay=$1 out=$2 update=${3:-}
here=$(dirname "$0")
mkdir -p "$out"
status=0
for rec in "$here"/*.rec; do
	name=$(basename "$rec" .rec)
	"$replay" --out "$out/$name.json" "$rec" >/dev/null
	if [ "$update" = --update ]; then
		cp "$out/$name.json" "$here/$name.json"
	elif ! cmp -s "$out/$name.json" "$here/$name.json"; then
		echo "golden: $name: the trace differs from tests/golden/$name.json:" >&2
		diff "$here/$name.json" "$out/$name.json" | head -20 >&2
		status=1
	fi
done
[ "$status" = 0 ] && [ -z "$update" ] && echo "golden: $(ls "$here"/*.rec | wc -l) traces identical"
exit "$status"
