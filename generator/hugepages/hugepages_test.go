package hugepages

import (
	"testing"
)

func TestMode(t *testing.T) {
	for _, c := range []struct{ setting, want string }{
		{"always [madvise] never", "madvise"},
		{"[always] madvise never", "always"},
		{"always madvise [never]", "never"},
		{"always madvise never", ""},
		{"", ""},
		{"[]", ""},
	} {
		if got := mode(c.setting); got != c.want {
			t.Errorf("mode(%q) = %q, want %q", c.setting, got, c.want)
		}
	}
}

func TestDisabled(t *testing.T) {
	for _, c := range []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"madvdontneed=1, disablethp=1", true},
		{"disablethp=0", false},
		{"disablethp=1,disablethp=0", false},
		{"disablethp=0,disablethp=1", true},
		{"xdisablethp=1", false},
		{"disablethp", false},
	} {
		if got := disabled(c.godebug); got != c.want {
			t.Errorf("disabled(%q) = %v, want %v", c.godebug, got, c.want)
		}
	}
}

func TestEligible(t *testing.T) {
	settings := func(thp, overcommit string) func(string) string {
		return func(name string) string {
			switch name {
			case "/sys/kernel/mm/transparent_hugepage/enabled":
				return thp
			case "/proc/sys/vm/overcommit_memory":
				return overcommit
			}
			t.Fatalf("read %s", name)
			return ""
		}
	}
	for _, c := range []struct {
		name, godebug, thp, overcommit string
		want                           bool
	}{
		{"madvise", "", "always [madvise] never", "0", true},
		{"heuristic overcommit", "", "always [madvise] never", "1", true},
		{"strict overcommit", "", "always [madvise] never", "2", false},
		{"always", "", "[always] madvise never", "0", false},
		{"never", "", "always madvise [never]", "0", false},
		{"no THP", "", "", "0", false},
		{"turned off", "disablethp=1", "always [madvise] never", "0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, why := eligible(c.godebug, settings(c.thp, c.overcommit))
			if ok != c.want || (ok == (why != "")) {
				t.Errorf("eligible = %v, %q; want %v and a reason only when false", ok, why, c.want)
			}
		})
	}
}

func TestSizeFor(t *testing.T) {
	for _, c := range []struct {
		want   uintptr
		memory uint64
		got    uintptr
	}{
		{HeapSize, 24 << 30, HeapSize},
		{HeapSize, 6 << 30, HeapSize},
		{HeapSize, 4 << 30, 2 << 30},
		{HeapSize, 1<<30 + 3<<20, 512 << 20}, // rounded down to a huge page
		{HeapSize, 100 << 20, 0},             // 50 MiB would not pay
		{HeapSize, 0, 0},
	} {
		if got := sizeFor(c.want, c.memory); got != c.got {
			t.Errorf("sizeFor(%d, %d) = %d, want %d", c.want, c.memory, got, c.got)
		}
	}
}
