package load

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimesh/aimesh/generator/diag"
)

func TestVet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  string // substring of the one diagnostic; "" = accepted
	}{
		{"regular", func(d string) error { return os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\n"), 0o644) }, ""},
		{"link inside", func(d string) error {
			if err := os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\n"), 0o644); err != nil {
				return err
			}
			return os.Symlink("a.cue", filepath.Join(d, "b.cue"))
		}, ""},
		{"link outside", func(d string) error { return os.Symlink("/etc/hostname", filepath.Join(d, "a.cue")) }, "outside the platform directory"},
		{"link to device", func(d string) error { return os.Symlink("/dev/null", filepath.Join(d, "a.cue")) }, "outside the platform directory"},
		{"fifo", func(d string) error { return syscall.Mkfifo(filepath.Join(d, "a.cue"), 0o644) }, "named pipe"},
		{"too large", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), append([]byte("package p\n"), make([]byte, MaxFileBytes)...), 0o644)
		}, "at most 4 MiB"},
		{"not utf-8", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\nx: \"\xff\"\n"), 0o644)
		}, "not valid UTF-8"},
		{"deep field chain", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\nx: "+strings.Repeat("a: ", 600)+"1\n"), 0o644)
		}, "nests more than 1000 levels deep"},
		{"field chain within the bound", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\nx: "+strings.Repeat("a: ", 400)+"1\n"), 0o644)
		}, ""},
		{"nul byte", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), []byte("package p\nx: 1\x00\n"), 0o644)
		}, "holds a NUL byte"},
		{"no package", func(d string) error { return os.WriteFile(filepath.Join(d, "a.cue"), []byte("x: 1\n"), 0o644) }, "no package clause"},
		{"embed", func(d string) error {
			return os.WriteFile(filepath.Join(d, "a.cue"), []byte("@extern(embed)\npackage p\n"), 0o644)
		}, "@extern is not allowed"},
		{"non-cue fifo ignored", func(d string) error { return syscall.Mkfifo(filepath.Join(d, "notes"), 0o644) }, ""},
		{"schema module import", func(d string) error {
			return writeModule(d, "package p\nimport \"aimesh.dev/schemas@v0\"\nschemas.#Platform\n")
		}, ""},
		{"vendored schema copy vetted", func(d string) error {
			if err := writeModule(d, "package p\nimport \"aimesh.dev/schemas@v0\"\nschemas.#Platform\n"); err != nil {
				return err
			}
			vendor := filepath.Join(d, "cue.mod", "pkg", "aimesh.dev", "schemas")
			if err := os.MkdirAll(vendor, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(vendor, "platform.cue"), []byte("package schemas\n#Platform: {}\n"), 0o644)
		}, ""},
		{"other module import", func(d string) error {
			return writeModule(d, "package p\nimport \"example.com/x@v0\"\nx.#Y\n")
		}, "package not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			_, err := vet(dir, dir)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("vet: %v", err)
				}
				return
			}
			var l diag.List
			if !errors.As(err, &l) || len(l) != 1 || !strings.Contains(l[0].Message, tc.want) || l[0].Pos.File != "a.cue" {
				t.Fatalf("vet = %v, want one diagnostic at a.cue containing %q", err, tc.want)
			}
		})
	}
}

func TestNewerVersion(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"v0.99.0", "v0.17.1", true}, {"v0.17.1", "v0.17.1", false}, {"v0.9.0", "v0.17.1", false}, {"v1.0.0-rc1", "v0.17.1", true}, {"junk", "v0.17.1", false}} {
		if got := newerVersion(tc.a, tc.b); got != tc.want {
			t.Errorf("newerVersion(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestEvaluationIsBounded(t *testing.T) {
	old := MaxEvalTime
	MaxEvalTime = 50 * time.Millisecond
	defer func() { MaxEvalTime = old }()
	_, err := bounded(Options{}, func(Options) (*Result, error) { time.Sleep(time.Second); return nil, nil })
	var l diag.List
	if !errors.As(err, &l) || !strings.Contains(l[0].Message, "took longer") || l[0].Pos.File != "cue/" {
		t.Fatalf("err = %v", err)
	}
	// Options replace the package's bound for one load, and the hint
	// names the flag that sets them.
	MaxEvalTime = old
	_, err = bounded(Options{MaxEvalTime: 50 * time.Millisecond}, func(Options) (*Result, error) { time.Sleep(time.Second); return nil, nil })
	if !errors.As(err, &l) || !strings.Contains(l[0].Message, "took longer than 50ms") || !strings.Contains(l[0].Hint, "--max-eval-time") {
		t.Fatalf("err = %v", err)
	}
	MaxEvalTime = 50 * time.Millisecond
	if _, err := bounded(Options{MaxEvalTime: time.Minute}, func(Options) (*Result, error) { time.Sleep(100 * time.Millisecond); return nil, nil }); err != nil {
		t.Fatalf("within the bound raised by Options: %v", err)
	}
	// With the platform's files at hand, the error points at the places
	// that can multiply values, in file and source order.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "cue"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"a.cue": "package p\n\nimport \"list\"\n\nx: [for i in list.Range(0, 300000, 1) {i}]\n",
		"b.cue": "package p\n\nimport \"strings\"\n\ny: strings.Repeat(\"a\", 3)\nz: 1\n",
	}
	for n, src := range files {
		if err := os.WriteFile(filepath.Join(root, "cue", n), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = bounded(Options{Root: root}, func(Options) (*Result, error) { time.Sleep(time.Second); return nil, nil })
	if !errors.As(err, &l) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range append([]diag.Pos{l[0].Pos}, l[0].Also...) {
		got = append(got, p.String())
	}
	if want := "cue/a.cue:5:5 cue/a.cue:5:14 cue/b.cue:5:4"; strings.Join(got, " ") != want {
		t.Errorf("positions %v, want %s", got, want)
	}
}

// writeModule writes a CUE module (cue.mod/module.cue) with a.cue.
func writeModule(dir, src string) error {
	if err := os.MkdirAll(filepath.Join(dir, "cue.mod"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cue.mod", "module.cue"), []byte("module: \"aimesh.dev/platform@v0\"\nlanguage: version: \"v0.17.1\"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "a.cue"), []byte(src), 0o644)
}

// TestEvaluationMemoryIsBounded: an evaluation whose heap grows past
// MaxEvalMemory is an error at the places that can multiply values, not a
// process the kernel kills.
func TestEvaluationMemoryIsBounded(t *testing.T) {
	if MaxEvalMemory < 1<<30 {
		t.Errorf("MaxEvalMemory = %d: less than the 1 GiB that 10,000 models take", MaxEvalMemory)
	}
	// The evaluation runs in a child process that exits right after
	// reporting, as the CLI does: the abandoned evaluation would go on in
	// this one. 100 strings of 1 MB, over a bound of 48 MiB above the heap
	// at start.
	if dir := os.Getenv("AIMESH_TEST_BOMB"); dir != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		MaxEvalMemory = ms.HeapAlloc + 48<<20
		_, err := Load(Options{Root: dir})
		fmt.Println(err)
		os.Exit(0)
	}
	dir := t.TempDir()
	copyDir(t, filepath.Join(repoRoot(t), "cue"), filepath.Join(dir, "cue"))
	copyDir(t, filepath.Join(repoRoot(t), "schemas"), filepath.Join(dir, "schemas"))
	bomb := "package platform\n\nimport (\n\t\"list\"\n\t\"strings\"\n)\n\n_many: [for i in list.Range(0, 100, 1) {strings.Repeat(\"x\", 1000000)}]\n"
	if err := os.WriteFile(filepath.Join(dir, "cue", "zz.cue"), []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEvaluationMemoryIsBounded$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AIMESH_TEST_BOMB="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cue/zz.cue:8:9") || !strings.Contains(string(out), "of memory") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
