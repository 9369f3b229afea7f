package emit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every file below dir (including hidden ones).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(data)
		}
		return nil
	})
	return out
}

func TestManifestRoundTrip(t *testing.T) {
	tr := tree(map[string]string{"a.yaml": "a\n", "sub/b.yaml": "b\n"})
	m, err := parseManifest(ManifestOf(tr).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, ManifestOf(tr)) {
		t.Fatalf("round trip: %v", m)
	}
	for _, bad := range []string{"xyz  a\n", hashOf(nil) + "  ../a\n", hashOf(nil) + "  /etc/passwd\n", hashOf(nil) + "  a\\b\n"} {
		if _, err := parseManifest([]byte(bad)); err == nil {
			t.Errorf("parseManifest(%q) accepted", bad)
		}
	}
}

func TestForeignFilesStopGeneration(t *testing.T) {
	out := t.TempDir()
	tr := tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 1\n"})
	if _, err := Write(out, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "prod", "README.md"), "mine")
	mustWrite(t, filepath.Join(out, "prod", "extra", "x.yaml"), "kind: Mine\n")
	before := snapshot(t, out)
	_, err := Write(out, tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 2\n"}), Options{Prune: true})
	var fe *ForeignFilesError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want ForeignFilesError", err)
	}
	if want := []string{"prod/README.md", "prod/extra/"}; !reflect.DeepEqual(fe.Files, want) {
		t.Errorf("files = %v, want %v", fe.Files, want)
	}
	if after := snapshot(t, out); !reflect.DeepEqual(before, after) {
		t.Error("a refused write changed the output directory")
	}
}

// TestEditedManifestOwnsNothing: a manifest that does not parse (edited to
// list a path outside its directory) makes the directory no one's: Write
// and GuardOut refuse it, whether it is generated or pruned, and the file
// it names survives; headers do not make it legacy-owned.
func TestEditedManifestOwnsNothing(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "overlays")
	tr := tree(map[string]string{"prod/a.yaml": Header("prod") + "a: 1\n", "dev/a.yaml": Header("dev") + "a: 1\n"})
	if _, err := Write(out, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "victim.txt")
	mustWrite(t, victim, "mine")
	man := filepath.Join(out, "prod", ManifestName)
	data, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, man, string(data)+hashOf([]byte("mine"))+"  ../../victim.txt\n")
	st, err := InspectEnv(filepath.Join(out, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Owned || st.Legacy || !strings.Contains(st.BadManifest, "../../victim.txt") || len(st.Foreign) != 0 {
		t.Fatalf("state of an edited manifest: %+v", st)
	}
	var me *ManifestError
	if _, err := Write(out, tr, Options{}); !errors.As(err, &me) {
		t.Errorf("Write over an edited manifest: %v, want a ManifestError", err)
	}
	devOnly := tree(map[string]string{"dev/a.yaml": Header("dev") + "a: 2\n"})
	if _, err := Write(out, devOnly, Options{Prune: true}); err != nil {
		t.Errorf("Write pruning: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "prod", "a.yaml")); err != nil {
		t.Errorf("the directory of an edited manifest was pruned: %v", err)
	}
	if err := GuardOut(out, root, []string{"dev"}); !errors.As(err, &me) {
		t.Errorf("GuardOut: %v, want a ManifestError", err)
	}
	if err := GuardOut(out, root, []string{"dev", "prod"}); err != nil {
		t.Errorf("GuardOut generating prod: %v (Write reports it)", err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "mine" {
		t.Errorf("victim: %q, %v", b, err)
	}
}

func TestPruneRefusesForeignFiles(t *testing.T) {
	out := t.TempDir()
	if _, err := Write(out, tree(map[string]string{"qa/a.yaml": "a\n", "prod/a.yaml": "a\n"}), Options{}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "qa", "notes.txt"), "mine")
	_, err := Write(out, tree(map[string]string{"prod/a.yaml": "a\n"}), Options{Prune: true})
	var fe *ForeignFilesError
	if !errors.As(err, &fe) || len(fe.Files) != 1 || fe.Files[0] != "qa/notes.txt" {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "qa", "notes.txt")); err != nil {
		t.Fatal(err)
	}
}

func TestHandEditReportedAndOverwritten(t *testing.T) {
	out := t.TempDir()
	tr := tree(map[string]string{"prod/a.yaml": "a\n"})
	if _, err := Write(out, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "prod", "a.yaml"), "edited\n")
	st, err := InspectEnv(filepath.Join(out, "prod"))
	if err != nil || !st.Owned || len(st.Edited) != 1 || st.Edited[0] != "a.yaml" {
		t.Fatalf("InspectEnv = %+v, %v", st, err)
	}
	res, err := Write(out, tr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Overwritten) != 1 || res.Overwritten[0] != "prod/a.yaml" {
		t.Errorf("Overwritten = %v", res.Overwritten)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "prod", "a.yaml")); string(data) != "a\n" {
		t.Errorf("a.yaml = %q", data)
	}
}

func TestLegacyGeneratedDirIsOwned(t *testing.T) {
	out := t.TempDir()
	mustWrite(t, filepath.Join(out, "prod", "ack", "a.yaml"), Header("prod")+"a: 1\n")
	st, err := InspectEnv(filepath.Join(out, "prod"))
	if err != nil || !st.Owned || !st.Legacy {
		t.Fatalf("legacy dir: %+v %v", st, err)
	}
	mustWrite(t, filepath.Join(out, "prod", "mine.yaml"), "kind: Mine\n")
	st, _ = InspectEnv(filepath.Join(out, "prod"))
	if st.Owned || len(st.Foreign) != 1 {
		t.Fatalf("dir with a user file: %+v", st)
	}
}

func TestGuardOut(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cue", "schemas", ".git"} {
		mustWrite(t, filepath.Join(root, d, "x"), "x")
	}
	mustWrite(t, filepath.Join(root, "overlays", "prod", "a.yaml"), Header("prod")+"a: 1\n")
	mustWrite(t, filepath.Join(root, "foreign", "docs", "x.md"), "mine")
	mustWrite(t, filepath.Join(root, "owned", "prod", "a.yaml"), Header("prod")+"a: 1\n")
	mustWrite(t, filepath.Join(root, "loose", "README.md"), "mine")
	for _, tc := range []struct {
		out string
		ok  bool
	}{
		{root, false},
		{filepath.Dir(root), false},
		{"/", false},
		{filepath.Join(root, "cue"), false},
		{filepath.Join(root, "cue", "out"), false},
		{filepath.Join(root, "foreign"), false},
		{filepath.Join(root, "loose"), false},
		{filepath.Join(root, "cue", ".."), false},
		{filepath.Join(root, "overlays"), true},
		{filepath.Join(root, "owned"), true},
		{filepath.Join(root, "new", "dir"), true},
	} {
		err := GuardOut(tc.out, root, []string{"prod"})
		var oe *OutError
		if tc.ok != (err == nil) || (err != nil && !errors.As(err, &oe)) {
			t.Errorf("GuardOut(%s) = %v, want ok=%v", tc.out, err, tc.ok)
		}
	}
}

func TestRecoverAllEnvs(t *testing.T) {
	out := t.TempDir()
	mustWrite(t, filepath.Join(out, oldPrefix+"qa", "f"), Header("qa")+"old")
	mustWrite(t, filepath.Join(out, newPrefix+"dev", "f"), Header("dev")+"partial")
	if got := Interrupted(out); !reflect.DeepEqual(got, []string{"dev", "qa"}) {
		t.Fatalf("Interrupted = %v", got)
	}
	if _, err := Write(out, tree(map[string]string{"prod/a": "a\n"}), Options{}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "qa", "f")); string(data) != Header("qa")+"old" {
		t.Error("interrupted swap of another environment not rolled back")
	}
	if got := Interrupted(out); len(got) != 0 {
		t.Errorf("left: %v", got)
	}
}

func TestFailedWriteRemovesPartialTree(t *testing.T) {
	out := t.TempDir()
	if _, err := Write(out, tree(map[string]string{"prod/a": "a\n"}), Options{}); err != nil {
		t.Fatal(err)
	}
	// A file where a directory must go makes the write fail midway.
	bad := tree(map[string]string{"prod/a": "b\n", "prod/x": "x\n", "prod/x/y": "y\n"})
	if _, err := Write(out, bad, Options{}); err == nil {
		t.Fatal("write succeeded")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "prod" {
		t.Errorf("entries after a failed write: %v", entries)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "prod", "a")); string(data) != "a\n" {
		t.Error("old tree damaged")
	}
}

// Concurrent writes to one directory serialise: every run succeeds and the
// result is exactly one of the trees, never a mix.
func TestConcurrentWritesSerialise(t *testing.T) {
	out := t.TempDir()
	trees := []Tree{
		tree(map[string]string{"prod/a": "1\n", "prod/b": "1\n"}),
		tree(map[string]string{"prod/a": "2\n", "prod/c": "2\n"}),
		tree(map[string]string{"prod/d": "3\n"}),
	}
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = Write(out, trees[i%len(trees)], Options{})
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := ReadDir(filepath.Join(out, "prod"))
		if err != nil {
			t.Fatal(err)
		}
		match := false
		for _, tr := range trees {
			want := Tree{}
			for p, d := range tr {
				want[p[len("prod/"):]] = d
			}
			match = match || Equal(got, want)
		}
		if !match {
			t.Fatalf("round %d: mixed tree %v", round, got.Paths())
		}
		if st, _ := InspectEnv(filepath.Join(out, "prod")); len(st.Foreign)+len(st.Edited)+len(st.Missing) != 0 {
			t.Fatalf("round %d: manifest disagrees: %+v", round, st)
		}
	}
}

func TestReadRegular(t *testing.T) {
	d := t.TempDir()
	mustWrite(t, filepath.Join(d, "file"), "data")
	if err := os.Symlink("file", filepath.Join(d, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(d, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		notExist   bool
	}{
		{"file", "", false},
		{"link", "symbolic link", false},
		{"dir", "not a regular file", false},
		{"missing", "", true},
	} {
		data, err := readRegular(filepath.Join(d, c.name))
		switch {
		case c.notExist:
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: %v, want not-exist", c.name, err)
			}
		case c.want == "":
			if err != nil || string(data) != "data" {
				t.Errorf("%s: %q, %v", c.name, data, err)
			}
		case err == nil || !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
