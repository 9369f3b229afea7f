package emit

import (
	"fmt"
	"hash/fnv"
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

// gitopsObjects returns a Flux GitRepository (when repo is set), apps
// Argo CD Applications and ks Flux Kustomizations of the gitops target.
func gitopsObjects(repo bool, apps, ks int) []object.Object {
	obj := func(apiVersion, kind, name string) object.Object {
		return object.Object{Target: object.GitOps, Body: map[string]any{
			"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": "gitops"}}}
	}
	var out []object.Object
	if repo {
		out = append(out, obj("source.toolkit.fluxcd.io/v1", "GitRepository", "demo-dev"))
	}
	for i := 0; i < apps; i++ {
		out = append(out, obj("argoproj.io/v1alpha1", "Application", fmt.Sprintf("demo-dev-ack-apps-shard-%03d", i)))
	}
	for i := 0; i < ks; i++ {
		out = append(out, obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", fmt.Sprintf("demo-dev-ack-apps-shard-%03d", i)))
	}
	return out
}

// The GitOps objects of an environment are one unit, <env>/gitops, split
// like an ACK or ASM unit: what the Applications and Kustomizations need
// (the GitRepository) in init, the rest in hash buckets.
func TestRootsGitOps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		objs   []object.Object
		init   int // objects in the init shard, -1: no init shard
		shards int // most hash buckets; 0: not sharded
	}{
		{"flux at the bound", gitopsObjects(true, 0, MaxRootResources-1), 0, 0},
		{"flux over the bound", gitopsObjects(true, 0, MaxRootResources), 1, 2},
		{"argocd over the bound", gitopsObjects(false, MaxRootResources+1, 0), -1, 4},
		{"both at 10,000 models", gitopsObjects(true, 700, 700), 1, 16},
		// An object of the gitops target that syncs nothing is needed
		// first, whatever its kind: it goes to init.
		{"other kinds", append(gitopsObjects(false, MaxRootResources, 0), cmIn(object.GitOps, "settings")), 1, 2},
		// A Kustomization of another group (kustomize's own) is not a sync
		// object.
		{"kustomize's Kustomization", append(gitopsObjects(false, MaxRootResources, 0), object.Object{Target: object.GitOps, Body: map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "metadata": map[string]any{"name": "k"}}}), 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roots := Roots(tc.objs)
			seen := map[string]int{}
			buckets := 0
			for r, os := range roots {
				if r.Target != object.GitOps || r.Unit != "" {
					t.Errorf("root %+v: want target gitops, unit \"\"", r)
				}
				if len(os) > MaxRootResources {
					t.Errorf("%s: %d resources, bound %d", r.Dir(), len(os), MaxRootResources)
				}
				for _, o := range os {
					seen[o.ID()+" "+o.APIVersion()]++
					sync := o.Kind() == "Application" && o.GVK().Group == "argoproj.io" ||
						o.Kind() == "Kustomization" && o.GVK().Group == "kustomize.toolkit.fluxcd.io"
					if r.Shard == InitShard && sync {
						t.Errorf("init shard holds %s", o.ID())
					}
					if r.Shard != "" && r.Shard != InitShard && !sync {
						t.Errorf("%s holds %s, which belongs in init", r.Shard, o.ID())
					}
				}
				if r.Shard != "" && r.Shard != InitShard {
					buckets++
				}
			}
			for _, o := range tc.objs {
				if n := seen[o.ID()+" "+o.APIVersion()]; n != 1 {
					t.Errorf("%s is in %d roots, want 1", o.ID(), n)
				}
			}
			if tc.shards == 0 {
				if len(roots) != 1 || roots[Root{Target: object.GitOps}] == nil {
					t.Errorf("roots %v, want gitops alone", SortedRoots(roots))
				}
				return
			}
			if got := len(roots[Root{object.GitOps, "", InitShard}]); tc.init == -1 && got != 0 || tc.init >= 0 && got != tc.init {
				t.Errorf("init shard holds %d objects, want %d", got, tc.init)
			}
			if buckets == 0 || buckets > tc.shards {
				t.Errorf("%d buckets, want 1 to %d", buckets, tc.shards)
			}
		})
	}
}

func cmIn(target object.Target, name string) object.Object {
	o := cm("", name)
	o.Target = target
	return o
}

func TestRootDir(t *testing.T) {
	for _, tc := range []struct {
		root        Root
		dir, string string
	}{
		{Root{object.ACK, "apps", ""}, "ack/apps", "ack-apps"},
		{Root{object.ACK, "apps", "shard-001"}, "ack/apps/shard-001", "ack-apps-shard-001"},
		{Root{object.GitOps, "", ""}, "gitops", "gitops"},
		{Root{object.GitOps, "", InitShard}, "gitops/init", "gitops-init"},
		{Root{object.GitOps, "", "shard-000"}, "gitops/shard-000", "gitops-shard-000"},
	} {
		if got := tc.root.Dir(); got != tc.dir {
			t.Errorf("%+v.Dir() = %q, want %q", tc.root, got, tc.dir)
		}
		if got := tc.root.String(); got != tc.string {
			t.Errorf("%+v.String() = %q, want %q", tc.root, got, tc.string)
		}
	}
}

// Up to MaxObjectFiles objects <env>/gitops holds one file per object, up
// to MaxRootResources one ShardFile; above it, the shards of Roots, each
// one ShardFile and a kustomization, listed by
// <env>/gitops/kustomization.yaml. Bootstrap objects stay flat.
func TestBuildGitOps(t *testing.T) {
	boot := object.Object{Target: "bootstrap", Body: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": map[string]any{"name": "root", "namespace": "argocd"}}}
	for _, tc := range []struct {
		name string
		objs []object.Object
	}{
		{"file per object", gitopsObjects(true, 50, MaxObjectFiles-51)},
		{"one file", gitopsObjects(true, 50, MaxObjectFiles-50)},
		{"largest root", gitopsObjects(true, 100, MaxRootResources-101)},
		{"sharded", gitopsObjects(true, 200, 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Build("dev", append(append([]object.Object(nil), tc.objs...), boot))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tr["dev/bootstrap/application-argocd-root.yaml"]; !ok {
				t.Errorf("bootstrap not flat: %v", tr.Paths())
			}
			roots := Roots(tc.objs)
			files := 0
			for _, p := range tr.Paths() {
				if strings.HasPrefix(p, "dev/gitops/") && !strings.HasSuffix(p, "/kustomization.yaml") {
					files++
				}
			}
			k := string(tr["dev/gitops/kustomization.yaml"])
			if len(roots) == 1 && len(tc.objs) > MaxObjectFiles {
				data := string(tr["dev/gitops/"+ShardFile])
				if files != 1 || strings.Count(data, "---\n") != len(tc.objs) || !strings.Contains(k, "resources:\n- "+ShardFile+"\n") {
					t.Errorf("%d objects: %d files in dev/gitops, %d documents in %s, kustomization:\n%s", len(tc.objs), files, strings.Count(data, "---\n"), ShardFile, k)
				}
				return
			}
			if len(roots) == 1 {
				if files != len(tc.objs) {
					t.Errorf("%d files in dev/gitops, want one per object (%d)", files, len(tc.objs))
				}
				if _, ok := tr["dev/gitops/gitrepository-gitops-demo-dev.yaml"]; !ok || !strings.Contains(k, "- gitrepository-gitops-demo-dev.yaml\n") {
					t.Errorf("no flat GitRepository file:\n%s", k)
				}
				return
			}
			if files != len(roots) {
				t.Errorf("%d files in dev/gitops, want one %s per shard (%d)", files, ShardFile, len(roots))
			}
			var want strings.Builder
			for _, r := range SortedRoots(roots) {
				want.WriteString("- " + r.Shard + "\n")
				dir := "dev/" + r.Dir()
				data := string(tr[dir+"/"+ShardFile])
				if n := strings.Count(data, "---\n"); n != len(roots[r]) {
					t.Errorf("%s/%s holds %d documents, want %d", dir, ShardFile, n, len(roots[r]))
				}
				if !strings.Contains(string(tr[dir+"/kustomization.yaml"]), "resources:\n- "+ShardFile+"\n") {
					t.Errorf("%s/kustomization.yaml:\n%s", dir, tr[dir+"/kustomization.yaml"])
				}
			}
			if !strings.Contains(k, "resources:\n"+want.String()) || !strings.HasPrefix(want.String(), "- init\n") {
				t.Errorf("dev/gitops/kustomization.yaml does not list\n%s:\n%s", want.String(), k)
			}
		})
	}
}

// TestIdentityHashIsStable pins the shard key to what it has always been,
// FNV-1a over "group\x00kind\x00namespace\x00name": a change would move
// objects between the shards of every sharded repository.
func TestIdentityHashIsStable(t *testing.T) {
	oracle := func(o object.Object) uint32 {
		h := fnv.New32a()
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", o.GVK().Group, o.Kind(), o.Namespace(), o.Name())
		return h.Sum32()
	}
	obj := func(apiVersion, kind, namespace, name string) object.Object {
		md := map[string]any{"name": name}
		if namespace != "" {
			md["namespace"] = namespace
		}
		return object.Object{Target: object.ACK, Body: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}}
	}
	cases := []object.Object{
		obj("v1", "ConfigMap", "apps", "cm-00001"),
		obj("v1", "Namespace", "", "apps"),
		obj("serving.kserve.io/v1beta1", "InferenceService", "models", "style-onnx"),
		obj("networking.istio.io/v1", "VirtualService", "apps", "é-ü"),
		obj("", "", "", ""),
		{Target: object.ACK, Body: map[string]any{}},
	}
	for i := range 200 {
		cases = append(cases, obj("apps/v1", "Deployment", fmt.Sprintf("ns-%d", i%7), fmt.Sprintf("svc-%d-variant-%d", i, i*31)))
	}
	for _, o := range cases {
		if got, want := identityHash(o), oracle(o); got != want {
			t.Errorf("identityHash(%s) = %d, want %d", o.ID(), got, want)
		}
	}
	// One identity spelled out, so that the oracle cannot drift with the
	// code either.
	if got, want := identityHash(cases[0]), uint32(fnvOf("\x00ConfigMap\x00apps\x00cm-00001")); got != want {
		t.Errorf("identityHash(%s) = %d, want %d", cases[0].ID(), got, want)
	}
}

func fnvOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
