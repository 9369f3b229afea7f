package schemas_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/schemas"
)

// TestVendoredCopy keeps cue/cue.mod/pkg/aimesh.dev/schemas, the copy the
// bundled platform imports (as every user repository does), identical to
// schemas/. AIMESH_UPDATE=1 rewrites the copy; make regen-check then fails
// when that changed a committed file.
func TestVendoredCopy(t *testing.T) {
	dir := filepath.Join("..", "cue", "cue.mod", "pkg", filepath.FromSlash(schemas.Module))
	want := schemas.Files()
	if os.Getenv("AIMESH_UPDATE") == "1" {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if _, ok := want[e.Name()]; !ok {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
		for n, data := range want {
			if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%s holds %d files, schemas/ %d (AIMESH_UPDATE=1 go test ./schemas refreshes it)", dir, len(entries), len(want))
	}
	for _, e := range entries {
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[e.Name()]) {
			t.Errorf("%s/%s differs from schemas/%s (AIMESH_UPDATE=1 go test ./schemas refreshes it)", dir, e.Name(), e.Name())
		}
	}
}

// TestVersion: the module path, the Go constants and #SchemaVersion agree
// on the major version.
func TestVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("cue.mod", "module.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), `module: "`+schemas.ImportPath+`"`) {
		t.Errorf("cue.mod/module.cue does not declare module %s", schemas.ImportPath)
	}
	v := schemas.Version()
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(v) || !strings.HasPrefix(v, schemas.Major+".") {
		t.Errorf("#SchemaVersion %q is not a %s.x.y version", v, schemas.Major)
	}
	changelog, err := os.ReadFile(filepath.Join("..", "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(changelog), "schema "+v) {
		t.Errorf("CHANGELOG.md has no entry for schema %s", v)
	}
}

func TestParseVersion(t *testing.T) {
	for src, want := range map[string]string{
		"package schemas\n#SchemaVersion: \"v1.2.3\"\n": "v1.2.3",
		"#SchemaVersion:   \"v0.10.0\"":                 "v0.10.0",
		"#SchemaVersion: \"1.2.3\"":                     "",
		"":                                              "",
	} {
		if got := schemas.ParseVersion([]byte(src)); got != want {
			t.Errorf("ParseVersion(%q) = %q, want %q", src, got, want)
		}
	}
}
