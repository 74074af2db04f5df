// A Go program shaped like a replication daemon's own task/span package:
// WithTask and WithSpan open a named task or span on a context and return the
// function that ends it. spantrace traces it with --span pairs (names from
// the string argument) and -u on plain functions, and the tests assert the
// exact trace:
//
//   - goroutine 1: WithTask "replicate" around everything below;
//   - 4 workers (goroutines started by main), each: WithTask "worker-N" {
//     WithSpan "send" { grow(3) }, sleep 3 ms (the goroutine parks and may
//     resume on another thread), WithSpan "recv" { grow(3) } };
//     grow recurses 3 deep with a 16 KiB frame each: the goroutine stack is
//     copied to a bigger one while traced frames are on it;
//   - guarded() calls explode(), which panics; guarded recovers;
//   - a goroutine opens WithSpan "quit" and calls leave(), which ends the
//     goroutine with runtime.Goexit: leave never returns, "quit" ends in a
//     deferred call while Goexit unwinds;
//   - main prints a summary and exits with status 3.
//
// With the argument "wait" it first prints "ready PID" and waits for a line
// on stdin, so that spantrace can attach by PID while it runs.
//
// Functions meant to be traced are //go:noinline: a call that the compiler
// inlines has no function entry to probe.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

type key int

const nameKey key = 0

var ends int64
var mu sync.Mutex

//go:noinline
func WithTask(ctx context.Context, name string) (context.Context, func()) {
	ctx = context.WithValue(ctx, nameKey, name)
	return ctx, func() {
		mu.Lock()
		ends++
		mu.Unlock()
	}
}

//go:noinline
func WithSpan(ctx context.Context, name string) (context.Context, func()) {
	ctx = context.WithValue(ctx, nameKey, name)
	return ctx, func() {
		mu.Lock()
		ends++
		mu.Unlock()
	}
}

// grow recurses with a large frame so the goroutine's stack must grow.
//
//go:noinline
func grow(depth int) int {
	var buf [16384]byte
	buf[depth] = byte(depth)
	if depth == 0 {
		return int(buf[0])
	}
	return grow(depth-1) + int(buf[depth])
}

//go:noinline
func explode(n int) int {
	if n > 0 {
		panic(fmt.Sprintf("explode %d", n))
	}
	return n
}

// never returns: its code has no RET instruction, so it cannot be a span
// function (it is never called).
//
//go:noinline
func fail(why string) {
	panic(why)
}

//go:noinline
func guarded() (recovered bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered = true
		}
	}()
	explode(1)
	return false
}

//go:noinline
func leave() {
	runtime.Goexit()
}

//go:noinline
func quitter(ctx context.Context, ch chan struct{}) {
	defer close(ch)
	_, end := WithSpan(ctx, "quit")
	defer end()
	leave()
}

//go:noinline
func worker(ctx context.Context, i int, wg *sync.WaitGroup, out []int) {
	defer wg.Done()
	ctx, done := WithTask(ctx, fmt.Sprintf("worker-%d", i))
	defer done()
	_, end := WithSpan(ctx, "send")
	out[i] = grow(3)
	end()
	time.Sleep(3 * time.Millisecond)
	_, end = WithSpan(ctx, "recv")
	out[i] += grow(3)
	end()
}

func main() {
	runtime.GOMAXPROCS(2)
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		fmt.Printf("ready %d\n", os.Getpid())
		var line string
		fmt.Scanln(&line)
	} else if len(os.Args) > 1 {
		fail("unknown argument " + os.Args[1])
	}
	ctx, done := WithTask(context.Background(), "replicate")
	var wg sync.WaitGroup
	out := make([]int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go worker(ctx, i, &wg, out)
	}
	wg.Wait()
	quit := make(chan struct{})
	go quitter(ctx, quit)
	<-quit
	rec := guarded()
	done()
	fmt.Printf("gotasks done ends=%d grow=%v recovered=%v\n", ends, out, rec)
	os.Exit(3)
}
