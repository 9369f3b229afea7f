package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls f(i) once for every i in [0, n), on one goroutine per CPU
// (GOMAXPROCS) taking the next index as it finishes one, and returns when
// all calls have returned. With one CPU or one step it runs inline.
func For(n int, f func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
