#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The core (user/core) is pure: it decodes records and writes traces on
# memory and on the streams it is given, never opening a file, reading /proc,
# talking to the kernel or running anything. Its objects may call only each
# other and the functions named in ALLOWED (one per line, # starts a comment).
#
#   check-core.sh ALLOWED OBJECT...
set -eu
allowed=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$allowed" > "$tmp/allowed"
nm --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/defined"
# __gcov_*: what --coverage (make coverage) adds to every object, not a call of the core
nm --undefined-only "$@" | awk 'NF == 2 && $2 !~ /^__gcov_/ { print $2 }' | sort -u |
	grep -vxFf "$tmp/defined" | grep -vxFf "$tmp/allowed" > "$tmp/bad" || true
if [ -s "$tmp/bad" ]; then
	echo "check-core: user/core calls what it must not (see $allowed):" $(cat "$tmp/bad") >&2
	exit 1
fi
