//go:build !linux

package hugepages

func heap(uintptr, string, func(string) string) Decision {
	return Decision{Reason: "transparent huge pages are a Linux feature"}
}
