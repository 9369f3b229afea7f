package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/hack/scalegen/synth"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestFromResultMatchesKrusty: the object sets taken directly from a
// compilation are those kustomize builds from its overlays, for every
// env/target of the reference app.
func TestFromResultMatchesKrusty(t *testing.T) {
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: repoRoot()}})
	if err != nil {
		t.Fatal(err)
	}
	built, err := Render(res.Tree)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := FromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(built.Sections) != 12 {
		t.Fatalf("krusty built %d sections, want 12 (3 envs × ack, asm, gitops, bootstrap)", len(built.Sections))
	}
	if d := cmp.Diff(built.Sections, direct.Sections); d != "" {
		t.Errorf("FromResult differs from the krusty build (-krusty +direct):\n%s", d)
	}
}

// manyChanges is a report of n Deployments in each of envs whose
// containerPort and replicas changed.
func manyChanges(n int, envs ...string) *Report {
	r := &Report{Base: "HEAD", Head: "working tree"}
	for _, e := range envs {
		s := SectionDiff{Section: Section{e, "ack"}, Added: []ObjectID{}, Removed: []ObjectID{}}
		for i := 0; i < n; i++ {
			id := ObjectID{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: fmt.Sprintf("d%05d", i)}
			s.Changed = append(s.Changed, ObjectDiff{Object: id, Changes: []Change{
				{Path: fmt.Sprintf("spec.template.spec.containers[name=c%05d].ports[0].containerPort", i), Op: Changed, From: json.Number("8000"), To: json.Number("8001")},
				{Path: "spec.replicas", Op: Changed, From: json.Number("1"), To: json.Number(fmt.Sprint(2 + i%2))},
			}})
		}
		s.Added = append(s.Added, ObjectID{Kind: "ConfigMap", Namespace: "apps", Name: "new"})
		r.Sections = append(r.Sections, s)
	}
	return r
}

func TestMarkdownGroupsAndLimit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rep      *Report
		opts     MarkdownOptions
		cut      bool
		contains []string
	}{
		{"small, whole", manyChanges(3, "dev"), MarkdownOptions{}, false, []string{
			"| 3 | Deployment | `spec.template.spec.containers[*].ports[*].containerPort` | 8000 → 8001 |",
			"| 1 | ConfigMap |  | object added |",
			"#### dev / ack",
		}},
		{"1,500 objects, cut", manyChanges(500, "dev", "prod", "staging"), MarkdownOptions{}, true, []string{
			"| 1,500 | Deployment | `spec.template.spec.containers[*].ports[*].containerPort` | 8000 → 8001 |",
			"| 750 | Deployment | `spec.replicas` | 1 → 2 |",
			"The full diff: `aimesh diff --format text` (or `--format json`).",
		}},
		{"tiny limit, pointer", manyChanges(50, "dev"), MarkdownOptions{Limit: 900, Full: "the aimesh-diff artifact"}, true, []string{
			"The full diff: the aimesh-diff artifact.",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.rep.WriteMarkdownWith(&b, tc.opts); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			limit := tc.opts.Limit
			if limit == 0 {
				limit = DefaultMarkdownLimit
			}
			if n := utf8.RuneCountInString(out); n > limit {
				t.Errorf("%d characters, limit %d", n, limit)
			}
			if got := strings.Contains(out, "Cut to fit"); got != tc.cut {
				t.Errorf("cut note present = %v, want %v", got, tc.cut)
			}
			for _, c := range tc.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q:\n%s", c, out[:min(len(out), 3000)])
				}
			}
		})
	}
}

// TestCompareVersionsMatchesCompare: comparing environment by environment
// gives the report of comparing the two whole compilations (two synthetic
// 100-model platforms that differ in every service's port).
func TestCompareVersionsMatchesCompare(t *testing.T) {
	var vs [2]*Version
	var whole [2]*Manifests
	for i, port := range []int{8000, 8001} {
		dir := filepath.Join(t.TempDir(), fmt.Sprint(port))
		if err := synth.Write(repoRoot(), dir, 100, port); err != nil {
			t.Fatal(err)
		}
		res, err := compile.Compile(compile.Options{Load: load.Options{Root: dir}, ObjectsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if whole[i], err = FromResult(res); err != nil {
			t.Fatal(err)
		}
		if vs[i], err = LoadWorktree(load.Options{Root: dir}); err != nil {
			t.Fatal(err)
		}
	}
	for _, envs := range [][]string{nil, {"prod"}} {
		opts := Options{Base: "a", Head: "b", Envs: envs}
		want, err := Compare(whole[0], whole[1], opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := CompareVersions(vs[0], vs[1], opts)
		if err != nil {
			t.Fatal(err)
		}
		if !want.HasDifferences() {
			t.Fatal("the two platforms do not differ")
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("envs %v: CompareVersions differs from Compare (-whole +by env):\n%s", envs, d)
		}
	}
	if _, err := CompareVersions(vs[0], vs[1], Options{Envs: []string{"qa"}}); err == nil || !strings.Contains(err.Error(), "neither version") {
		t.Errorf("unknown environment: %v", err)
	}
}
