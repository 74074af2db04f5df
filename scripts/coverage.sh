#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Line coverage of spantrace's tests (make coverage), from the instrumented copy
# of everything the Makefile builds in BUILD (--coverage): the unit tests, the
# golden replays and replay's repeated passes, then the integration tests as
# root against that copy (SPANTRACE_BUILD). Prints the lines hit per room
# (user/core, user/symbols, user/live) and per file, keeps the lcov tracefile
# in BUILD/coverage.info and the pages in BUILD/html. Every stage runs even if
# one fails; the exit status then says which failed.
#
#   coverage.sh BUILD [PYTEST-ARGS...]   (default: all of tests/integration)
set -u
build=$1
shift
[ $# -gt 0 ] || set -- tests/integration
info=$build/coverage.info
# libgcov's complaints go here, not to spantrace's stderr, which the tests read
errlog=$build/gcov-errors.log
failed=""

stage() {
	name=$1
	shift
	echo "== coverage: $name"
	"$@" || failed="$failed $name"
}

unit_tests() {
	status=0
	for t in "$build"/unit/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		echo "== $t"
		"$t" || status=1
	done
	return "$status"
}

replay_passes() {
	for rec in tests/golden/*.rec; do
		"$build/bench/replay" --events 100000 "$rec" || return 1
	done
}

integration_tests() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "coverage: not root, so no integration tests: the figures are of the unit tests and replays"
		return 0
	fi
	# A test runs spantrace as nobody: libgcov adds its counts at exit into the
	# .gcda files, which it can only open if they exist and are writable to all.
	# A run as root writes one per object; it runs only code that
	# test_bad_command_line runs the same way, so it adds no line of its own.
	"$build/spantrace" --bogus 2>/dev/null
	[ $? = 2 ] && find "$build/obj" -name '*.gcda' -exec chmod a+rw {} + || return 1
	# test_kprobes_qemu.py boots the static spantrace of build/ under qemu: no
	# counts come back from the guest.
	SPANTRACE_BUILD=$build GCOV_ERROR_FILE=$(realpath "$errlog") \
		${PYTHON:-/usr/bin/python3} -m pytest -q -rs --ignore=tests/integration/test_kprobes_qemu.py "$@"
}

# lcov, without the warnings Debian's lcov 1.16 prints on every run (its geninfo
# defines some subroutines twice)
lcov_q() {
	lcov -q "$@" 2>"$build/lcov.err"
	rc=$?
	grep -v '^Subroutine .* redefined at ' "$build/lcov.err" >&2
	return "$rc"
}

# One line per file (lines hit of lines, percent) under a line per room, from
# the SF/LF/LH records of an lcov tracefile.
report() {
	awk -v top="$(pwd)/" '
	function pct(h, f) { return f ? sprintf("%5.1f%%", 100 * h / f) : "    -" }
	/^SF:/ { file = substr($0, 4); if (index(file, top) == 1) file = substr(file, length(top) + 1) }
	/^LF:/ { lf = substr($0, 4) }
	/^LH:/ { lh = substr($0, 4) }
	/^end_of_record/ {
		room = file; sub("/[^/]*$", "", room); name = substr(file, length(room) + 2)
		if (!(room in rf)) rooms[++n] = room
		rf[room] += lf; rh[room] += lh; tf += lf; th += lh
		line[room] = line[room] sprintf("    %-14s %5d of %5d  %s\n", name, lh, lf, pct(lh, lf))
	}
	END {
		for (i = 1; i <= n; i++) {
			r = rooms[i]
			printf "  %-16s %5d of %5d  %s\n%s", r, rh[r], rf[r], pct(rh[r], rf[r]), line[r]
		}
		printf "  %-16s %5d of %5d  %s\n", "all of user/", th, tf, pct(th, tf)
	}' "$1"
}

find "$build" -name '*.gcda' -delete
rm -rf "$build/html" "$info"
: > "$errlog" && chmod a+rw "$errlog"

stage unit unit_tests
stage golden tests/golden/check.sh "$build/bench/replay" "$build/golden"
stage replay replay_passes
stage integration integration_tests "$@"

echo "== coverage: lcov"
lcov_q --capture --initial --directory "$build/obj" --output-file "$build/base.info" &&
	lcov_q --capture --directory "$build/obj" --output-file "$build/run.info" &&
	lcov_q --add-tracefile "$build/base.info" --add-tracefile "$build/run.info" \
		--output-file "$build/all.info" &&
	lcov_q --extract "$build/all.info" "$(pwd)/user/*" --output-file "$info" &&
	genhtml -q --output-directory "$build/html" "$info" || failed="$failed lcov"

if [ -s "$errlog" ]; then
	echo "coverage: libgcov could not write some counts ($errlog):" >&2
	sort "$errlog" | uniq -c | head -20 >&2
	failed="$failed gcov"
fi
if [ -s "$info" ]; then
	echo "coverage: lines hit, per room and file ($info, $build/html/index.html):"
	report "$info"
fi
if [ -n "$failed" ]; then
	echo "coverage: failed:$failed" >&2
	exit 1
fi
