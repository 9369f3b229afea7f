package gitops

import (
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Bootstrap is the target of the root objects: <env>/bootstrap/ holds
// the objects per engine that a platform engineer applies once to the
// management cluster. After that, every change arrives through Git: the
// root objects sync <env>/gitops/ (or each of its shards), whose
// Applications or Kustomizations sync <env>/ack/ and <env>/asm/.
const Bootstrap object.Target = "bootstrap"

// InClusterServer is Argo CD's name for the cluster it runs in.
const InClusterServer = "https://kubernetes.default.svc"

// FluxBootstrapSource is the GitRepository that flux bootstrap creates
// (namespace and name flux-system).
const FluxBootstrapSource = "flux-system"

// RootName is the name of the root objects of an environment; when the
// gitops root is sharded, each shard's root objects are named
// <RootName>-<shard>.
func RootName(r *model.Resolved) string { return r.Name + "-" + r.Env.Name + "-root" }

// Sync waves of the root Applications of a sharded gitops root: the init
// shard (the Flux GitRepository) before the shards of Applications and
// Kustomizations.
const (
	WaveRootInit  = "0"
	WaveRootShard = "1"
)

// RootApplication is an Argo CD Application whose destination is the
// cluster Argo CD runs in, in the namespace of the Applications it syncs.
type RootApplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              RootApplicationSpec `json:"spec"`
}

type RootApplicationSpec struct {
	Project     string            `json:"project"`
	Source      ApplicationSource `json:"source"`
	Destination RootDestination   `json:"destination"`
	SyncPolicy  *SyncPolicy       `json:"syncPolicy,omitempty"`
}

type RootDestination struct {
	Server    string `json:"server"`
	Namespace string `json:"namespace"`
}

// RenderBootstrap returns the root objects of r given its GitOps objects
// gitopsObjs (what Render returned): for Argo CD an "app of apps"
// Application syncing <path>/<env>/gitops into Argo CD's own namespace;
// for Flux a Kustomization of the same path whose source is the
// flux-system GitRepository that flux bootstrap created for this
// repository. A platform without gitops gets nothing.
//
// When the GitOps objects exceed emit.MaxRootResources, emit.Build splits
// <env>/gitops into shards (emit.Roots, the function that decides the
// roots here too) and each engine gets one root object per shard instead,
// named <RootName>-<shard> with path <path>/<env>/gitops/<shard>: the
// Argo CD Application of the init shard in sync wave WaveRootInit, the
// others in WaveRootShard; the Flux Kustomizations of the hash shards
// depend on the init shard's.
func RenderBootstrap(r *model.Resolved, gitopsObjs []object.Object) ([]object.Object, error) {
	g := r.GitOps
	if g == nil {
		return nil, nil
	}
	gitopsPath := path.Join(g.Path, r.Env.Name, string(object.GitOps))
	type root struct{ name, path, shard string }
	roots := []root{{name: RootName(r), path: gitopsPath}}
	var synced []object.Object
	for _, o := range gitopsObjs {
		if o.Target == object.GitOps {
			synced = append(synced, o)
		}
	}
	// Render puts every GitOps object in one unit (""): its roots are
	// that unit whole, <env>/gitops, or its shards.
	if sorted := emit.SortedRoots(emit.Roots(synced)); len(sorted) > 0 && sorted[0].Shard != "" {
		roots = roots[:0]
		for _, rt := range sorted {
			roots = append(roots, root{name: RootName(r) + "-" + rt.Shard, path: path.Join(g.Path, r.Env.Name, rt.Dir()), shard: rt.Shard})
		}
	}
	hasInit := roots[0].shard == emit.InitShard
	origin := "gitops"
	var out []object.Object
	if g.Argo() {
		for _, rt := range roots {
			meta := metav1.ObjectMeta{Name: rt.name, Namespace: g.ArgoCD.Namespace}
			switch {
			case rt.shard == emit.InitShard:
				meta.Annotations = map[string]string{SyncWave: WaveRootInit}
			case rt.shard != "":
				meta.Annotations = map[string]string{SyncWave: WaveRootShard}
			}
			o, err := object.FromTyped(Bootstrap, "", origin, &RootApplication{
				TypeMeta:   metav1.TypeMeta{APIVersion: ArgoCDAPIVersion, Kind: "Application"},
				ObjectMeta: meta,
				Spec: RootApplicationSpec{
					Project:     g.ArgoCD.Project,
					Source:      ApplicationSource{RepoURL: g.RepoURL, Path: rt.path, TargetRevision: g.Branch},
					Destination: RootDestination{Server: InClusterServer, Namespace: g.ArgoCD.Namespace},
					SyncPolicy: &SyncPolicy{
						Automated:   &SyncPolicyAutomated{Prune: g.Prune, SelfHeal: g.SelfHeal},
						SyncOptions: []string{"ServerSideApply=true"},
					},
				},
			})
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	if g.UsesFlux() {
		src := CrossNamespaceRef{Kind: "GitRepository", Name: FluxBootstrapSource}
		if g.Flux.Namespace != FluxBootstrapSource {
			src.Namespace = FluxBootstrapSource
		}
		for _, rt := range roots {
			spec := KustomizationSpec{
				Interval:  g.Interval,
				Path:      "./" + rt.path,
				Prune:     g.Prune,
				SourceRef: src,
				Wait:      true,
				Timeout:   g.Flux.Timeout,
			}
			if hasInit && rt.shard != emit.InitShard {
				spec.DependsOn = []DependencyReference{{Name: roots[0].name}}
			}
			o, err := object.FromTyped(Bootstrap, "", origin, &Kustomization{
				TypeMeta:   metav1.TypeMeta{APIVersion: FluxKustomizeAPIVersion, Kind: "Kustomization"},
				ObjectMeta: metav1.ObjectMeta{Name: rt.name, Namespace: g.Flux.Namespace},
				Spec:       spec,
			})
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}
