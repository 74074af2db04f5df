// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// The functions of callloop that must not start with endbr64: built with
// -O2 -fcf-protection=none -fno-omit-frame-pointer -momit-leaf-frame-pointer,
// so bench_push (a non-leaf, like bench_cet) starts with push %rbp and
// bench_leaf is exactly `lea (%rdi,%rsi),%rax; ret`. bench.py checks both
// with objdump and stops if the compiler emitted something else.
#if defined(__clang__)
#define BENCH_FN __attribute__((noinline, used))
#else
#define BENCH_FN __attribute__((noipa, used))
#endif

long bench_push_helper(long a, long b);
long bench_push(long a, long b);
long bench_leaf(long a, long b);

BENCH_FN long bench_push_helper(long a, long b)
{
	return a ^ b;
}

BENCH_FN long bench_push(long a, long b)
{
	return bench_push_helper(a, b) + 1;
}

BENCH_FN long bench_leaf(long a, long b)
{
	return a + b;
}
