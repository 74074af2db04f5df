#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build the qemu guest's initramfs: busybox-static and its applets, the static
# spantrace as /spantrace, the guest program as /guestprog, INIT as /init, and
# a static Go program as /gotasks.
#
#   mkinitramfs.sh OUT.cpio.gz SPANTRACE GUESTPROG INIT GOPROG
set -eu

if [ $# -ne 5 ]; then
	echo "usage: $0 OUT.cpio.gz SPANTRACE GUESTPROG INIT GOPROG" >&2
	exit 2
fi
out=$1 spantrace=$2 guestprog=$3 init=$4 goprog=$5
busybox=/bin/busybox

if [ ! -x "$busybox" ]; then
	echo "mkinitramfs: no $busybox; install busybox-static" >&2
	exit 1
fi
if readelf -l "$busybox" | grep -q 'program interpreter'; then
	echo "mkinitramfs: $busybox is dynamically linked; install busybox-static" >&2
	exit 1
fi
if ! command -v cpio >/dev/null; then
	echo "mkinitramfs: no cpio; install cpio" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

root=$tmp/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in sh mount cat echo dmesg sync poweroff ls mkdir; do
	ln -s busybox "$root/bin/$applet"
done
cp "$spantrace" "$root/spantrace"
cp "$guestprog" "$root/guestprog"
cp "$init" "$root/init"
cp "$goprog" "$root/gotasks"
chmod 0755 "$root/init" "$root/spantrace" "$root/guestprog" "$root/gotasks"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$tmp/out"
mv "$tmp/out" "$out"
