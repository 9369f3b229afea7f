package diff

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimesh/aimesh/generator/emit"
)

// laughs is a "billion laughs" of the given depth: nine strings, then
// levels-1 lists of nine aliases to the list before.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString(`data2: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	prev := "a"
	for i := 1; i < levels; i++ {
		name := string(rune('a' + i))
		fmt.Fprintf(&b, "%s: &%s [%s]\n", name, name, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
		prev = name
	}
	return b.String()
}

const (
	configMap  = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\n"
	configMap2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app2\n  namespace: apps\n"
)

// section is a kustomize root prod/ack holding one file, cm.yaml.
func section(cm string) emit.Tree {
	return emit.Tree{
		"prod/ack/kustomization.yaml": []byte("resources:\n- cm.yaml\n"),
		"prod/ack/cm.yaml":            []byte(cm),
	}
}

// A file whose YAML aliases expand far beyond what is written is refused,
// naming the file, before kustomize expands it: the billion laughs of the
// report (12 levels: 9^12 strings) would run for minutes in kyaml, 5
// levels already expand 60 written nodes to 66,000. An alias to a node
// that contains it would overflow kyaml's stack (a fatal error of the
// whole process).
func TestRenderRefusesAliasExpansion(t *testing.T) {
	for _, tc := range []struct {
		name, cm, want string
	}{
		{"5 levels", configMap + laughs(5), "YAML aliases expand the file's"},
		{"12 levels", configMap + laughs(12), "YAML aliases expand the file's"},
		{"12 levels, plain YAML", configMap + laughs(12), "YAML aliases expand the file's"},
		{"merge keys", configMap + "x: &x {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n" +
			"y: &y {<<: *x, a1: *x, a2: *x, a3: *x, a4: *x, a5: *x, a6: *x, a7: *x, a8: *x}\n" +
			"z: &z {<<: *y, a1: *y, a2: *y, a3: *y, a4: *y, a5: *y, a6: *y, a7: *y, a8: *y}\n" +
			"w: &w {<<: *z, a1: *z, a2: *z, a3: *z, a4: *z, a5: *z, a6: *z, a7: *z, a8: *z}\n" +
			"v: &v {<<: *w, a1: *w, a2: *w, a3: *w, a4: *w, a5: *w, a6: *w, a7: *w, a8: *w}\n", "YAML aliases expand the file's"},
		{"second document", configMap + "---\n" + configMap2 + laughs(6), "YAML aliases expand the file's"},
		// "---#" is no document marker for YAML, which fails on the
		// first document, but kyaml cuts the file there and parses both.
		{"kyaml's document separator", configMap + "---#\n" + configMap2 + laughs(12), "YAML aliases expand the file's"},
		{"alias to its own node", configMap + "data2: &a [1, *a]\n", "line 6: the YAML alias *a refers to a node that contains it"},
		{"alias to an enclosing node", configMap + "data: &d\n  k: {v: [*d]}\n", "line 7: the YAML alias *d refers to a node that contains it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := section(tc.cm)
			if strings.Contains(tc.name, "plain") {
				delete(tr, "prod/ack/kustomization.yaml")
			}
			start := time.Now()
			_, err := Render(tr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "prod/ack/cm.yaml: ") || !strings.Contains(err.Error(), "aimesh-written overlays never use YAML aliases") {
				t.Errorf("error %q does not name the file or say why", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusing took %s", d)
			}
		})
	}
}

// Anchors and aliases that do not multiply the file are accepted, and
// render as kustomize expands them.
func TestRenderAcceptsModestAliases(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\n  labels: &l {app: web, tier: front}\n  annotations: *l\n" +
		"data: {a: x, b: z}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app2\n  namespace: apps\n" +
		"x-base: &d {a: x, b: z}\ndata: *d\n"
	for _, plain := range []bool{false, true} {
		tr := section(cm)
		if plain {
			delete(tr, "prod/ack/kustomization.yaml")
		}
		m, err := Render(tr)
		if err != nil {
			t.Fatal(err)
		}
		objs := m.Sections[Section{"prod", "ack"}]
		app := objs[ObjectID{Kind: "ConfigMap", Namespace: "apps", Name: "app"}]
		app2 := objs[ObjectID{Kind: "ConfigMap", Namespace: "apps", Name: "app2"}]
		if got := fmt.Sprint(app["metadata"].(map[string]any)["annotations"], app2["data"]); got != "map[app:web tier:front] map[a:x b:z]" {
			t.Errorf("plain %v: %s", plain, got)
		}
	}
}

// The expansion bound: ten times the nodes written plus 10,000, and never
// more than 1,000,000 nodes added, exactly.
func TestCheckAliasesBound(t *testing.T) {
	// A list of an anchored list of n scalars, k aliases to it and f
	// scalars: written 2 + (n+1) + k + f nodes (with the document and the
	// outer list), expanded n×k more.
	stream := func(n, k, f int) []byte {
		var b bytes.Buffer
		b.WriteString("- &a [" + strings.TrimSuffix(strings.Repeat("x,", n), ",") + "]\n")
		b.WriteString(strings.Repeat("- *a\n", k))
		b.WriteString(strings.Repeat("- x\n", f))
		return b.Bytes()
	}
	for _, tc := range []struct {
		n, k, f int
		ok      bool
	}{
		{19, 0, 0, true},
		{19, 1019, 0, true},         // 20,402 expanded ≤ 10 × 1,041 + 10,000
		{19, 1020, 0, false},        // 20,422 > 10 × 1,042 + 10,000
		{1000, 1000, 200000, true},  // 1,000,000 added
		{1000, 1001, 200000, false}, // 1,001,000 added
	} {
		err := checkAliases(stream(tc.n, tc.k, tc.f))
		if (err == nil) != tc.ok {
			t.Errorf("%d aliases of %d nodes, %d more: %v", tc.k, tc.n+1, tc.f, err)
		}
	}
}

// RenderDir reads no file over MaxOverlayFileBytes, and ignores files
// Render never uses (less than three levels deep, hidden top-level
// directories).
func TestRenderDirLimits(t *testing.T) {
	write := func(t *testing.T, dir, name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("\n"), MaxOverlayFileBytes+1)
	cm := []byte(configMap + "data: {a: b}\n")

	dir := t.TempDir()
	write(t, dir, "prod/ack/cm.yaml", cm)
	write(t, dir, "big.yaml", big)
	write(t, dir, "prod/big.yaml", big)
	write(t, dir, ".git/objects/big", big)
	m, err := RenderDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sections) != 1 {
		t.Errorf("sections: %v", m.Sections)
	}

	write(t, dir, "prod/ack/big.yaml", big)
	_, err = RenderDir(dir)
	if want := "prod/ack/big.yaml: file of 16777217 bytes; aimesh diff reads files of at most 16 MiB"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}

	// A link is refused, not skipped (kustomize would then report a
	// missing file) nor followed (it may point outside the directory).
	dir = t.TempDir()
	write(t, dir, "prod/ack/cm.yaml", cm)
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	write(t, filepath.Dir(outside), "secret.yaml", cm)
	if err := os.Symlink(outside, filepath.Join(dir, "prod", "ack", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err = RenderDir(dir); err == nil || !strings.HasPrefix(err.Error(), "prod/ack/link.yaml: a symbolic link") {
		t.Fatalf("error %v, want a refused link", err)
	}

	dir = t.TempDir()
	for i := 0; i <= MaxOverlayFiles; i++ {
		write(t, dir, fmt.Sprintf("prod/ack/d%02d/f%05d.txt", i%64, i), nil)
	}
	_, err = RenderDir(dir)
	if want := dir + " holds more than 32768 files; aimesh diff reads at most 32768"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// A kustomization of a --dirs tree that names something kustomize would
// fetch (git clone, HTTP download, Helm pull) is refused before kustomize
// runs; local references, inline patches and aimesh's own trees build.
func TestRenderRefusesRemote(t *testing.T) {
	for _, tc := range []struct {
		name, kustomization, want string
	}{
		{"https resource", "resources:\n- cm.yaml\n- https://example.com/x.yaml\n", `"https://example.com/x.yaml"`},
		{"github shorthand", "resources:\n- cm.yaml\n- github.com/org/repo//base?ref=v1\n", `"github.com/org/repo//base?ref=v1"`},
		{"scp-style git", "resources:\n- cm.yaml\n- git@github.com:org/repo.git\n", `"git@github.com:org/repo.git"`},
		{"forced git", "components:\n- git::https://h/r\nresources:\n- cm.yaml\n", `"git::https://h/r"`},
		{"patch path", "resources:\n- cm.yaml\npatches:\n- path: http://h/p.yaml\n", `"http://h/p.yaml"`},
		{"generator file", "resources:\n- cm.yaml\nconfigMapGenerator:\n- name: g\n  files:\n  - k=https://h/f\n", `"https://h/f"`},
		{"helm", "resources:\n- cm.yaml\nhelmCharts:\n- name: x\n  repo: https://charts\n", "Helm"},
		{"local", "resources:\n- cm.yaml\npatches:\n- patch: |-\n    - op: add\n      path: /data\n      value: {a: \"http://b\"}\n  target:\n    kind: ConfigMap\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := section(configMap)
			tree["prod/ack/kustomization.yaml"] = []byte(tc.kustomization)
			_, err := Render(tree)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want a build, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "prod/ack/kustomization.yaml")):
				t.Fatalf("want an error naming %s, got %v", tc.want, err)
			}
		})
	}
}
