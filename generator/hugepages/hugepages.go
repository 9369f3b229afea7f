package hugepages

import (
	"os"
	"strings"
)

// Decision says whether Heap advised the heap, and why not when it did
// not.
type Decision struct {
	Advised bool
	// Reason is why the heap was left alone ("" when Advised).
	Reason string
}

// HeapSize is the span of heap Heap advises: above the peak of a
// 10,000-model generate (about 2.4 GiB). Only address space: the pages
// are faulted in as the heap grows into them, and the runtime's page
// index for it costs about 1 MiB per GiB.
const HeapSize = 3 << 30

// hugePage is the size of a transparent huge page on x86-64 and arm64
// with 4 KiB base pages.
const hugePage = 2 << 20

// Heap makes the next HeapSize bytes the Go heap grows into eligible for
// transparent huge pages. It is a no-op (with the reason) when the kernel
// gives huge pages to every process anyway or to none, when the user
// turned them off for Go (GODEBUG=disablethp=1), or when the kernel
// commits memory strictly (reserving address space would count against
// the commit limit). Call it once, first thing in main.
func Heap() Decision {
	return heap(HeapSize, os.Getenv("GODEBUG"), readFile)
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// mode is the bracketed word of a sysfs THP setting
// ("always [madvise] never" → "madvise"), "" when there is none.
func mode(setting string) string {
	for _, f := range strings.Fields(setting) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			return f[1 : len(f)-1]
		}
	}
	return ""
}

// disabled reports whether GODEBUG turns transparent huge pages off for
// the Go heap; the last setting of a name wins, as in the runtime.
func disabled(godebug string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		if name, value, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && name == "disablethp" {
			off = value == "1"
		}
	}
	return off
}

// eligible decides from the settings alone.
func eligible(godebug string, read func(string) string) (bool, string) {
	if disabled(godebug) {
		return false, "GODEBUG=disablethp=1"
	}
	switch m := mode(read("/sys/kernel/mm/transparent_hugepage/enabled")); m {
	case "madvise":
	case "":
		return false, "the kernel has no transparent huge pages"
	default:
		return false, "transparent huge pages are " + m + " for every process"
	}
	if read("/proc/sys/vm/overcommit_memory") == "2" {
		return false, "the kernel commits memory strictly (vm.overcommit_memory=2)"
	}
	return true, ""
}

// sizeFor is the span to advise on a machine of memory bytes (RAM and
// swap): want, or half the memory when that is less, since the kernel's
// default overcommit heuristic refuses one mapping larger than the memory,
// and a heap mapping that fails is fatal. 0 when less than 64 MiB is left.
func sizeFor(want uintptr, memory uint64) uintptr {
	if half := memory / 2; uint64(want) > half {
		want = uintptr(half) &^ (hugePage - 1)
	}
	if want < 64<<20 {
		return 0
	}
	return want
}
