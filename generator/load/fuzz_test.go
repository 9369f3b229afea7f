package load

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/aimesh/aimesh/generator/diag"
)

func repoRoot(tb testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// copyDir copies the regular files below src to dst.
func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

var replaceLine = regexp.MustCompile(`^replace (cue/[^ ]+) '([^']*)' '([^']*)'$`)

// fuzzSeeds are the platform's own files and every variant the golden
// error cases make of them (their replace commands and .cue files).
func fuzzSeeds(tb testing.TB, root string) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join(root, "cue", "*.cue"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	for _, dir := range []string{"errors", "safety", "checks"} {
		archives, _ := filepath.Glob(filepath.Join(root, "golden", dir, "*.txtar"))
		for _, a := range archives {
			ar, err := txtar.ParseFile(a)
			if err != nil {
				tb.Fatal(err)
			}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				m := replaceLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				data, err := os.ReadFile(filepath.Join(root, m[1]))
				if err != nil {
					continue
				}
				un := strings.NewReplacer(`\n`, "\n", `\t`, "\t")
				seeds = append(seeds, []byte(strings.Replace(string(data), un.Replace(m[2]), un.Replace(m[3]), 1)))
			}
			for _, f := range ar.Files {
				if strings.HasSuffix(f.Name, ".cue") {
					seeds = append(seeds, f.Data)
				}
			}
		}
	}
	return seeds
}

// FuzzLoad loads the reference platform with cue/models.cue replaced by
// arbitrary bytes. Whatever the bytes, Load must not panic, must answer
// invalid input with diagnostics (never an "internal" error), and every
// positioned diagnostic must point into the repository.
func FuzzLoad(f *testing.F) {
	root := repoRoot(f)
	for _, s := range fuzzSeeds(f, root) {
		f.Add(s)
	}
	dir := f.TempDir()
	copyDir(f, filepath.Join(root, "cue"), filepath.Join(dir, "cue"))
	copyDir(f, filepath.Join(root, "schemas"), filepath.Join(dir, "schemas"))
	target := filepath.Join(dir, "cue", "models.cue")
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		if err := os.WriteFile(target, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(Options{Root: dir})
		if err == nil {
			return
		}
		var l diag.List
		if !errors.As(err, &l) {
			if strings.Contains(err.Error(), "internal") || strings.Contains(err.Error(), "goroutine ") {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		for _, d := range l {
			if d.Message == "" {
				t.Fatalf("empty diagnostic: %+v", d)
			}
			if d.Pos.IsValid() && (strings.HasPrefix(d.Pos.File, "/") || strings.HasPrefix(d.Pos.File, "..")) {
				t.Fatalf("position outside the repository: %s", d)
			}
		}
	})
}
