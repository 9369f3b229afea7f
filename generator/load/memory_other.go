//go:build !linux

package load

// availableMemory is unknown outside Linux: MaxEvalMemory keeps its cap.
func availableMemory() uint64 { return 0 }
