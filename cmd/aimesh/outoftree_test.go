package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestOutOfTree is the new user's path: the built binary alone, in an empty
// directory outside the source tree: init → generate --all → kustomize
// build of every root → cue vet ./... (the pinned cue CLI, offline); a
// second init refuses and changes nothing; an out-of-range port fails both
// cue vet and aimesh vet with file:line:col.
func TestOutOfTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cueBin := filepath.Join(cacheDir(t), "bin", "cue")
	if _, err := os.Stat(cueBin); err != nil {
		t.Skipf("the pinned cue CLI is not installed (%v): run ./hack/tools.sh", err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "aimesh")
	// Not -trimpath: that would rebuild every dependency outside the test cache.
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	repo := filepath.Join(tmp, "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, wantCode int, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CUE_REGISTRY=none")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		if code != wantCode {
			t.Fatalf("%s %s: exit %d, want %d\n%s", filepath.Base(name), strings.Join(args, " "), code, wantCode, out.String())
		}
		return out.String()
	}

	out := run(repo, 0, bin, "version")
	for _, mod := range []string{"cuelang.org/go", "sigs.k8s.io/kustomize/api", "k8s.io/api", "istio.io/api"} {
		want := mod + " " + goModVersion(t, mod)
		if !strings.Contains(out, want) {
			t.Errorf("aimesh version lacks %q:\n%s", want, out)
		}
	}

	run(repo, 0, bin, "init")
	before := snapshot(t, repo)
	out = run(repo, 1, bin, "init")
	if !strings.Contains(out, "nothing was changed") {
		t.Errorf("second init: %s", out)
	}
	if after := snapshot(t, repo); after != before {
		t.Fatal("a refused init changed the directory")
	}

	run(repo, 0, bin, "generate", "--all")
	run(repo, 0, bin, "vet")
	run(repo, 0, bin, "check")
	var roots int
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	err := filepath.Walk(filepath.Join(repo, "overlays"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Name() != "kustomization.yaml" {
			return err
		}
		roots++
		m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Dir(p))
		if err != nil {
			t.Errorf("kustomize build %s: %v", filepath.Dir(p), err)
		} else if len(m.Resources()) == 0 {
			t.Errorf("kustomize build %s: no objects", filepath.Dir(p))
		}
		return nil
	})
	if err != nil || roots < 10 {
		t.Fatalf("%d kustomization roots, %v", roots, err)
	}
	cueDir := filepath.Join(repo, "cue")
	run(cueDir, 0, cueBin, "vet", "-c", "./...")
	run(cueDir, 0, cueBin, "fmt", "--check", "./...")
	run(cueDir, 0, cueBin, "export", "--out", "json", ".")

	if err := os.WriteFile(filepath.Join(cueDir, "x.cue"), []byte("package platform\n\nservices: \"x\": {port: 70000}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(cueDir, 1, cueBin, "vet", "-c", "./...")
	if !regexp.MustCompile(`x\.cue:3:23`).MatchString(out) {
		t.Errorf("cue vet does not name x.cue:3:23:\n%s", out)
	}
	out = run(repo, 1, bin, "vet")
	if !strings.HasPrefix(out, "cue/x.cue:3:23: services.x.port: invalid value 70000 (out of bound <=65535)") {
		t.Errorf("aimesh vet:\n%s", out)
	}
}

func cacheDir(t *testing.T) string {
	if d := os.Getenv("AIMESH_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	return filepath.Join(home, ".cache", "aimesh")
}

// goModVersion is the version go.mod requires of mod.
func goModVersion(t *testing.T, mod string) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(mod) + `\s+(v\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("go.mod does not require %s", mod)
	}
	return string(m[1])
}

// snapshot is every file under dir with its content, as one string.
func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + info.Mode().String() + "\n")
		if !info.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
