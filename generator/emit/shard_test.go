package emit

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/render/object"
)

func cm(unit, name string) object.Object {
	return object.Object{Target: object.ACK, Unit: unit, Body: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": "apps"}}}
}

func ns(unit, name string) object.Object {
	return object.Object{Target: object.ACK, Unit: unit, Body: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
}

func objects(n int) []object.Object {
	out := []object.Object{ns("apps", "apps")}
	for i := 0; i < n; i++ {
		out = append(out, cm("apps", fmt.Sprintf("cm-%05d", i)))
	}
	return out
}

// shardOf maps object IDs to the root directory Roots puts them in.
func shardOf(objs []object.Object) map[string]string {
	out := map[string]string{}
	for r, os := range Roots(objs) {
		for _, o := range os {
			out[o.ID()] = r.Dir()
		}
	}
	return out
}

func TestRoots(t *testing.T) {
	for _, tc := range []struct {
		n      int
		shards int // hash buckets (init shard not counted)
	}{
		{MaxRootResources - 1, 0}, // n+1 objects with the Namespace: exactly the bound, not sharded
		{MaxRootResources, 2},
		{1000, 8},
		{10000, 128},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			roots := Roots(objects(tc.n))
			total, buckets := 0, 0
			for r, os := range roots {
				total += len(os)
				if len(os) > MaxRootResources {
					t.Errorf("%s: %d resources, bound %d", r.Dir(), len(os), MaxRootResources)
				}
				if r.Shard != "" && r.Shard != InitShard {
					buckets++
				}
				if r.Shard == InitShard {
					for _, o := range os {
						if o.Kind() != "Namespace" {
							t.Errorf("init shard holds %s", o.ID())
						}
					}
				}
			}
			if total != tc.n+1 {
				t.Errorf("%d objects laid out, want %d", total, tc.n+1)
			}
			if tc.shards == 0 && len(roots) != 1 {
				t.Errorf("%d roots, want the unit alone", len(roots))
			}
			if tc.shards > 0 && buckets > tc.shards {
				t.Errorf("%d buckets, want at most %d", buckets, tc.shards)
			}
		})
	}
}

// Adding or removing an object never moves another one, as long as the
// number of buckets stays the same.
func TestRootsStable(t *testing.T) {
	before := shardOf(objects(900)) // 8 buckets
	after := shardOf(append(objects(900), cm("apps", "zz-new"), cm("apps", "aa-new")))
	for id, dir := range before {
		if after[id] != dir {
			t.Errorf("%s moved from %s to %s", id, dir, after[id])
		}
	}
	fewer := shardOf(objects(890))
	for id, dir := range fewer {
		if before[id] != dir {
			t.Errorf("%s moved from %s to %s when others were removed", id, before[id], dir)
		}
	}
	// Doubling the buckets keeps an object in bucket i or moves it to i+n/2.
	doubled := shardOf(objects(2000)) // 16 buckets
	for id, dir := range before {
		var i, j int
		if !strings.Contains(dir, "shard-") {
			continue
		}
		fmt.Sscanf(dir[strings.LastIndex(dir, "-")+1:], "%d", &i)
		fmt.Sscanf(doubled[id][strings.LastIndex(doubled[id], "-")+1:], "%d", &j)
		if j != i && j != i+8 {
			t.Errorf("%s: bucket %d of 8 became %d of 16", id, i, j)
		}
	}
}

// Build writes a sharded unit as shard directories listed by the unit's
// kustomization; the target's kustomization lists the unit.
func TestBuildSharded(t *testing.T) {
	tr, err := Build("dev", objects(600))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(tr["dev/ack/apps/kustomization.yaml"])
	if !strings.Contains(unit, "- init\n- shard-000\n") {
		t.Errorf("unit kustomization:\n%s", unit)
	}
	if !strings.Contains(string(tr["dev/ack/kustomization.yaml"]), "- apps\n") {
		t.Errorf("target kustomization:\n%s", tr["dev/ack/kustomization.yaml"])
	}
	// Every shard is one multi-document file listed by its kustomization,
	// holding its objects in apply order.
	init := string(tr["dev/ack/apps/init/"+ShardFile])
	if !strings.HasPrefix(init, Header("dev")+"---\napiVersion: v1\nkind: Namespace\n") {
		t.Errorf("init shard:\n%s", init)
	}
	total := 0
	for _, p := range tr.Paths() {
		if strings.HasSuffix(p, "/kustomization.yaml") {
			continue
		}
		if !strings.HasSuffix(p, "/"+ShardFile) {
			t.Errorf("%s: a sharded unit holds only shard files", p)
			continue
		}
		if k := string(tr[path.Dir(p)+"/kustomization.yaml"]); !strings.Contains(k, "resources:\n- "+ShardFile+"\n") {
			t.Errorf("%s: kustomization does not list %s:\n%s", p, ShardFile, k)
		}
		docs := strings.Split(strings.TrimPrefix(string(tr[p]), Header("dev")), "---\n")
		if docs[0] != "" {
			t.Errorf("%s: does not start with a document separator", p)
		}
		for _, d := range docs[1:] {
			if !strings.Contains(d, "\nkind: ") || strings.Contains(d, "# Code generated") {
				t.Errorf("%s: bad document:\n%s", p, d)
			}
		}
		total += len(docs) - 1
	}
	if total != 601 {
		t.Errorf("shard files hold %d objects, want 601 (a Namespace and 600 ConfigMaps)", total)
	}
}
