// A Go program that exercises the runtime where probes can hurt it:
//
//   - 4 goroutines build and drop linked nodes while the garbage collector
//     runs, so the write barrier runs through every register variant
//     (runtime.gcWriteBarrierR8 starts with `49 90`, xchg %rax,%r8, which
//     the kernel's uprobe code emulates as a nop);
//   - main hashes 500 buffers with crypto/sha256, whose block function is
//     assembly (ABI0) that uses r14, where Go code keeps the goroutine: each
//     Sum256 of 1000 bytes calls it twice (the full blocks, then the padding),
//     so it runs exactly 1000 times. (A probe on its first byte counts more:
//     a call starts over from there after its stack check sends it to
//     runtime.morestack, which happens whenever the scheduler asks the
//     goroutine to yield.)
//
// It prints "done SUM HASH", the same on every run with the same argument
// (the number of nodes each goroutine makes, default 200000), and exits 0.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
)

type node struct {
	next *node
	a, b *[64]byte
	val  int
}

var sink [4096]*node

//go:noinline
func churn(seed int, rounds int) int {
	var head *node
	total := 0
	for i := 0; i < rounds; i++ {
		n := &node{next: head, val: i + seed}
		n.a = new([64]byte)
		n.b = n.a
		sink[(i*7+seed)%len(sink)] = n
		head = n
		if i%64 == 0 {
			head = nil
		}
		total += n.val
	}
	return total
}

func main() {
	rounds := 200000
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &rounds)
	}
	var wg sync.WaitGroup
	sums := make([]int, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sums[w] = churn(w, rounds)
		}(w)
	}
	buf := make([]byte, 1000)
	var h byte
	for i := 0; i < 500; i++ {
		buf[i%1000] = byte(i)
		s := sha256.Sum256(buf)
		h ^= s[i%32]
	}
	wg.Wait()
	fmt.Println("done", sums[0]+sums[1]+sums[2]+sums[3], h)
}
