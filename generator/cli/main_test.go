package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/aimesh/aimesh/generator/emit"
)

var update = flag.Bool("update", false, "rewrite golden files and txtar expectations")

// updating reports whether goldens are to be rewritten (-update or AIMESH_UPDATE=1).
func updating() bool { return *update || os.Getenv("AIMESH_UPDATE") == "1" }

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"aimesh-bin": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// repoRoot is the repository root (two levels above this package).
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// copyTree copies src into dst, skipping files that already exist in dst
// (a script's own files override the repository's).
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			if strings.HasPrefix(info.Name(), ".aimesh-") {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if _, err := os.Stat(target); err == nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// scriptParams sets up every script with a copy of the repository's
// platform (cue/, schemas/) and committed overlays/ under $WORK, unless the
// script brings its own files, and registers the in-process commands:
//
//	aimesh ARGS...        run cli.MainIn($PWD, ARGS); records $EXIT
//	exitcode N            the last aimesh exit code was N
//	overlays-unchanged    $WORK/overlays is byte-identical to the repository's
//	replace FILE OLD NEW  replace the one occurrence of OLD in FILE
func scriptParams(t *testing.T, dir string) testscript.Params {
	root := repoRoot(t)
	return testscript.Params{
		Dir:                 dir,
		UpdateScripts:       updating(),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, d := range []string{"cue", "schemas", "overlays"} {
				if err := copyTree(filepath.Join(root, d), filepath.Join(env.WorkDir, d)); err != nil {
					return err
				}
			}
			env.Setenv("REPO", root)
			models := filepath.Join(root, "..", "shared", "models")
			if _, err := os.Stat(models); err != nil {
				// A git worktree one level deeper (wt/<name>).
				models = filepath.Join(root, "..", "..", "shared", "models")
			}
			env.Setenv("MODELS", models)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"aimesh": func(ts *testscript.TestScript, neg bool, args []string) {
				code := MainIn(ts.MkAbs("."), args, ts.Stdout(), ts.Stderr())
				ts.Setenv("EXIT", strconv.Itoa(code))
				if neg && code == 0 {
					ts.Fatalf("aimesh succeeded unexpectedly")
				}
				if !neg && code != 0 {
					ts.Fatalf("aimesh exited %d", code)
				}
			},
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: exitcode N")
				}
				if got := ts.Getenv("EXIT"); (got == args[0]) == neg {
					ts.Fatalf("exit code %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
				}
			},
			"overlays-unchanged": func(ts *testscript.TestScript, neg bool, args []string) {
				want, err := emit.ReadDir(filepath.Join(root, "overlays"))
				ts.Check(err)
				got, err := emit.ReadDir(ts.MkAbs("overlays"))
				ts.Check(err)
				if emit.Equal(want, got) == neg {
					ts.Fatalf("overlays/ changed: %s", firstDifference(want, got))
				}
			},
			// snapshot records every file and link below $WORK (hidden
			// ones included); unchanged fails if any byte changed since.
			"snapshot": func(ts *testscript.TestScript, neg bool, args []string) {
				snapshots.Store(ts.Getenv("WORK"), treeSnapshot(ts, ts.Getenv("WORK")))
			},
			"unchanged": func(ts *testscript.TestScript, neg bool, args []string) {
				before, ok := snapshots.Load(ts.Getenv("WORK"))
				if !ok {
					ts.Fatalf("unchanged without snapshot")
				}
				if diff := cmp.Diff(before, treeSnapshot(ts, ts.Getenv("WORK"))); (diff == "") == neg {
					ts.Fatalf("files below $WORK changed:\n%s", diff)
				}
			},
			// owned-consistent DIR: every environment directory in DIR
			// matches its ownership manifest (never a mixed tree).
			"owned-consistent": func(ts *testscript.TestScript, neg bool, args []string) {
				entries, err := os.ReadDir(ts.MkAbs(args[0]))
				ts.Check(err)
				for _, e := range entries {
					if !e.IsDir() {
						continue
					}
					if strings.HasPrefix(e.Name(), ".") {
						ts.Fatalf("swap directory left: %s", e.Name())
					}
					st, err := emit.InspectEnv(filepath.Join(ts.MkAbs(args[0]), e.Name()))
					ts.Check(err)
					if st.Manifest == nil || len(st.Foreign)+len(st.Edited)+len(st.Missing) > 0 {
						ts.Fatalf("%s is not a complete generated tree: %+v", e.Name(), st)
					}
				}
			},
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				f := ts.MkAbs(args[0])
				data, err := os.ReadFile(f)
				ts.Check(err)
				old, repl := unquote(args[1]), unquote(args[2])
				if n := bytes.Count(data, []byte(old)); n != 1 {
					ts.Fatalf("replace: %q occurs %d times in %s, want once", old, n, args[0])
				}
				ts.Check(os.WriteFile(f, bytes.Replace(data, []byte(old), []byte(repl), 1), 0o644))
			},
		},
	}
}

var snapshots sync.Map

func treeSnapshot(ts *testscript.TestScript, dir string) map[string]string {
	out, err := readTree(dir)
	ts.Check(err)
	return out
}

// readTree reads every entry below dir without following links or opening
// anything but regular files: file contents, link targets, and the mode of
// directories and special files.
func readTree(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(data)
		case info.IsDir():
			out[rel+"/"] = info.Mode().String()
		default:
			out[rel] = info.Mode().String()
		}
		return nil
	})
	return out, err
}

// unquote turns the two-character sequences \n and \t into newline and tab.
func unquote(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}

func firstDifference(a, b emit.Tree) string {
	for _, p := range a.Paths() {
		if d, ok := b[p]; !ok {
			return p + " removed"
		} else if !bytes.Equal(d, a[p]) {
			return p + " changed"
		}
	}
	for _, p := range b.Paths() {
		if _, ok := a[p]; !ok {
			return p + " added"
		}
	}
	return "no difference"
}

// TestErrors runs golden/errors: invalid input, each asserting the exact
// message and position, exit code 1 and untouched overlays/.
func TestErrors(t *testing.T) {
	testscript.Run(t, scriptParams(t, filepath.Join(repoRoot(t), "golden", "errors")))
}

// TestCLI runs golden/cli: the commands' behaviour on valid input.
func TestCLI(t *testing.T) {
	testscript.Run(t, scriptParams(t, filepath.Join(repoRoot(t), "golden", "cli")))
}

// TestSafety runs golden/safety: hostile output directories, user files,
// hand edits, concurrent runs, hostile input files and values.
func TestSafety(t *testing.T) {
	testscript.Run(t, scriptParams(t, filepath.Join(repoRoot(t), "golden", "safety")))
}

// TestChecks runs golden/checks: the safety and capacity rules (C1-C20),
// each with negative and positive cases.
func TestChecks(t *testing.T) {
	testscript.Run(t, scriptParams(t, filepath.Join(repoRoot(t), "golden", "checks")))
}
