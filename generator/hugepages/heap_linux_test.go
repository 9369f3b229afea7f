package hugepages

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestHeapAdvisesTheHeap checks, in /proc/self/smaps, that the address
// range Heap advised is eligible for huge pages ("hg" among its VmFlags)
// and that the heap then grows into it.
func TestHeapAdvisesTheHeap(t *testing.T) {
	if ok, why := eligible(os.Getenv("GODEBUG"), readFile); !ok {
		t.Skip(why)
	}
	if why := roomFor(256 << 20); why != "" {
		t.Skip(why)
	}
	const size = 256 << 20
	d := heap(size, "", readFile)
	if !d.Advised {
		t.Fatalf("not advised: %s", d.Reason)
	}
	// The heap grows into the span from its start: an allocation of a
	// quarter of it lands inside, but for the head of the span before the
	// first huge page boundary, which cannot be advised.
	buf := make([]byte, 64<<20)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	vmas := advisedRanges(t)
	inside := false
	for _, r := range vmas {
		if p+hugePage > r[0] && p+uintptr(len(buf)) <= r[1] {
			inside = true
		}
	}
	if !inside {
		t.Errorf("a fresh 64 MiB allocation at %#x is outside every huge-page range %x", p, vmas)
	}
}

// advisedRanges returns the mappings of the process with "hg" among their
// VmFlags.
func advisedRanges(t *testing.T) [][2]uintptr {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var out [][2]uintptr
	var cur [2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			lo, hi, _ := strings.Cut(fields[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				cur = [2]uintptr{uintptr(a), uintptr(b)}
			}
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			for _, fl := range strings.Fields(flags) {
				if fl == "hg" {
					out = append(out, cur)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHeapDeclinesUnderALimit: with a finite soft limit on the address
// space or the data segment, a reservation could be fatal; Heap leaves
// the heap alone. The limit set here is finite but far above any use.
func TestHeapDeclinesUnderALimit(t *testing.T) {
	for _, resource := range []int{syscall.RLIMIT_AS, syscall.RLIMIT_DATA} {
		var old syscall.Rlimit
		if err := syscall.Getrlimit(resource, &old); err != nil {
			t.Fatal(err)
		}
		if old.Cur != rlimInfinity {
			t.Skipf("already limited: %d", old.Cur)
		}
		lowered := syscall.Rlimit{Cur: 1 << 62, Max: old.Max}
		if err := syscall.Setrlimit(resource, &lowered); err != nil {
			t.Skip(err)
		}
		d := heap(256<<20, "", func(name string) string {
			return map[string]string{
				"/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never",
				"/proc/sys/vm/overcommit_memory":              "0",
			}[name]
		})
		if err := syscall.Setrlimit(resource, &old); err != nil {
			t.Fatal(err)
		}
		if d.Advised || !strings.Contains(d.Reason, "limit on its memory") {
			t.Errorf("resource %d limited: %+v, want declined", resource, d)
		}
	}
}
