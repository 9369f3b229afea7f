package gitops_test

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/object"
)

// With a unit over emit.MaxRootResources, every Flux Kustomization and
// Argo CD Application points at one shard (never at the aggregate unit or
// target), the shards wait for the init shard and the units they depend
// on, and dependents wait for every shard.
func TestRenderSharded(t *testing.T) {
	r := fixture(gitopsConfig(gitops.EngineBoth), nil)
	objs := renderTargets(t, r)
	for i := 0; i < 2*emit.MaxRootResources; i++ {
		objs = append(objs, object.Must(object.FromTyped(object.ACK, ack.UnitApps, "test", map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm-%04d", i), "namespace": "app"}})))
	}
	out, err := gitops.Render(r, objs)
	if err != nil {
		t.Fatal(err)
	}
	roots := emit.Roots(objs)
	paths := map[string]emit.Root{}
	for rt := range roots {
		paths["overlays/dev/"+rt.Dir()] = rt
	}
	ks := map[string]kustomizev1.Kustomization{}
	apps := 0
	for _, o := range out {
		switch o.Kind() {
		case "Kustomization":
			k := decode[kustomizev1.Kustomization](t, o)
			if _, ok := paths[strings.TrimPrefix(k.Spec.Path, "./")]; !ok {
				t.Errorf("Kustomization %s points at %s, which is not a sync root", k.Name, k.Spec.Path)
			}
			ks[k.Name] = k
		case "Application":
			apps++
			src := decode[gitops.Application](t, o).Spec.Source.Path
			if _, ok := paths[src]; !ok {
				t.Errorf("Application %s points at %s, which is not a sync root", o.Name(), src)
			}
		}
	}
	if len(ks) != len(roots) || apps != len(roots) {
		t.Fatalf("%d Kustomizations and %d Applications for %d roots", len(ks), apps, len(roots))
	}
	deps := map[string][]string{}
	var shards []string
	for name, k := range ks {
		for _, d := range k.Spec.DependsOn {
			if _, ok := ks[d.Name]; !ok {
				t.Errorf("%s depends on unknown %s", name, d.Name)
			}
			deps[name] = append(deps[name], d.Name)
		}
		if strings.Contains(name, "-ack-apps-shard-") {
			shards = append(shards, name)
		}
	}
	if len(shards) < 2 {
		t.Fatalf("ack-apps not sharded: %v", shards)
	}
	has := func(name, dep string) bool {
		for _, d := range deps[name] {
			if d == dep {
				return true
			}
		}
		return false
	}
	for _, s := range shards {
		if !has(s, "demo-dev-ack-platform") {
			t.Errorf("%s does not depend on ack-platform: %v", s, deps[s])
		}
		if !has("demo-dev-asm-routing", s) {
			t.Errorf("asm-routing does not depend on %s", s)
		}
	}
	checkAcyclic(t, deps, "demo-dev-asm-platform")
}

// With enough sync roots that <env>/gitops exceeds emit.MaxRootResources,
// the bootstrap objects point exactly at the directories emit.Build
// writes: each is a kustomization root that kustomize builds, every
// GitOps object is built by exactly one of them, and their union is the
// GitOps object set, unchanged.
func TestBootstrapShardedGitOps(t *testing.T) {
	r := fixture(gitopsConfig(gitops.EngineBoth), nil)
	objs := renderTargets(t, r)
	// 8,001 ConfigMaps make 128 ack-apps shards (emit.Roots): with both
	// engines, two GitOps objects per sync root exceed the bound.
	for i := 0; i <= 32*emit.MaxRootResources; i++ {
		objs = append(objs, object.Object{Target: object.ACK, Unit: ack.UnitApps, Origin: "test", Body: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm-%05d", i), "namespace": "app"}}})
	}
	g, err := gitops.Render(r, objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) <= emit.MaxRootResources {
		t.Fatalf("%d GitOps objects: the test needs more than %d", len(g), emit.MaxRootResources)
	}
	boot, err := gitops.RenderBootstrap(r, g)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := emit.Build("dev", append(append(append([]object.Object(nil), objs...), g...), boot...))
	if err != nil {
		t.Fatal(err)
	}
	fs := filesys.MakeFsInMemory()
	for _, p := range tree.Paths() {
		if err := fs.WriteFile("/"+p, tree[p]); err != nil {
			t.Fatal(err)
		}
	}

	// The roots each engine syncs, as directories of the tree.
	roots := map[string][]string{} // engine kind -> directories
	for _, o := range boot {
		var p string
		switch o.Kind() {
		case "Application":
			p = decode[gitops.RootApplication](t, o).Spec.Source.Path
		case "Kustomization":
			p = strings.TrimPrefix(decode[gitops.Kustomization](t, o).Spec.Path, "./")
		}
		dir, ok := strings.CutPrefix(p, "overlays/")
		if !ok {
			t.Fatalf("%s %s: path %s is not under overlays/", o.Kind(), o.Name(), p)
		}
		if _, ok := tree[dir+"/kustomization.yaml"]; !ok {
			t.Errorf("%s %s points at %s, which has no kustomization.yaml in the tree", o.Kind(), o.Name(), p)
		}
		if path.Dir(dir) != "dev/gitops" {
			t.Errorf("%s %s points at %s, not at a shard of dev/gitops", o.Kind(), o.Name(), p)
		}
		roots[o.Kind()] = append(roots[o.Kind()], dir)
	}
	if len(roots["Application"]) < 2 || cmp.Diff(roots["Application"], roots["Kustomization"]) != "" {
		t.Fatalf("Argo CD roots %v, Flux roots %v: want the same shards", roots["Application"], roots["Kustomization"])
	}

	// Build every root; each GitOps object comes out of exactly one.
	want := map[string]any{}
	for _, o := range g {
		want[o.APIVersion()+"/"+o.ID()] = jsonValue(t, o.Body)
	}
	got := map[string]any{}
	from := map[string][]string{}
	ko := krusty.MakeDefaultOptions()
	ko.Reorder = krusty.ReorderOptionUnspecified // the kustomizations set sortOptions
	k := krusty.MakeKustomizer(ko)
	for _, dir := range roots["Application"] {
		m, err := k.Run(fs, "/"+dir)
		if err != nil {
			t.Fatalf("kustomize build %s: %v", dir, err)
		}
		if n := len(m.Resources()); n > emit.MaxRootResources {
			t.Errorf("%s: %d resources, bound %d", dir, n, emit.MaxRootResources)
		}
		for _, res := range m.Resources() {
			body, err := res.Map()
			if err != nil {
				t.Fatal(err)
			}
			id := res.GetApiVersion() + "/" + res.GetKind() + "/" + res.GetNamespace() + "/" + res.GetName()
			got[id] = jsonValue(t, body)
			from[id] = append(from[id], dir)
		}
	}
	for id, dirs := range from {
		if len(dirs) != 1 {
			t.Errorf("%s is built by %d roots: %v", id, len(dirs), dirs)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("built shards differ from the GitOps objects (-want +got):\n%s", d)
	}
	// The init shard holds the GitRepository the Flux Kustomizations read.
	for id, dirs := range from {
		isRepo := strings.Contains(id, "/GitRepository/")
		if isRepo != (dirs[0] == "dev/gitops/"+emit.InitShard) {
			t.Errorf("%s is in %s", id, dirs[0])
		}
	}
	// dev/gitops/kustomization.yaml lists the shards, for humans.
	var shards []string
	for _, dir := range roots["Application"] {
		shards = append(shards, path.Base(dir))
	}
	sort.Strings(shards[1:]) // init first
	if k := string(tree["dev/gitops/kustomization.yaml"]); !strings.Contains(k, "resources:\n- "+strings.Join(shards, "\n- ")+"\n") {
		t.Errorf("dev/gitops/kustomization.yaml does not list %v:\n%s", shards, k)
	}
}

// jsonValue is v as encoding/json decodes it, for comparing objects from
// different sources.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
