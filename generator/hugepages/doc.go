// Package hugepages asks Linux to back the Go heap with transparent huge
// pages, which the Go runtime no longer requests itself (Go 1.21.1 and
// later): on a kernel whose THP mode is "madvise", the common default,
// aimesh's heap is otherwise faulted in 4 KiB at a time.
//
// A generate at 1,000 models touches about 300 MiB, some 70,000 page
// faults; in a virtual machine where a fault costs 10 µs that is 0.7 s of
// system time, as much as the whole rendering. With huge pages it is a few
// thousand faults (docs/performance.md). Only the aimesh binary calls it,
// once at start: a process-wide change to the heap is not a library's to
// make. GODEBUG=disablethp=1, the Go runtime's own switch, turns it off.
package hugepages
