package hugepages

import (
	"runtime/debug"
	"syscall"
	"unsafe"
)

func heap(size uintptr, godebug string, read func(string) string) Decision {
	if ok, why := eligible(godebug, read); !ok {
		return Decision{Reason: why}
	}
	if why := roomFor(size); why != "" {
		return Decision{Reason: why}
	}
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return Decision{Reason: "sysinfo: " + err.Error()}
	}
	memory := (uint64(info.Totalram) + uint64(info.Totalswap)) * uint64(info.Unit)
	if size = sizeFor(size, memory); size == 0 {
		return Decision{Reason: "the machine has too little memory for it to pay"}
	}
	begin, end := grow(size)
	if end <= begin {
		return Decision{Reason: "the heap span is smaller than a huge page"}
	}
	// A call that fails leaves the heap as the runtime made it.
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, begin, end-begin, syscall.MADV_HUGEPAGE)
	// The span is garbage now. Collect it before anything else is
	// allocated, so that the heap grows into it from its start and the
	// collector's pacing never counts it as live; and return it to the
	// kernel (a no-op for pages never touched), so that the runtime knows
	// its pages are zero: a freed span it has not returned is cleared
	// before reuse, which would touch all of it on the first large
	// allocation.
	debug.FreeOSMemory()
	if errno != 0 {
		return Decision{Reason: "madvise: " + errno.Error()}
	}
	return Decision{Advised: true}
}

// grow extends the heap by one allocation of size bytes, never touched
// (the runtime knows that fresh memory is zero), and returns the
// huge-page-aligned part of its address range. The slice is dead when
// grow returns.
//
//go:noinline
func grow(size uintptr) (begin, end uintptr) {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return (p + hugePage - 1) &^ (hugePage - 1), (p + size) &^ (hugePage - 1)
}

// roomFor says why the process cannot reserve size bytes of address space
// without risk ("" when it can): a failed heap allocation is fatal, not an
// error, so a 32-bit address space or a limit on the address space or the
// data segment (which counts private writable mappings) rules it out.
func roomFor(size uintptr) string {
	if unsafe.Sizeof(uintptr(0)) < 8 {
		return "a 32-bit address space"
	}
	for _, l := range []struct {
		resource int
		name     string
	}{{syscall.RLIMIT_AS, "RLIMIT_AS"}, {syscall.RLIMIT_DATA, "RLIMIT_DATA"}} {
		var r syscall.Rlimit
		if err := syscall.Getrlimit(l.resource, &r); err != nil {
			return "getrlimit: " + err.Error()
		}
		if r.Cur != rlimInfinity {
			return "the process has a limit on its memory (" + l.name + ")"
		}
	}
	return ""
}

const rlimInfinity = ^uint64(0)
