package diff

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
)

// gitEnv makes git usable in a hermetic test: a fixed identity, no user or
// system configuration.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=aimesh", "GIT_AUTHOR_EMAIL=aimesh@example.invalid",
	"GIT_COMMITTER_NAME=aimesh", "GIT_COMMITTER_EMAIL=aimesh@example.invalid",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
}

func runGit(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), gitEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// commitFiles creates a git repository in a temporary directory holding
// files (path relative to the repository → content), committed once.
func commitFiles(t testing.TB, files map[string][]byte) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "init", "-q")
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "base")
	return dir
}

// checkedOut lists the files below dir, slash-separated and relative to it.
func checkedOut(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const moduleCUE = "module: \"example.com/platform@v0\"\nlanguage: version: \"v0.17.1\"\n"

// Checkout writes what the loader reads (.cue files outside hidden and _
// directories, cue.mod/module.cue included) and nothing else: a large
// file the loader never reads is not even read from git.
func TestCheckoutWritesWhatTheLoaderReads(t *testing.T) {
	big := bytes.Repeat([]byte{0}, load.MaxFileBytes+1<<20)
	root := commitFiles(t, map[string][]byte{
		"cue/a.cue":               []byte("package platform\n"),
		"cue/sub/b.cue":           []byte("package sub\n"),
		"cue/cue.mod/module.cue":  []byte(moduleCUE),
		"cue/big.bin":             big,
		"cue/README.md":           []byte("# platform\n"),
		"cue/.hidden.cue":         big,
		"cue/_scratch/big.cue":    big,
		"cue/sub/.git-keep/x.cue": big,
		"other/c.cue":             []byte("package other\n"),
	})
	dst := t.TempDir()
	if err := Checkout(root, "HEAD", dst, "cue"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkedOut(t, dst), " ")
	if want := "cue/a.cue cue/cue.mod/module.cue cue/sub/b.cue"; got != want {
		t.Errorf("checked out %s, want %s", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dst, "cue", "a.cue"))
	if err != nil || string(data) != "package platform\n" {
		t.Errorf("cue/a.cue: %q, %v", data, err)
	}
}

// A .cue file, a number of files or a total size the loader would refuse
// is refused before anything is read from git, naming the path at the
// ref and the limit.
func TestCheckoutLimits(t *testing.T) {
	maxFile := bytes.Repeat([]byte("\n"), load.MaxFileBytes)
	many := map[string][]byte{"cue/cue.mod/module.cue": []byte(moduleCUE)}
	for i := 0; i < load.MaxFiles; i++ {
		many[fmt.Sprintf("cue/f%04d.cue", i)] = []byte("package platform\n")
	}
	heavy := map[string][]byte{}
	for i := 0; i <= load.MaxTotalBytes/load.MaxFileBytes; i++ {
		heavy[fmt.Sprintf("cue/f%d.cue", i)] = maxFile
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"large .cue file", map[string][]byte{
			"cue/a.cue":   []byte("package platform\n"),
			"cue/big.cue": bytes.Repeat([]byte("\n"), 5<<20),
		}, "cue/big.cue at HEAD: file of 5242880 bytes; aimesh reads files of at most 4 MiB"},
		{"large module file", map[string][]byte{
			"cue/a.cue":              []byte("package platform\n"),
			"cue/cue.mod/module.cue": bytes.Repeat([]byte("\n"), load.MaxFileBytes+1),
		}, "cue/cue.mod/module.cue at HEAD: file of 4194305 bytes; aimesh reads files of at most 4 MiB"},
		{"too many files", many, "cue at HEAD holds more than 4096 .cue files; aimesh reads at most 4096"},
		{"too many bytes", heavy, "the .cue files below cue at HEAD exceed 32 MiB together; aimesh reads at most that"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := commitFiles(t, tc.files)
			dst := t.TempDir()
			err := Checkout(root, "HEAD", dst, "cue")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if files := checkedOut(t, dst); len(files) > 0 {
				t.Errorf("files written before the refusal: %d (%s…)", len(files), files[0])
			}
		})
	}
}

// Exactly at the limits is accepted.
func TestCheckoutAtLimits(t *testing.T) {
	root := commitFiles(t, map[string][]byte{
		"cue/a.cue":   []byte("package platform\n"),
		"cue/max.cue": bytes.Repeat([]byte("\n"), load.MaxFileBytes),
	})
	dst := t.TempDir()
	if err := Checkout(root, "HEAD", dst, "cue"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dst, "cue", "max.cue"))
	if err != nil || st.Size() != load.MaxFileBytes {
		t.Fatalf("cue/max.cue: %v, %v", st, err)
	}
}

// A directory holding no .cue file at the ref exists in the checkout, so
// that the loader says what is wrong with it.
func TestCheckoutDirWithoutCUE(t *testing.T) {
	root := commitFiles(t, map[string][]byte{"cue/README.md": []byte("# platform\n")})
	dst := t.TempDir()
	if err := Checkout(root, "HEAD", dst, "cue"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dst, "cue")); err != nil || !st.IsDir() {
		t.Fatalf("cue/: %v, %v", st, err)
	}
	if err := Checkout(root, "HEAD", dst, "missing"); err == nil || err.Error() != "missing does not exist at HEAD" {
		t.Fatalf("error %v", err)
	}
}
