package load_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/load"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func TestLoadReference(t *testing.T) {
	res, err := load.Load(load.Options{Root: root()})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Platform.Environments); got != 3 {
		t.Errorf("%d environments", got)
	}
	for path, want := range map[string]string{
		`services."style-transfer".variants.tensorflow.model`: "cue/services.cue:",
		// A schema default has no user position: the nearest ancestor's is used.
		`services."style-transfer".variantLabel`:           "cue/services.cue:",
		`environments.prod.services."ai-backend".replicas`: "cue/environments.cue:",
	} {
		if got := res.Positions.Lookup(path).String(); !strings.HasPrefix(got, want) {
			t.Errorf("Lookup(%s) = %s, want prefix %s", path, got, want)
		}
	}
}

// copyPlatform makes a scratch repository with the schemas and a platform
// whose file name is replaced by content.
func copyPlatform(t *testing.T, name, content string) string {
	t.Helper()
	dst := t.TempDir()
	for _, d := range []string{"schemas", "cue"} {
		err := filepath.Walk(filepath.Join(root(), d), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root(), p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "cue", name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestAllErrorsAtOnce(t *testing.T) {
	// Three independent errors in three fields. (CUE v0.17 does not report
	// a misspelt top-level field when a sibling field has an error, as
	// observed; it is reported once the others are fixed.)
	dir := copyPlatform(t, "broken.cue", "package platform\n\ngitops: interval: \"5 minutes\"\nmodels: Bad_Model: {}\nservices: \"ai-backend\": runAsUser: -5\n")
	_, err := load.Load(load.Options{Root: dir})
	l, ok := err.(diag.List)
	if !ok {
		t.Fatalf("err = %v (%T), want diag.List", err, err)
	}
	for _, d := range l {
		if !strings.HasPrefix(d.Pos.File, "cue/") || strings.Contains(d.Pos.File, "cue.mod/") {
			t.Errorf("primary position %s is not in the user's files: %s", d.Pos, d)
		}
		if d.Hint == "" {
			t.Errorf("no hint: %s", d)
		}
	}
	if len(l) < 3 {
		t.Fatalf("want ≥ 3 errors (interval, model name, runAsUser), got %d:\n%v", len(l), l)
	}
}

func TestMissingDirectory(t *testing.T) {
	_, err := load.Load(load.Options{Root: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "CUE directory") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkLoad loads the reference platform: module set-up, the
// evaluation with the schema, and the position index.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := load.Load(load.Options{Root: root()}); err != nil {
			b.Fatal(err)
		}
	}
}
