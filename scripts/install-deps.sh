#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install everything spantrace needs to build, test and benchmark, from Debian's
# packages only. Idempotent: packages already present are left alone, so a
# second run costs one dpkg query.
set -eu

PKGS="
	make gcc g++ clang llvm pkg-config
	libclang-rt-dev
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libcmocka-dev libcapstone-dev libiberty-dev libdw-dev
	golang-go rustc
	python3 python3-pytest sqlite3 libsqlite3-0 util-linux bindfs
	binutils
	bpftrace
	lcov
	qemu-system-x86 linux-image-amd64 busybox-static cpio
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root (sudo $0)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
