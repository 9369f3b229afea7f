package load

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// availableMemory is the memory the process may use: the machine's, or
// the limit of its cgroup (v2) when that is lower. 0 when unknown.
func availableMemory() uint64 {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0
	}
	total := uint64(info.Totalram) * uint64(info.Unit)
	// A container's limit; "max" when there is none.
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64); err == nil && n > 0 && n < total {
			total = n
		}
	}
	return total
}
