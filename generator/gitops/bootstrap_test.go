package gitops_test

import (
	"fmt"
	"slices"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/generator/validate"
)

// renderGitOps renders the ACK, ASM and GitOps objects of r and returns
// the GitOps ones.
func renderGitOps(t *testing.T, r *model.Resolved) []object.Object {
	t.Helper()
	out, err := gitops.Render(r, renderTargets(t, r))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// syntheticGitOps returns GitOps objects as Render writes them: a Flux
// GitRepository (when repo is set), apps Argo CD Applications and ks Flux
// Kustomizations.
func syntheticGitOps(t *testing.T, repo bool, apps, ks int) []object.Object {
	t.Helper()
	var out []object.Object
	add := func(v any) {
		o, err := object.FromTyped(object.GitOps, "", "test", v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	if repo {
		add(&gitops.GitRepository{
			TypeMeta:   metav1.TypeMeta{APIVersion: gitops.FluxSourceAPIVersion, Kind: "GitRepository"},
			ObjectMeta: metav1.ObjectMeta{Name: "demo-dev", Namespace: "flux-system"},
			Spec:       gitops.GitRepositorySpec{URL: "https://example.com/repo.git", Interval: "5m"},
		})
	}
	for i := 0; i < apps; i++ {
		add(&gitops.Application{
			TypeMeta:   metav1.TypeMeta{APIVersion: gitops.ArgoCDAPIVersion, Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("demo-dev-ack-apps-shard-%03d", i), Namespace: "argocd"},
			Spec: gitops.ApplicationSpec{Project: "default", Destination: gitops.ApplicationDestination{Server: "https://ack.example:6443"},
				Source: gitops.ApplicationSource{RepoURL: "https://example.com/repo.git", Path: "overlays/dev/ack/apps", TargetRevision: "main"}},
		})
	}
	for i := 0; i < ks; i++ {
		add(&gitops.Kustomization{
			TypeMeta:   metav1.TypeMeta{APIVersion: gitops.FluxKustomizeAPIVersion, Kind: "Kustomization"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("demo-dev-ack-apps-shard-%03d", i), Namespace: "flux-system"},
			Spec: gitops.KustomizationSpec{Interval: "5m", Path: "./overlays/dev/ack/apps",
				SourceRef: gitops.CrossNamespaceRef{Kind: "GitRepository", Name: "demo-dev"}},
		})
	}
	return out
}

// RenderBootstrap gives each engine one root object per kustomization
// root of <env>/gitops (emit.Roots): today's single object while the
// GitOps objects fit one root, one per shard beyond, the init shard
// first (earlier sync wave, dependency of the Flux shards).
func TestRenderBootstrap(t *testing.T) {
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		engine  string
		objs    func(t *testing.T, r *model.Resolved) []object.Object
		sharded bool
		init    bool
	}{
		{"argocd", gitops.EngineArgoCD, renderGitOps, false, false},
		{"flux", gitops.EngineFlux, renderGitOps, false, false},
		{"both", gitops.EngineBoth, renderGitOps, false, false},
		{"no gitops objects", gitops.EngineBoth, func(*testing.T, *model.Resolved) []object.Object { return nil }, false, false},
		{"flux at the bound", gitops.EngineFlux, func(t *testing.T, _ *model.Resolved) []object.Object {
			return syntheticGitOps(t, true, 0, emit.MaxRootResources-1)
		}, false, false},
		{"flux over the bound", gitops.EngineFlux, func(t *testing.T, _ *model.Resolved) []object.Object {
			return syntheticGitOps(t, true, 0, emit.MaxRootResources)
		}, true, true},
		{"argocd over the bound", gitops.EngineArgoCD, func(t *testing.T, _ *model.Resolved) []object.Object {
			return syntheticGitOps(t, false, emit.MaxRootResources+1, 0)
		}, true, false},
		{"both at 10,000 models", gitops.EngineBoth, func(t *testing.T, _ *model.Resolved) []object.Object {
			return syntheticGitOps(t, true, 700, 700)
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture(gitopsConfig(tc.engine), nil)
			objs := tc.objs(t, r)
			out, err := gitops.RenderBootstrap(r, objs)
			if err != nil {
				t.Fatal(err)
			}
			// Validated like every other gitops object: typed, CRD schema.
			if ps := v.Objects(out); len(ps) > 0 {
				t.Fatalf("invalid root objects: %v", ps)
			}
			// The roots each engine must sync: <env>/gitops, or its shards.
			shards := []string{""}
			if tc.sharded {
				shards = nil
				for _, rt := range emit.SortedRoots(emit.Roots(objs)) {
					shards = append(shards, rt.Shard)
				}
				if len(shards) < 2 || (shards[0] == emit.InitShard) != tc.init || slices.Contains(shards, "") {
					t.Fatalf("gitops roots %v: want shards, init %v", shards, tc.init)
				}
			}
			name := func(shard string) string {
				if shard == "" {
					return "demo-dev-root"
				}
				return "demo-dev-root-" + shard
			}
			wantPath := func(shard string) string {
				if shard == "" {
					return "overlays/dev/gitops"
				}
				return "overlays/dev/gitops/" + shard
			}
			var apps, kss []string
			for _, o := range out {
				if o.Target != gitops.Bootstrap {
					t.Errorf("%s: target %s", o.ID(), o.Target)
				}
				switch o.Kind() {
				case "Application":
					a := decode[gitops.RootApplication](t, o)
					apps = append(apps, a.Name)
					shard := shardOf(shards, a.Name, name)
					if a.Spec.Source.Path != wantPath(shard) || a.Spec.Destination.Server != gitops.InClusterServer ||
						a.Spec.Destination.Namespace != a.Namespace {
						t.Errorf("root Application %s: %+v", a.Name, a.Spec)
					}
					wave, want := a.Annotations[gitops.SyncWave], ""
					switch {
					case shard == emit.InitShard:
						want = gitops.WaveRootInit
					case shard != "":
						want = gitops.WaveRootShard
					}
					if wave != want || (want == "" && a.Annotations != nil) {
						t.Errorf("root Application %s: sync wave %q (annotations %v), want %q", a.Name, wave, a.Annotations, want)
					}
				case "Kustomization":
					var k kustomizev1.Kustomization
					strict(t, o, &k)
					kss = append(kss, k.Name)
					shard := shardOf(shards, k.Name, name)
					if k.Spec.Path != "./"+wantPath(shard) || k.Spec.SourceRef.Kind != "GitRepository" ||
						k.Spec.SourceRef.Name != gitops.FluxBootstrapSource || k.Spec.KubeConfig != nil {
						t.Errorf("root Kustomization %s: %+v", k.Name, k.Spec)
					}
					var deps []string
					for _, d := range k.Spec.DependsOn {
						deps = append(deps, d.Name)
					}
					var want []string
					if tc.init && shard != emit.InitShard {
						want = []string{name(emit.InitShard)}
					}
					if !slices.Equal(deps, want) {
						t.Errorf("root Kustomization %s depends on %v, want %v", k.Name, deps, want)
					}
				default:
					t.Errorf("unexpected root object %s", o.ID())
				}
			}
			var want []string
			for _, s := range shards {
				want = append(want, name(s))
			}
			if g := gitopsConfig(tc.engine); g.Argo() && !slices.Equal(apps, want) || !g.Argo() && apps != nil {
				t.Errorf("root Applications %v, want %v", apps, want)
			}
			if g := gitopsConfig(tc.engine); g.UsesFlux() && !slices.Equal(kss, want) || !g.UsesFlux() && kss != nil {
				t.Errorf("root Kustomizations %v, want %v", kss, want)
			}
		})
	}
	if out, err := gitops.RenderBootstrap(fixture(nil, nil), nil); err != nil || len(out) != 0 {
		t.Errorf("without gitops: %v, %v", out, err)
	}
}

// shardOf returns the shard among shards whose root object is called n.
func shardOf(shards []string, n string, name func(string) string) string {
	for _, s := range shards {
		if name(s) == n {
			return s
		}
	}
	return "?" + n
}

// An invalid root object is caught by the same validation as the rest.
func TestRenderBootstrapValidated(t *testing.T) {
	g := gitopsConfig(gitops.EngineFlux)
	g.Interval = "five minutes"
	out, err := gitops.RenderBootstrap(fixture(g, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Objects(out); len(ps) == 0 {
		t.Fatal("a Kustomization with interval \"five minutes\" passed validation")
	}
}
