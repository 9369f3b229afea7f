package emit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	files := tree(map[string]string{"a.txt": "a", "sub/dir/b.txt": "b"})
	if err := Create(dir, files); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(got, files) {
		t.Fatalf("got %v", got.Paths())
	}
	// A second Create refuses and changes nothing.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	more := tree(map[string]string{"a.txt": "new", "c.txt": "c"})
	var ee *ExistsError
	if err := Create(dir, more); !errors.As(err, &ee) || len(ee.Paths) != 1 || ee.Paths[0] != "a.txt" {
		t.Fatalf("err = %v, want ExistsError for a.txt", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(data) != "mine" {
		t.Errorf("a.txt overwritten: %q", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("c.txt written despite the refusal")
	}
}

func TestCreateRollsBack(t *testing.T) {
	dir := t.TempDir()
	// "x/y" cannot be created because "x" will be a file.
	files := tree(map[string]string{"new/a.txt": "a", "x": "file", "x/y": "nested"})
	if err := Create(dir, files); err == nil {
		t.Fatal("Create succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestCreateRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{"../x", "/abs", "a/../../b", ""} {
		if err := Create(t.TempDir(), Tree{p: []byte("x")}); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	if err := Replace(dir, tree(map[string]string{"p/a.cue": "1"})); err != nil {
		t.Fatal(err)
	}
	if err := Replace(dir, tree(map[string]string{"p/a.cue": "2"})); err != nil {
		t.Fatal(err)
	}
	got, _ := ReadDir(dir)
	if !Equal(got, tree(map[string]string{"p/a.cue": "2"})) {
		t.Errorf("got %v", got)
	}
}
