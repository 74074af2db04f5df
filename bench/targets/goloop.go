// goloop N: one goroutine calls BenchGo N times in a tight loop and prints
// "ns/call X" (time measured around the loop only). BenchGo has a frame and
// calls a helper, so it starts with the stack check (cmp 0x10(%r14),%rsp;
// jbe), as almost every Go function does. make bench traces main.BenchGo.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func benchGoHelper(s string, n int) int {
	return len(s) ^ n
}

//go:noinline
func BenchGo(s string, n int) int {
	return benchGoHelper(s, n) + 1
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goloop N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "goloop: bad N %q\n", os.Args[1])
		os.Exit(2)
	}
	s := "bench"
	sum := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		sum += BenchGo(s, i+sum)
	}
	el := time.Since(t0)
	fmt.Printf("ns/call %.3f\n", float64(el.Nanoseconds())/float64(n))
	fmt.Printf("calls %d sum %d\n", n, sum)
}
