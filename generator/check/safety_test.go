package check

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
)

// AM0902 is an invariant behind the schema (#RelDir, #SourceURI): run it
// on values the schema would refuse.
func TestSafeStorageValues(t *testing.T) {
	for _, tc := range []struct {
		path, source string
		want         string
	}{
		{"pytorch/style-transfer/", "oss://bucket/pytorch/", ""},
		{"../../etc/", "", "storage path"},
		{"/etc/", "", "storage path"},
		{"a\\b/", "", "storage path"},
		{"ok/", "oss://x/$(id)", "source"},
		{"ok/", "oss://x/a=b", "source"},
	} {
		p := &model.Platform{Models: map[string]model.Model{"m": {Storage: model.Storage{Path: tc.path}, Source: tc.source}}}
		var out []string
		for _, d := range runPlatform([]*Rule{SafeStorageValues}, load.Index{}, nil, p, "") {
			out = append(out, d.Message)
		}
		got := strings.Join(out, "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("path %q source %q: %q, want %q", tc.path, tc.source, got, tc.want)
		}
	}
}
