package load

import (
	"strings"
	"testing"
)

func TestNewer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"v0.2.0", "v0.1.0", true},
		{"v0.1.1", "v0.1.0", true},
		{"v0.10.0", "v0.9.9", true},
		{"v0.1.0", "v0.1.0", false},
		{"v0.1.0", "v0.2.0", false},
		{"", "v0.1.0", false},
		{"v1", "v0.1.0", false},
	} {
		if got := newer(tc.a, tc.b); got != tc.want {
			t.Errorf("newer(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestInstallHint(t *testing.T) {
	for major, want := range map[string]string{
		"v1": "go install github.com/aimesh/aimesh/cmd/aimesh@v1 ",
		"v2": "go install github.com/aimesh/aimesh/v2/cmd/aimesh@latest",
		"x":  "import aimesh.dev/schemas@v0",
	} {
		if got := installHint(major); !strings.Contains(got, want) {
			t.Errorf("installHint(%q) = %q, want it to contain %q", major, got, want)
		}
	}
}
