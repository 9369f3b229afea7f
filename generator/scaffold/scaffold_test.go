package scaffold_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/scaffold"
)

func TestFiles(t *testing.T) {
	for _, tmpl := range scaffold.Templates {
		t.Run(tmpl, func(t *testing.T) {
			files, err := scaffold.Files(tmpl, "v9.9.9")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"cue/schema.cue", "cue/cue.mod/module.cue", "cue/cue.mod/pkg/aimesh.dev/schemas/platform.cue",
				"cue/cue.mod/pkg/aimesh.dev/schemas/version.cue", ".gitignore", ".github/workflows/aimesh.yaml", ".gitlab-ci.yml", "README.md"} {
				if _, ok := files[p]; !ok {
					t.Errorf("no %s", p)
				}
			}
			for p, data := range files {
				if bytes.Contains(data, []byte(scaffold.VersionPlaceholder)) {
					t.Errorf("%s keeps the placeholder %s", p, scaffold.VersionPlaceholder)
				}
			}
			if !bytes.Contains(files[".github/workflows/aimesh.yaml"], []byte(`AIMESH_VERSION: "v9.9.9"`)) {
				t.Errorf("the workflow does not pin the aimesh version")
			}
		})
	}
	if _, err := scaffold.Files("nope", "latest"); err == nil {
		t.Error("unknown template accepted")
	}
}

// The example is the repository's cue/ itself, not a copy that can drift.
func TestExampleIsTheReferencePlatform(t *testing.T) {
	files, err := scaffold.Files(scaffold.StyleTransfer, "latest")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, data := range files {
		rel, ok := strings.CutPrefix(p, "cue/")
		if !ok {
			continue
		}
		n++
		want, err := os.ReadFile(filepath.Join("..", "..", "cue", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s differs from the repository's cue/%s", p, rel)
		}
	}
	if n < 7 {
		t.Errorf("only %d cue/ files", n)
	}
}
