package check_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/check"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var ruleRef = regexp.MustCompile(`\[(AM[0-9]{4})\]`)

// goldenCases maps rule IDs to the txtar cases under golden/ whose
// expected output names them.
func goldenCases(t *testing.T, root string) map[string][]string {
	t.Helper()
	cases := map[string][]string{}
	err := filepath.WalkDir(filepath.Join(root, "golden"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txtar") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = strings.TrimSuffix(filepath.ToSlash(rel), ".txtar")
		seen := map[string]bool{}
		for _, m := range ruleRef.FindAllStringSubmatch(string(data), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				cases[m[1]] = append(cases[m[1]], rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range cases {
		sort.Strings(cases[id])
	}
	return cases
}

// TestCatalogue checks the rule values themselves: unique IDs and names,
// known families, a prevents text, and a negative txtar case for every
// rule that runs on a platform.
func TestCatalogue(t *testing.T) {
	cases := goldenCases(t, repoRoot(t))
	ids, names := map[string]bool{}, map[string]bool{}
	families := map[string]bool{}
	for _, f := range check.FamilyNames() {
		families[f] = true
	}
	idRE := regexp.MustCompile(`^AM[0-9]{4}$`)
	nameRE := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, r := range check.Rules() {
		if !idRE.MatchString(r.ID) || ids[r.ID] {
			t.Errorf("rule %s: ID malformed or duplicated", r.ID)
		}
		if !nameRE.MatchString(r.Name) || names[r.Name] {
			t.Errorf("rule %s: name %q malformed or duplicated", r.ID, r.Name)
		}
		ids[r.ID], names[r.Name] = true, true
		if !families[r.Family] {
			t.Errorf("rule %s: family %q is not listed in catalogue.go", r.ID, r.Family)
		}
		if r.Prevents == "" {
			t.Errorf("rule %s: says nothing about what it prevents", r.ID)
		}
		for _, c := range r.Cases {
			if _, err := os.Stat(filepath.Join(repoRoot(t), c+".txtar")); err != nil {
				t.Errorf("rule %s: case %s: %v", r.ID, c, err)
			}
		}
		if r.Scope != check.Elsewhere && !r.Invariant && len(cases[r.ID]) == 0 {
			t.Errorf("rule %s (%s) has no txtar case under golden/ whose expected output names [%s]", r.ID, r.Name, r.ID)
		}
	}
	for id := range cases {
		if !ids[id] {
			t.Errorf("golden cases name unknown rule %s", id)
		}
	}
}

// TestChecksDoc keeps docs/checks.md equal to the catalogue
// (AIMESH_UPDATE=1 rewrites it).
func TestChecksDoc(t *testing.T) {
	root := repoRoot(t)
	want := check.Markdown(goldenCases(t, root))
	path := filepath.Join(root, "docs", "checks.md")
	if os.Getenv("AIMESH_UPDATE") == "1" {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/checks.md is stale: run AIMESH_UPDATE=1 go test ./generator/check")
	}
}
