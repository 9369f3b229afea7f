package emit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func tree(files map[string]string) Tree {
	t := Tree{}
	for p, c := range files {
		t[p] = []byte(c)
	}
	return t
}

func TestWriteReplacesAndPrunes(t *testing.T) {
	out := t.TempDir()
	first := tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 1\n", "prod/sub/b.yaml": Header("prod") + "b: 1\n",
		"old/x.yaml": Header("old") + "x: 1\n"})
	if _, err := Write(out, first, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "handwritten"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "handwritten", "h.yaml"), []byte("kind: Mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 2\n"})
	if _, err := Write(out, second, Options{Prune: true}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(filepath.Join(out, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(got, tree(map[string]string{"a.yaml": Header("prod") + "a: 2\n"})) {
		t.Fatalf("prod = %v", got.Paths())
	}
	for _, p := range []string{"keep.txt", "handwritten/h.yaml"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s was touched: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "old")); !os.IsNotExist(err) {
		t.Errorf("generated dir of a removed environment survived --all: %v", err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name()[0] == '.' {
			t.Errorf("swap directory left behind: %s", e.Name())
		}
	}
}

func TestWriteUnchangedKeepsFiles(t *testing.T) {
	out := t.TempDir()
	tr := tree(map[string]string{"dev/a.yaml": "a: 1\n"})
	if _, err := Write(out, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(filepath.Join(out, "dev", "a.yaml"))
	if _, err := Write(out, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(filepath.Join(out, "dev", "a.yaml"))
	if !os.SameFile(before, after) {
		t.Error("an unchanged environment was rewritten")
	}
}

func TestRecover(t *testing.T) {
	for _, tc := range []struct {
		name          string
		dir, old, new bool
		wantDir       string // content of <env>/f after recovery, "" = absent
	}{
		{"crashed between renames", false, true, true, "old"},
		{"crashed before cleanup", true, true, false, "cur"},
		{"crashed while writing new", true, false, true, "cur"},
		{"clean", true, false, false, "cur"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			mk := func(d, content string) {
				if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
					t.Fatal(err)
				}
				// What an interrupted run leaves: files with the header.
				if err := os.WriteFile(filepath.Join(out, d, "f"), []byte(Header("prod")+content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.dir {
				mk("prod", "cur")
			}
			if tc.old {
				mk(oldPrefix+"prod", "old")
			}
			if tc.new {
				mk(newPrefix+"prod", "new")
			}
			if err := Recover(out, "prod"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(out, "prod", "f"))
			if string(got) != Header("prod")+tc.wantDir {
				t.Errorf("prod/f = %q, want %q", got, tc.wantDir)
			}
			for _, d := range []string{oldPrefix + "prod", newPrefix + "prod"} {
				if _, err := os.Stat(filepath.Join(out, d)); !os.IsNotExist(err) {
					t.Errorf("%s survived", d)
				}
			}
		})
	}
}

// TestRecoverKeepsWhatItDidNotWrite: a name with aimesh's swap prefix can
// come from a pull request; what aimesh did not write under it (a file
// without the header, a link, a plain file) is refused, never removed or
// renamed into place.
func TestRecoverKeepsWhatItDidNotWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, out, outside string)
		keep  string // a path below out that must survive
	}{
		{"user file in a new tree", func(t *testing.T, out, _ string) {
			mustWrite(t, filepath.Join(out, newPrefix+"prod", "a.yaml"), Header("prod")+"a: 1\n")
			mustWrite(t, filepath.Join(out, newPrefix+"prod", "notes.md"), "mine")
		}, newPrefix + "prod/notes.md"},
		{"user file in an old tree", func(t *testing.T, out, _ string) {
			mustWrite(t, filepath.Join(out, oldPrefix+"prod", "notes.md"), "mine")
		}, oldPrefix + "prod/notes.md"},
		{"link as the old tree", func(t *testing.T, out, outside string) {
			if err := os.Symlink(outside, filepath.Join(out, oldPrefix+"prod")); err != nil {
				t.Fatal(err)
			}
		}, oldPrefix + "prod"},
		{"plain file as the new tree", func(t *testing.T, out, _ string) {
			mustWrite(t, filepath.Join(out, newPrefix+"prod"), "mine")
		}, newPrefix + "prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, outside := t.TempDir(), t.TempDir()
			mustWrite(t, filepath.Join(outside, "f"), "outside")
			tc.setup(t, out, outside)
			var fe *ForeignFilesError
			if err := Recover(out, "prod"); !errors.As(err, &fe) {
				t.Errorf("Recover: %v, want a ForeignFilesError", err)
			}
			if _, err := Write(out, tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 2\n"}), Options{}); !errors.As(err, &fe) {
				t.Errorf("Write: %v, want a ForeignFilesError", err)
			}
			if _, err := os.Lstat(filepath.Join(out, tc.keep)); err != nil {
				t.Errorf("%s: %v", tc.keep, err)
			}
			if _, err := os.Lstat(filepath.Join(out, "prod")); !os.IsNotExist(err) {
				t.Errorf("prod was created: %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(outside, "f")); err != nil || string(b) != "outside" {
				t.Errorf("outside: %q, %v", b, err)
			}
		})
	}
}

func TestTreeSetRefusesCollisions(t *testing.T) {
	tr := Tree{}
	if err := tr.Set("a", nil); err != nil {
		t.Fatal(err)
	}
	if err := tr.Set("a", nil); err == nil {
		t.Fatal("second Set of the same path succeeded")
	}
}

// TestWriteTreeCreatesOnly: a tree is written into a directory of its
// own, creating every directory and file; a file that is already there,
// or a symbolic link in its place, is an error, never written through.
func TestWriteTreeCreatesOnly(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	tr := Tree{"prod/ack/apps/shard-000/resources.yaml": big, "prod/ack/apps/shard-000/kustomization.yaml": []byte("k"),
		"prod/ack/platform/kustomization.yaml": []byte(""), "prod/gitops/kustomization.yaml": []byte("g")}
	dir := filepath.Join(t.TempDir(), "new")
	if err := writeTree(dir, tr, []byte("manifest")); err != nil {
		t.Fatal(err)
	}
	for p, want := range tr {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want %d", p, len(got), err, len(want))
		}
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (%v)", p, fi.Mode(), err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, ManifestName)); string(got) != "manifest" {
		t.Errorf("manifest = %q", got)
	}
	if err := writeTree(dir, tr, nil); err == nil {
		t.Error("writeTree wrote into a directory that exists")
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.Symlink(victim, f); err != nil {
		t.Fatal(err)
	}
	if err := createFile(f, []byte("x")); err == nil {
		t.Error("createFile wrote through a symbolic link")
	}
	if err := createFile(victim, []byte("x")); err == nil {
		t.Error("createFile overwrote a file")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Errorf("victim = %q", got)
	}
}
