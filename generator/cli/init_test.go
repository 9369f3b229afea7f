package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aimesh/aimesh/schemas"
)

// TestInit runs golden/init: aimesh init (both templates, refusal to
// overwrite) and what a new repository can do right after it. Besides the
// commands of scriptParams:
//
//	same-as-schema DIR        DIR holds exactly the schema built into aimesh
//	same-as-repo FILE REPO    FILE equals the repository's file REPO
//	kustomize-build-all DIR   krusty builds every kustomization root under DIR
func TestInit(t *testing.T) {
	p := scriptParams(t, filepath.Join(repoRoot(t), "golden", "init"))
	p.Cmds["same-as-schema"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: same-as-schema DIR")
		}
		got, err := os.ReadDir(ts.MkAbs(args[0]))
		ts.Check(err)
		want := schemas.Files()
		same := len(got) == len(want)
		for _, e := range got {
			data, err := os.ReadFile(filepath.Join(ts.MkAbs(args[0]), e.Name()))
			ts.Check(err)
			same = same && bytes.Equal(data, want[e.Name()])
		}
		if same == neg {
			ts.Fatalf("%s: same as the built-in schema: %v", args[0], same)
		}
	}
	p.Cmds["same-as-repo"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: same-as-repo FILE REPOFILE")
		}
		a, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(args[1])))
		ts.Check(err)
		if bytes.Equal(a, b) == neg {
			ts.Fatalf("%s and the repository's %s: equal %v", args[0], args[1], !neg)
		}
	}
	p.Cmds["kustomize-build-all"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 || neg {
			ts.Fatalf("usage: kustomize-build-all DIR")
		}
		roots := kustomizationRoots(t, ts.MkAbs(args[0]))
		if len(roots) == 0 {
			ts.Fatalf("no kustomization.yaml under %s", args[0])
		}
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		for _, dir := range roots {
			m, err := k.Run(filesys.MakeFsOnDisk(), dir)
			if err != nil {
				ts.Fatalf("kustomize build %s: %v", dir, err)
			}
			if len(m.Resources()) == 0 {
				ts.Fatalf("kustomize build %s: no objects", dir)
			}
		}
		ts.Logf("built %d kustomization roots", len(roots))
	}
	testscript.Run(t, p)
}

// kustomizationRoots lists the directories under dir that hold a
// kustomization.yaml.
func kustomizationRoots(t testing.TB, dir string) []string {
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Name() == "kustomization.yaml" {
			out = append(out, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
