package gitops

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Engines accepted in gitops.engine.
const (
	EngineArgoCD = "argocd"
	EngineFlux   = "flux"
	EngineBoth   = "both"
)

// SyncWave is the Argo CD annotation that orders resources inside one
// sync, and Applications inside an app-of-apps.
const SyncWave = "argocd.argoproj.io/sync-wave"

// Sync waves of the rendered ACK/ASM objects when Argo CD is in use:
// the platform unit (namespaces, storage, gateways, ASMKServeConfig)
// before everything else.
const (
	WavePlatform = "0"
	WaveOther    = "1"
)

// KubeConfigKey is the key of the kubeconfig in the <cluster>-kubeconfig
// Secrets that Flux Kustomizations use to reach remote API servers.
const KubeConfigKey = "value"

// ArgoSyncOptionsAnnotation carries per-resource Argo CD sync options.
const ArgoSyncOptionsAnnotation = "argocd.argoproj.io/sync-options"

// installedByASM are the API groups whose CRDs ASM installs into the ACK
// cluster (KServe through ASMKServeConfig, Gateway API for ambient).
var installedByASM = map[string]bool{"serving.kserve.io": true, "gateway.networking.k8s.io": true}

// ArgoSyncOptions are the syncOptions of every Argo CD Application.
var ArgoSyncOptions = []string{"CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"}

// ArgoRetry lets an automated sync that failed (typically a dry-run
// against KServe CRDs that ASMKServeConfig has not installed in ACK yet)
// be retried on the same revision; without it Argo CD does not retry.
var ArgoRetry = RetryStrategy{Limit: 5, Backoff: &Backoff{Duration: "30s", Factor: 2, MaxDuration: "5m"}}

// Unit is one sync unit: a directory <env>/<target>/<unit>.
type Unit struct {
	Target object.Target
	Name   string
}

func (u Unit) String() string { return string(u.Target) + "-" + u.Name }

// FluxOrder lists every unit with the units it depends on. One Flux
// Kustomization per unit: a CRD and its custom resources in the same
// Kustomization fail the dry-run (fluxcd/kustomize-controller#1194).
var FluxOrder = []struct {
	Unit      Unit
	DependsOn []Unit
}{
	{Unit{object.ASM, asm.UnitPlatform}, nil},
	// ASMKServeConfig (asm-platform) installs the KServe CRDs into ACK.
	{Unit{object.ACK, ack.UnitPlatform}, []Unit{{object.ASM, asm.UnitPlatform}}},
	{Unit{object.ACK, ack.UnitApps}, []Unit{{object.ACK, ack.UnitPlatform}}},
	// Routing points at hosts and subsets that ack-apps creates.
	{Unit{object.ASM, asm.UnitRouting}, []Unit{{object.ASM, asm.UnitPlatform}, {object.ACK, ack.UnitApps}}},
}

// ArgoOrder is the app-of-apps sync wave of each target's Application:
// ASM (whose platform unit creates the KServe CRDs in ACK) before ACK.
var ArgoOrder = []struct {
	Target object.Target
	Wave   string
}{
	{object.ASM, "-1"},
	{object.ACK, "0"},
}

// AsyncCRDs are CRDs that appear in a target only after another target's
// unit has been applied and reconciled: ASMKServeConfig on ASM makes ASM
// install KServe into ACK. The Flux Kustomization of the unit a consumer
// depends on gates on them with healthChecks.
var AsyncCRDs = map[schema.GroupKind]string{
	{Group: "serving.kserve.io", Kind: "InferenceService"}: "inferenceservices.serving.kserve.io",
	{Group: "serving.kserve.io", Kind: "ServingRuntime"}:   "servingruntimes.serving.kserve.io",
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Render returns the GitOps objects of r (target object.GitOps, written to
// <env>/gitops/) for the ACK and ASM objects objs. When Argo CD is in use
// it also annotates objs in place with their sync wave. An environment of
// a platform without gitops gets nothing.
func Render(r *model.Resolved, objs []object.Object) ([]object.Object, error) {
	g := r.GitOps
	if g == nil {
		return nil, nil
	}
	switch g.Engine {
	case EngineArgoCD, EngineFlux, EngineBoth:
	default:
		return nil, fmt.Errorf("gitops: unknown engine %q", g.Engine)
	}
	// Annotated first: the units and roots below hold copies of objs.
	if g.Argo() {
		for i := range objs {
			o := &objs[i]
			if o.Unit == ack.UnitPlatform { // same name in both targets
				o.Annotate(SyncWave, WavePlatform)
			} else {
				o.Annotate(SyncWave, WaveOther)
			}
			if installedByASM[o.GVK().Group] && o.Target == object.ACK {
				// Their CRDs appear in ACK only once ASM has acted on
				// ASMKServeConfig / ambient mode: let the first sync's dry
				// run pass, the retry policy applies them later.
				o.Annotate(ArgoSyncOptionsAnnotation, "SkipDryRunOnMissingResource=true")
			}
		}
	}
	units, err := group(objs)
	if err != nil {
		return nil, err
	}
	if err := checkPVCs(g, objs); err != nil {
		return nil, err
	}
	x := &renderer{r: r, g: g, units: units, roots: map[Unit][]emit.Root{}}
	rootObjs := emit.Roots(objs)
	for _, rt := range emit.SortedRoots(rootObjs) {
		u := Unit{rt.Target, rt.Unit}
		x.roots[u] = append(x.roots[u], rt)
		if rt.Shard != "" {
			x.sharded = true
		}
	}
	x.rootObjs = rootObjs
	if g.Argo() {
		x.argo()
	}
	if g.UsesFlux() {
		subst, err := substitutions(r, x.rootObjs)
		if err != nil {
			return nil, err
		}
		x.flux(subst)
	}
	return x.out, x.err
}

// group sorts the ACK/ASM objects by unit and refuses units that have no
// place in FluxOrder.
func group(objs []object.Object) (map[Unit][]object.Object, error) {
	known := map[Unit]bool{}
	for _, f := range FluxOrder {
		known[f.Unit] = true
	}
	units := map[Unit][]object.Object{}
	for _, o := range objs {
		u := Unit{o.Target, o.Unit}
		if !known[u] {
			return nil, fmt.Errorf("gitops: %s (from %s) is in unit %s/%s, which has no place in the sync order", o.ID(), o.Origin, o.Target, o.Unit)
		}
		units[u] = append(units[u], o)
	}
	return units, nil
}

// checkPVCs refuses to let a GitOps engine prune a PersistentVolumeClaim:
// with prune on, every PVC must opt out of it for each engine in use.
func checkPVCs(g *model.GitOps, objs []object.Object) error {
	if !g.Prune {
		return nil
	}
	for _, o := range objs {
		if o.Kind() != "PersistentVolumeClaim" || o.GVK().Group != "" {
			continue
		}
		md, _ := o.Body["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		if g.UsesFlux() && ann[ack.FluxPrune] != "disabled" {
			return fmt.Errorf("gitops: %s (from %s) would be pruned by Flux: it lacks %s: disabled", o.ID(), o.Origin, ack.FluxPrune)
		}
		if s, _ := ann[ack.ArgoSyncOptions].(string); g.Argo() && !hasOption(s, "Prune=false") {
			return fmt.Errorf("gitops: %s (from %s) would be pruned by Argo CD: %s lacks Prune=false", o.ID(), o.Origin, ack.ArgoSyncOptions)
		}
	}
	return nil
}

func hasOption(list, opt string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == opt {
			return true
		}
	}
	return false
}

// substitutions returns, by unit, the Secrets Flux substitutes ${VAR}
// placeholders from. Only SSO secrets are placeholders today; any other
// ${VAR} in the output is an error, since Flux would replace it too.
func substitutions(r *model.Resolved, roots map[emit.Root][]object.Object) (map[emit.Root][]SubstituteReference, error) {
	keys := map[string]bool{}
	var refs []SubstituteReference
	if r.SSO != nil {
		seen := map[string]bool{}
		for _, s := range []model.SecretRef{r.SSO.ClientSecret, r.SSO.CookieSecret} {
			keys[s.SecretRef.Key] = true
			if !seen[s.SecretRef.Name] {
				seen[s.SecretRef.Name] = true
				refs = append(refs, SubstituteReference{Kind: "Secret", Name: s.SecretRef.Name})
			}
		}
	}
	out := map[emit.Root][]SubstituteReference{}
	for _, rt := range emit.SortedRoots(roots) {
		for _, o := range roots[rt] {
			if !o.MayHoldPlaceholder() {
				continue
			}
			var unknown []string
			eachString(o.Body, func(s string) {
				if !strings.Contains(s, object.Placeholder) {
					return
				}
				for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
					if !keys[m[1]] {
						unknown = append(unknown, m[0])
					}
					out[rt] = refs
				}
			})
			if len(unknown) > 0 {
				slices.Sort(unknown)
				return nil, fmt.Errorf("gitops: %s (from %s) carries %s, which no sso secretRef key provides", o.ID(), o.Origin, strings.Join(slices.Compact(unknown), ", "))
			}
		}
	}
	return out, nil
}

// eachString calls f with every string of a JSON value: keys and values.
func eachString(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			f(k)
			eachString(c, f)
		}
	case []any:
		for _, c := range v {
			eachString(c, f)
		}
	case string:
		f(v)
	}
}

type renderer struct {
	r     *model.Resolved
	g     *model.GitOps
	units map[Unit][]object.Object
	// roots are the kustomization roots of each unit (emit.Roots): the
	// unit itself, or its shards, init shard first.
	roots    map[Unit][]emit.Root
	rootObjs map[emit.Root][]object.Object
	// sharded is set when some unit is split into shards: Argo CD then
	// gets one Application per root instead of one per target.
	sharded bool
	out     []object.Object
	err     error
}

func (x *renderer) add(origin string, v any) {
	if x.err != nil {
		return
	}
	o, err := object.FromTyped(object.GitOps, "", origin, v)
	if err != nil {
		x.err = err
		return
	}
	x.out = append(x.out, o)
}

// base is the name prefix of every GitOps object of the environment.
func (x *renderer) base() string { return x.r.Name + "-" + x.r.Env.Name }

func (x *renderer) cluster(t object.Target) model.Cluster {
	if t == object.ASM {
		return x.r.Env.Clusters.ASM
	}
	return x.r.Env.Clusters.ACK
}

func (x *renderer) clusterPath(t object.Target) string {
	return model.Path("environments", x.r.Env.Name, "clusters", string(t))
}

func (x *renderer) hasTarget(t object.Target) bool {
	for u := range x.units {
		if u.Target == t {
			return true
		}
	}
	return false
}

// argo emits one Application per target, ASM first; when a unit is
// sharded, one Application per kustomization root instead (argoRoots).
func (x *renderer) argo() {
	if x.sharded {
		x.argoRoots()
		return
	}
	for _, a := range ArgoOrder {
		if !x.hasTarget(a.Target) {
			continue
		}
		x.application(a.Target, x.base()+"-"+string(a.Target), path.Join(x.g.Path, x.r.Env.Name, string(a.Target)), a.Wave)
	}
}

// argoRoots emits one Application per kustomization root, with the sync
// wave of its place in FluxOrder for an app-of-apps: the roots of the
// n-th unit get wave 2n+1, and the init shard of a sharded unit (its
// Namespaces and CRDs) 2n, so it syncs before the unit's other shards.
func (x *renderer) argoRoots() {
	for i, f := range FluxOrder {
		for _, rt := range x.roots[f.Unit] {
			wave := 2*i + 1
			if rt.Shard == emit.InitShard {
				wave = 2 * i
			}
			x.application(rt.Target, x.base()+"-"+rt.String(), path.Join(x.g.Path, x.r.Env.Name, rt.Dir()), strconv.Itoa(wave))
		}
	}
}

func (x *renderer) application(t object.Target, name, src, wave string) {
	if x.err != nil {
		return
	}
	c := x.cluster(t)
	dest := ApplicationDestination{Server: c.Server}
	if dest.Server == "" {
		dest.Name = c.Name
	}
	if dest.Server == "" && dest.Name == "" {
		x.err = fmt.Errorf("gitops: %s has neither server nor name", x.clusterPath(t))
		return
	}
	retry := ArgoRetry
	x.add(x.clusterPath(t), &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: ArgoCDAPIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   x.g.ArgoCD.Namespace,
			Annotations: map[string]string{SyncWave: wave},
		},
		Spec: ApplicationSpec{
			Project: x.g.ArgoCD.Project,
			Source: ApplicationSource{
				RepoURL:        x.g.RepoURL,
				Path:           src,
				TargetRevision: x.g.Branch,
			},
			Destination: dest,
			SyncPolicy: &SyncPolicy{
				Automated:   &SyncPolicyAutomated{Prune: x.g.Prune, SelfHeal: x.g.SelfHeal},
				SyncOptions: append([]string(nil), ArgoSyncOptions...),
				Retry:       &retry,
			},
		},
	})
}

// flux emits the GitRepository and one Kustomization per kustomization
// root: per unit, or per shard of a sharded unit. A root depends on every
// root of the units its unit depends on; the shards of a sharded unit
// also depend on the unit's init shard.
func (x *renderer) flux(subst map[emit.Root][]SubstituteReference) {
	src := x.base()
	x.add("gitops", &GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: FluxSourceAPIVersion, Kind: "GitRepository"},
		ObjectMeta: metav1.ObjectMeta{Name: src, Namespace: x.g.Flux.Namespace},
		Spec: GitRepositorySpec{
			URL:      x.g.RepoURL,
			Interval: x.g.Interval,
			Ref:      &GitReference{Branch: x.g.Branch},
		},
	})
	for _, f := range FluxOrder {
		if len(x.units[f.Unit]) == 0 {
			continue
		}
		c := x.cluster(f.Unit.Target)
		if c.Name == "" {
			x.err = fmt.Errorf("gitops: %s has no name to find its kubeconfig Secret by", x.clusterPath(f.Unit.Target))
			return
		}
		var deps []DependencyReference
		for _, d := range x.dependsOn(f.DependsOn) {
			for _, rt := range x.roots[d] {
				deps = append(deps, DependencyReference{Name: x.kustomizationName(rt)})
			}
		}
		crds := x.gatedCRDs(f.Unit)
		for _, rt := range x.roots[f.Unit] {
			spec := KustomizationSpec{
				Interval:   x.g.Interval,
				Path:       "./" + path.Join(x.g.Path, x.r.Env.Name, rt.Dir()),
				Prune:      x.g.Prune,
				SourceRef:  CrossNamespaceRef{Kind: "GitRepository", Name: src},
				Wait:       true,
				Timeout:    x.g.Flux.Timeout,
				KubeConfig: &KubeConfigReference{SecretRef: SecretKeyReference{Name: c.Name + "-kubeconfig", Key: KubeConfigKey}},
			}
			spec.DependsOn = append(spec.DependsOn, deps...)
			if rt.Shard != "" && rt.Shard != emit.InitShard {
				if init := (emit.Root{Target: rt.Target, Unit: rt.Unit, Shard: emit.InitShard}); len(x.rootObjs[init]) > 0 {
					spec.DependsOn = append(spec.DependsOn, DependencyReference{Name: x.kustomizationName(init)})
				}
			}
			if len(crds) > 0 {
				// wait: true ignores healthChecks, so list the root's own
				// objects (what wait checks) and the CRDs its dependents need.
				spec.Wait = false
				for _, o := range emit.Sort(x.rootObjs[rt]) {
					if o.Kind() == "PersistentVolumeClaim" {
						// With a WaitForFirstConsumer storage class the PVC
						// binds only when its first consumer (the loader Job,
						// in a dependent unit) runs: gating on it would deadlock.
						continue
					}
					spec.HealthChecks = append(spec.HealthChecks, HealthCheckRef{
						APIVersion: o.APIVersion(), Kind: o.Kind(), Name: o.Name(), Namespace: o.Namespace()})
				}
				for _, n := range crds {
					spec.HealthChecks = append(spec.HealthChecks, HealthCheckRef{
						APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition", Name: n})
				}
			}
			if refs := subst[rt]; len(refs) > 0 {
				spec.PostBuild = &PostBuild{SubstituteFrom: append([]SubstituteReference(nil), refs...)}
			}
			x.add(x.clusterPath(f.Unit.Target), &Kustomization{
				TypeMeta:   metav1.TypeMeta{APIVersion: FluxKustomizeAPIVersion, Kind: "Kustomization"},
				ObjectMeta: metav1.ObjectMeta{Name: x.kustomizationName(rt), Namespace: x.g.Flux.Namespace},
				Spec:       spec,
			})
		}
	}
}

func (x *renderer) kustomizationName(rt emit.Root) string { return x.base() + "-" + rt.String() }

// dependsOn returns the rendered units among deps; a dependency without
// objects is replaced by its own dependencies, so the order holds when a
// unit is empty.
func (x *renderer) dependsOn(deps []Unit) []Unit {
	var out []Unit
	seen := map[Unit]bool{}
	var visit func(u Unit)
	visit = func(u Unit) {
		if seen[u] {
			return
		}
		seen[u] = true
		if len(x.units[u]) > 0 {
			out = append(out, u)
			return
		}
		for _, f := range FluxOrder {
			if f.Unit == u {
				for _, d := range f.DependsOn {
					visit(d)
				}
			}
		}
	}
	for _, d := range deps {
		visit(d)
	}
	return out
}

// gatedCRDs returns the AsyncCRDs that units depending on u, on u's
// target, create custom resources of: u must not report ready before
// they exist.
func (x *renderer) gatedCRDs(u Unit) []string {
	set := map[string]bool{}
	for _, f := range FluxOrder {
		if f.Unit.Target != u.Target {
			continue
		}
		for _, d := range x.dependsOn(f.DependsOn) {
			if d != u {
				continue
			}
			for _, o := range x.units[f.Unit] {
				if n, ok := AsyncCRDs[o.GVK().GroupKind()]; ok {
					set[n] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
