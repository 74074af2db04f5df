#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Regenerate vmlinux/vmlinux.h from the running kernel's BTF. The committed copy
# is what the build uses, so the BPF object builds on machines without BTF and
# CO-RE relocates it on whatever kernel loads it.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
out=$(dirname "$0")/../vmlinux/vmlinux.h
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: cannot read $btf: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF); pass a BTF file as argument" >&2
	exit 1
fi
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out from $btf"
