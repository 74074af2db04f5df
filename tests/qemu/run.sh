#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Boot Debian's 6.1 kernel (kprobes, BTF) under qemu with software emulation,
# from INITRAMFS (built by mkinitramfs.sh), and write the serial console to
# LOG. qemu exits 0 whatever the guest did: LOG is the result (markers in
# init.sh). Exits 124 if the guest did not power off in time, 1 if there is
# nothing to boot.
#
#   run.sh INITRAMFS LOG
# QEMU_KERNEL overrides the kernel image, QEMU_TIMEOUT the bound (seconds).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 INITRAMFS LOG" >&2
	exit 2
fi
initramfs=$1 log=$2

# The version suffix moves with Debian updates: take the newest 6.1 image.
kernel=${QEMU_KERNEL:-$(printf '%s\n' /boot/vmlinuz-6.1.* | sort -V | tail -n 1)}
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	echo "run.sh: cannot read the kernel image $kernel; install linux-image-amd64" >&2
	exit 1
fi
if [ ! -r "$initramfs" ]; then
	echo "run.sh: no initramfs $initramfs; build it with make" >&2
	exit 1
fi

# -accel tcg explicitly: /dev/kvm exists on these machines but KVM hangs after
# the BIOS.
rc=0
timeout "${QEMU_TIMEOUT:-120}" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
	-nographic -no-reboot -net none -kernel "$kernel" -initrd "$initramfs" \
	-append "console=ttyS0 panic=-1 quiet" </dev/null >"$log" 2>&1 || rc=$?
if [ "$rc" -eq 124 ]; then
	echo "run.sh: qemu did not finish within ${QEMU_TIMEOUT:-120} s (log: $log)" >&2
fi
exit "$rc"
