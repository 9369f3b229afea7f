package gitops

import (
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Bootstrap is the target of the root objects: <env>/bootstrap/ holds the
// one object per engine that a platform engineer applies once to the
// management cluster. After that, every change arrives through Git: the
// root object syncs <env>/gitops/, whose Applications or Kustomizations
// sync <env>/ack/ and <env>/asm/.
const Bootstrap object.Target = "bootstrap"

// InClusterServer is Argo CD's name for the cluster it runs in.
const InClusterServer = "https://kubernetes.default.svc"

// FluxBootstrapSource is the GitRepository that flux bootstrap creates
// (namespace and name flux-system).
const FluxBootstrapSource = "flux-system"

// RootName is the name of the root objects of an environment.
func RootName(r *model.Resolved) string { return r.Name + "-" + r.Env.Name + "-root" }

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

// RenderBootstrap returns the root objects of r: for Argo CD an "app of
// apps" Application syncing <path>/<env>/gitops into Argo CD's own
// namespace; for Flux a Kustomization of the same path whose source is the
// flux-system GitRepository that flux bootstrap created for this
// repository. A platform without gitops gets nothing.
func RenderBootstrap(r *model.Resolved) ([]object.Object, error) {
	g := r.GitOps
	if g == nil {
		return nil, nil
	}
	gitopsPath := path.Join(g.Path, r.Env.Name, string(object.GitOps))
	origin := "gitops"
	var out []object.Object
	if g.Argo() {
		o, err := object.FromTyped(Bootstrap, "", origin, &RootApplication{
			TypeMeta:   metav1.TypeMeta{APIVersion: ArgoCDAPIVersion, Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: RootName(r), Namespace: g.ArgoCD.Namespace},
			Spec: RootApplicationSpec{
				Project:     g.ArgoCD.Project,
				Source:      ApplicationSource{RepoURL: g.RepoURL, Path: gitopsPath, TargetRevision: g.Branch},
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
	if g.UsesFlux() {
		src := CrossNamespaceRef{Kind: "GitRepository", Name: FluxBootstrapSource}
		if g.Flux.Namespace != FluxBootstrapSource {
			src.Namespace = FluxBootstrapSource
		}
		o, err := object.FromTyped(Bootstrap, "", origin, &Kustomization{
			TypeMeta:   metav1.TypeMeta{APIVersion: FluxKustomizeAPIVersion, Kind: "Kustomization"},
			ObjectMeta: metav1.ObjectMeta{Name: RootName(r), Namespace: g.Flux.Namespace},
			Spec: KustomizationSpec{
				Interval:  g.Interval,
				Path:      "./" + gitopsPath,
				Prune:     g.Prune,
				SourceRef: src,
				Wait:      true,
				Timeout:   g.Flux.Timeout,
			},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
