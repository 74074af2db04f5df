#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# /init of the qemu guest (busybox sh as PID 1): mount what BPF and kprobes
# need, trace /guestprog with spantrace, print the results on the serial
# console between marker lines, power off. The host reads them from the serial
# log (tests/integration/test_kprobes_qemu.py): qemu itself exits 0 whatever
# happened here.
#
# Markers, each on a line of its own:
#   === GUEST-START
#   === SPANTRACE-RC <exit code>
#   === STDERR-BEGIN ... === STDERR-END     spantrace's stderr
#   === TRACE-BEGIN ... === TRACE-END       /trace.json
#   === GO-RC <exit code>                   spantrace on /gotasks (perf uprobes on Go)
#   === GO-STDERR-BEGIN ... === GO-STDERR-END
#   === GO-STDOUT-BEGIN ... === GO-STDOUT-END   the Go program's own output
#   === GO-TRACE-BEGIN ... === GO-TRACE-END
#   === TP-RC <exit code>                   spantrace on /guestprog again, without
#   === TP-STDERR-BEGIN ... === TP-STDERR-END   kprobes or a tracefs mount: syscall tracepoints
#   === DMESG-BEGIN ... === DMESG-END       the kernel log (for diagnosis)
#   === GUEST-DONE

PATH=/bin
export PATH

# The initramfs has no /dev/console node: stdio is closed until devtmpfs is up.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# Keep kernel messages off the console so they cannot split the trace text.
dmesg -n 1

echo "=== GUEST-START"
/spantrace -v -o /trace.json -- /guestprog 2>/stderr.txt
echo "=== SPANTRACE-RC $?"
echo "=== STDERR-BEGIN"
cat /stderr.txt
echo "=== STDERR-END"
echo "=== TRACE-BEGIN"
cat /trace.json
echo
echo "=== TRACE-END"
# A Go program: RET probes, goroutines and names from Go strings on this kernel.
/spantrace -v -o /go.json \
	--span 'main.WithTask:name=arg2=main.WithTask.func1' \
	--span 'main.WithSpan:name=arg2=main.WithSpan.func1' \
	-u main.grow -u main.explode -u main.guarded -u main.worker -u main.leave \
	-- /gotasks >/go.out 2>/go.err
echo "=== GO-RC $?"
echo "=== GO-STDERR-BEGIN"
cat /go.err
echo "=== GO-STDERR-END"
echo "=== GO-STDOUT-BEGIN"
cat /go.out
echo "=== GO-STDOUT-END"
echo "=== GO-TRACE-BEGIN"
cat /go.json
echo
echo "=== GO-TRACE-END"
# The pipe writes again where a kernel has no kprobes: write's and writev's syscall
# tracepoints, their ids read from a tracefs mount of spantrace's own, attached nowhere.
umount /sys/kernel/debug 2>/dev/null
umount /sys/kernel/tracing
SPANTRACE_NO_KPROBES=1 /spantrace -v -o /tp.json -- /guestprog 2>/tp.err
echo "=== TP-RC $?"
echo "=== TP-STDERR-BEGIN"
cat /tp.err
echo "=== TP-STDERR-END"
echo "=== DMESG-BEGIN"
dmesg
echo "=== DMESG-END"
echo "=== GUEST-DONE"
sync
poweroff -f
