// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// C++ exceptions through traced frames. server::handle serves N requests;
// each goes through server::lookup, which holds a Guard (its destructor makes
// a cleanup that runs while an exception passes, then resumes unwinding),
// into Table<int>::get, which throws std::out_of_range for a row past the
// end. handle catches it. Rows 0-2 exist; requests ask for row i % 5, so 2 in
// 5 throw: with N = 100, 40 exceptions pass get and lookup and land in
// handle's catch.
//
// Prints "served N: ok K, missing M, sum S, guards G" and exits 0. A tracer
// that breaks unwinding (a uretprobe's return address has no unwind
// information) makes it die in std::terminate instead. With "wait" after N
// it first prints "ready PID" and waits for a line on stdin, so that a tracer
// can attach by PID.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "helpers.h"

template <typename T> struct Table {
	std::vector<T> rows;

	__attribute__((noinline)) T get(size_t i) const
	{
		if (i >= rows.size())
			throw std::out_of_range("no such row");
		return rows[i];
	}
};

static int guards;

namespace server
{
struct Guard {
	__attribute__((noinline)) ~Guard() { guards++; }
};

__attribute__((noinline)) int lookup(const Table<int> &t, size_t i)
{
	Guard g;

	return t.get(i) * 2;
}

__attribute__((noinline)) int handle(const Table<int> &t, size_t i, int *missing)
{
	try {
		return lookup(t, i);
	} catch (const std::out_of_range &) {
		++*missing;
		return 0;
	}
}
} // namespace server

int main(int argc, char **argv)
{
	Table<int> t{ { 10, 20, 30 } };
	int n = argc > 1 ? atoi(argv[1]) : 100, missing = 0;
	long sum = 0;

	if (argc > 2) {
		say("ready %d", (int)getpid());
		wait_line();
	}
	for (int i = 0; i < n; i++)
		sum += server::handle(t, (size_t)(i % 5), &missing);
	printf("served %d: ok %d, missing %d, sum %ld, guards %d\n", n, n - missing, missing, sum,
	       guards);
	return 0;
}
