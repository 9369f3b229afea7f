package gitops_test

import (
	"fmt"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"

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
