package check

import "testing"

// TestHostsOverlap: the pairs upstream Istio's validateVirtualService
// refuses as "duplicate hosts" (host.Name.Matches, in either order) and
// those it accepts.
func TestHostsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		want  bool
		wider string
	}{
		{"*", "*.example.com", true, "*"},
		{"*", "a.example.com", true, "*"},
		{"*.example.com", "a.example.com", true, "*.example.com"},
		{"*.example.com", "*.a.example.com", true, "*.example.com"},
		{"a.example.com", "a.example.com", true, "a.example.com"},
		{"*.example.com", "example.com", false, ""},
		{"a.example.com", "b.example.com", false, ""},
		{"*.a.example.com", "*.b.example.com", false, ""},
		{"*.example.com", "*.example.org", false, ""},
		{"*.ample.com", "a.example.com", false, ""},
	} {
		for _, pair := range [][2]string{{tc.a, tc.b}, {tc.b, tc.a}} {
			if got := hostsOverlap(pair[0], pair[1]); got != tc.want {
				t.Errorf("hostsOverlap(%q, %q) = %v, want %v", pair[0], pair[1], got, tc.want)
			}
			if tc.want {
				if got := widerHost(pair[0], pair[1]); got != tc.wider {
					t.Errorf("widerHost(%q, %q) = %q, want %q", pair[0], pair[1], got, tc.wider)
				}
			}
		}
	}
}
