// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Exits as soon as a uprobe is written into probe_me(): the kernel replaces
 * its first byte with int3 (0xcc) in this process's view of the text. With
 * probe_me first in a long list of probes, the process is certain to exit
 * while the tracer is still attaching the rest.
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void probe_me(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	volatile unsigned char *code = (volatile unsigned char *)probe_me;

	printf("ready %d\n", getpid());
	fflush(stdout);
	while (*code != 0xcc)
		usleep(100);
	return 0;
}
