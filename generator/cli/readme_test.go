package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeSchemaError keeps the README's example of a schema error the
// real output: the exposure host "api.123" added to the reference app.
// The schema's line numbers in it move with every schema change;
// AIMESH_UPDATE=1 rewrites the block.
func TestReadmeSchemaError(t *testing.T) {
	root := repoRoot(t)
	work := t.TempDir()
	if err := copyTree(filepath.Join(root, "cue"), filepath.Join(work, "cue")); err != nil {
		t.Fatal(err)
	}
	svc := filepath.Join(work, "cue", "services.cue")
	src, err := os.ReadFile(svc)
	if err != nil {
		t.Fatal(err)
	}
	const at = "ports: [8000, 80]\n"
	if bytes.Count(src, []byte(at)) != 1 {
		t.Fatalf("services.cue no longer holds %q once", at)
	}
	src = bytes.Replace(src, []byte(at), []byte(at+"\t\t\thosts: [\"api.123\"]\n"), 1)
	if err := os.WriteFile(svc, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := MainIn(work, []string{"generate", "--all"}, &stdout, &stderr); code != ExitInvalid {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitInvalid, stderr.String())
	}
	got, _, _ := strings.Cut(stderr.String(), "aimesh: 1 error(s)")
	if !strings.Contains(got, `exposure.hosts.0: invalid value "api.123"`) {
		t.Fatalf("unexpected error:\n%s", stderr.String())
	}

	readme := filepath.Join(root, "README.md")
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	marker := []byte(`exposure.hosts.0: invalid value "api.123"`)
	i := bytes.Index(doc, marker)
	if i < 0 {
		t.Fatal("README.md has no example of the api.123 host error")
	}
	start := bytes.LastIndex(doc[:i], []byte("```\n")) + len("```\n")
	end := start + bytes.Index(doc[start:], []byte("```"))
	if string(doc[start:end]) == got {
		return
	}
	if !updating() {
		t.Errorf("README.md's example differs from the output (AIMESH_UPDATE=1 rewrites it):\n--- README\n%s--- output\n%s", doc[start:end], got)
		return
	}
	out := append(append(append([]byte{}, doc[:start]...), got...), doc[end:]...)
	if err := os.WriteFile(readme, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
