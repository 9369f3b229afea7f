package gitops_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
)

// fixture is a small platform with one gateway, one model, one service
// with a variant, SSO, and the given GitOps settings (nil: no gitops).
func fixture(g *model.GitOps, sso *model.SSO) *model.Resolved {
	one := int32(1)
	p := model.Platform{
		Name:       "demo",
		Namespaces: model.Namespaces{App: "app", Models: "models"},
		Mesh:       model.Mesh{Mode: "ambient", IstioVersion: "1.22", ASMVersion: "1.22.6"},
		Gateways: map[string]model.Gateway{
			"ingressgateway": {Name: "ingressgateway", ServiceType: "ClusterIP", Public: true,
				Ports: []model.GatewayPort{{Name: "http-80", Port: 80, Protocol: "HTTP"}, {Name: "grpc-8008", Port: 8008, Protocol: "GRPC"}}},
		},
		Runtimes: map[string]model.Runtime{
			"triton": {Name: "triton", SupportedFormats: []model.SupportedFormat{{Name: "tensorflow", AutoSelect: true}},
				GRPCMaxMessageBytes: 16 << 20, MemBufferBytes: 1 << 20},
		},
		Models: map[string]model.Model{
			"tf-demo": {Name: "tf-demo", Format: "tensorflow", Storage: model.Storage{Path: "tf-demo/"},
				Inputs:  []model.Tensor{{Name: "in", DataType: "FP32", Shape: []int64{1, 3}}},
				Outputs: []model.Tensor{{Name: "out", DataType: "FP32", Shape: []int64{1, 3}}}},
		},
		Services: map[string]model.Service{
			"web": {Name: "web", ServiceAccount: "web", Port: 8000, Replicas: &one, VariantLabel: "variant",
				Env: map[string]string{},
				Variants: map[string]model.Variant{
					"tf": {Name: "tf", Image: "example.com/web:1.0.0", Model: "tf-demo", Replicas: &one},
				},
				Exposure: &model.Exposure{Gateway: "ingressgateway", GatewayObject: "web-gateway", VirtualService: "web-vs",
					Ports: []int32{80}, Hosts: []string{"web.example.com"}},
			},
		},
		SSO: sso,
		ModelServing: model.ModelServing{
			Namespace: "models", KServeTag: "v0.12.0", ServiceName: "modelmesh-serving", GRPCPort: 8033,
			Gateway: "ingressgateway", Port: 8008,
			Objects: model.ModelServingObjects{Gateway: "grpc-gateway", VirtualService: "vs-mm", DestinationRule: "dr-mm",
				Transcoder: "transcoder", BufferFilter: "buffer"},
			HeaderPrefix: "x-model-", SubsetKeyPrefix: "model", FallbackPolicy: "NO_FALLBACK", MemoryFit: "warn",
			TranscoderDescriptor: "descriptor",
			PVC:                  model.PVC{Name: "models-pvc", StorageClass: "nas", Size: "10Gi", AccessModes: []string{"ReadWriteMany"}},
		},
		GitOps: g,
	}
	return &model.Resolved{
		Platform: p,
		Env: model.Environment{Name: "dev", Clusters: model.Clusters{
			ACK: model.Cluster{ID: "c0ack", Server: "https://ack.example:6443", Name: "ack-dev"},
			ASM: model.Cluster{ID: "c0asm", Server: "https://asm.example:6443", Name: "asm-dev"},
		}},
		Origin: map[string]string{},
	}
}

func gitopsConfig(engine string) *model.GitOps {
	return &model.GitOps{Engine: engine, RepoURL: "https://example.com/repo.git", Branch: "main", Path: "overlays",
		Interval: "5m", Prune: true, SelfHeal: true,
		ArgoCD: model.ArgoCDConfig{Namespace: "argocd", Project: "default"},
		Flux:   model.FluxConfig{Namespace: "flux-system", Timeout: "5m"}}
}

func ssoConfig(clientSecret, cookieSecret string) *model.SSO {
	return &model.SSO{Provider: "idaas", PolicyName: "oidc", Issuer: "https://idp.example/oidc",
		JWKSURI: "https://idp.example/oidc/jwks", ClientID: "client",
		ClientSecret: model.SecretRef{SecretRef: model.SecretKeyRef{Name: clientSecret, Key: "OIDC_CLIENT_SECRET"}},
		CookieSecret: model.SecretRef{SecretRef: model.SecretKeyRef{Name: cookieSecret, Key: "OIDC_COOKIE_SECRET"}},
		Scopes:       []string{"openid"}, Gateway: "ingressgateway", RedirectProtocol: "https", RedirectHost: "web.example.com",
		Claims: []model.ClaimHeader{{Claim: "user_type", Header: "x-user-class"}}}
}

// renderTargets renders the ACK and ASM objects of r.
func renderTargets(t *testing.T, r *model.Resolved) []object.Object {
	t.Helper()
	var objs []object.Object
	pool := object.NewPool() // shared bodies: Render's annotations copy on write
	for _, render := range []func(*model.Resolved, *object.Pool) ([]object.Object, error){ack.Render, asm.Render} {
		o, err := render(r, pool)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		objs = append(objs, o...)
	}
	return objs
}

func annotations(o object.Object) map[string]any {
	md, _ := o.Body["metadata"].(map[string]any)
	a, _ := md["annotations"].(map[string]any)
	return a
}

func kindCount(objs []object.Object) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		out[o.Kind()]++
	}
	return out
}

// decode strictly decodes a rendered object into one of our typed kinds.
func decode[T any](t *testing.T, o object.Object) T {
	t.Helper()
	var v T
	strict(t, o, &v)
	return v
}

func strict(t *testing.T, o object.Object, v any) {
	t.Helper()
	b, err := json.Marshal(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: strict decode into %T: %v", o.ID(), v, err)
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name      string
		engine    string
		sso       *model.SSO
		wantKinds map[string]int
		wantSubst []string // asm-routing substituteFrom Secret names
	}{
		{name: "argocd", engine: "argocd", sso: ssoConfig("oidc", "oidc"),
			wantKinds: map[string]int{"Application": 2}},
		{name: "flux", engine: "flux", sso: ssoConfig("oidc", "oidc"),
			wantKinds: map[string]int{"GitRepository": 1, "Kustomization": 4}, wantSubst: []string{"oidc"}},
		{name: "flux two secrets", engine: "flux", sso: ssoConfig("oidc-client", "oidc-cookie"),
			wantKinds: map[string]int{"GitRepository": 1, "Kustomization": 4}, wantSubst: []string{"oidc-client", "oidc-cookie"}},
		{name: "flux without sso", engine: "flux",
			wantKinds: map[string]int{"GitRepository": 1, "Kustomization": 4}},
		{name: "both", engine: "both", sso: ssoConfig("oidc", "oidc"),
			wantKinds: map[string]int{"Application": 2, "GitRepository": 1, "Kustomization": 4}, wantSubst: []string{"oidc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture(gitopsConfig(tc.engine), tc.sso)
			objs := renderTargets(t, r)
			out, err := gitops.Render(r, objs)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got := kindCount(out); !reflect.DeepEqual(got, tc.wantKinds) {
				t.Errorf("kinds = %v, want %v", got, tc.wantKinds)
			}
			for _, o := range out {
				if o.Target != object.GitOps || o.Unit != "" || o.Origin == "" {
					t.Errorf("%s: target %q unit %q origin %q, want gitops, no unit, an origin", o.ID(), o.Target, o.Unit, o.Origin)
				}
			}
			argo := r.GitOps.Argo()
			checkPVC(t, objs)
			checkWaves(t, objs, argo)
			if argo {
				checkApplications(t, out)
			}
			if r.GitOps.UsesFlux() {
				checkFlux(t, out, tc.wantSubst)
			}
			checkKustomizeBuild(t, r.Env.Name, out, len(out))
		})
	}
}

// checkPVC: the model PVC opts out of pruning for both engines.
func checkPVC(t *testing.T, objs []object.Object) {
	t.Helper()
	n := 0
	for _, o := range objs {
		if o.Kind() != "PersistentVolumeClaim" {
			continue
		}
		n++
		a := annotations(o)
		if a[ack.FluxPrune] != "disabled" {
			t.Errorf("%s: %s = %v, want disabled", o.ID(), ack.FluxPrune, a[ack.FluxPrune])
		}
		if s, _ := a[ack.ArgoSyncOptions].(string); !strings.Contains(s, "Prune=false") {
			t.Errorf("%s: %s = %q, want Prune=false", o.ID(), ack.ArgoSyncOptions, s)
		}
	}
	if n != 1 {
		t.Errorf("%d PVCs, want 1", n)
	}
}

// checkWaves: with Argo CD every ACK/ASM object has a sync wave, "0" in
// platform units; without it none has.
func checkWaves(t *testing.T, objs []object.Object, argo bool) {
	t.Helper()
	for _, o := range objs {
		got, ok := annotations(o)[gitops.SyncWave]
		if !argo {
			if ok {
				t.Errorf("%s: sync wave %v without Argo CD", o.ID(), got)
			}
			continue
		}
		want := gitops.WaveOther
		if o.Unit == "platform" {
			want = gitops.WavePlatform
		}
		if got != want {
			t.Errorf("%s (%s/%s): sync wave %v, want %s", o.ID(), o.Target, o.Unit, got, want)
		}
	}
}

func checkApplications(t *testing.T, out []object.Object) {
	t.Helper()
	wantWave := map[string]string{"demo-dev-asm": "-1", "demo-dev-ack": "0"}
	wantServer := map[string]string{"demo-dev-asm": "https://asm.example:6443", "demo-dev-ack": "https://ack.example:6443"}
	wantPath := map[string]string{"demo-dev-asm": "overlays/dev/asm", "demo-dev-ack": "overlays/dev/ack"}
	seen := 0
	for _, o := range out {
		if o.Kind() != "Application" {
			continue
		}
		seen++
		a := decode[gitops.Application](t, o)
		if a.APIVersion != gitops.ArgoCDAPIVersion || a.Namespace != "argocd" || a.Spec.Project != "default" {
			t.Errorf("%s: apiVersion %s namespace %s project %s", o.ID(), a.APIVersion, a.Namespace, a.Spec.Project)
		}
		if a.Annotations[gitops.SyncWave] != wantWave[a.Name] {
			t.Errorf("%s: wave %q, want %q", a.Name, a.Annotations[gitops.SyncWave], wantWave[a.Name])
		}
		if a.Spec.Destination.Server != wantServer[a.Name] || a.Spec.Destination.Name != "" {
			t.Errorf("%s: destination %+v", a.Name, a.Spec.Destination)
		}
		src := a.Spec.Source
		if src.Path != wantPath[a.Name] || src.RepoURL != "https://example.com/repo.git" || src.TargetRevision != "main" {
			t.Errorf("%s: source %+v", a.Name, src)
		}
		sp := a.Spec.SyncPolicy
		if sp == nil || sp.Automated == nil || !sp.Automated.Prune || !sp.Automated.SelfHeal {
			t.Fatalf("%s: syncPolicy %+v", a.Name, sp)
		}
		if want := []string{"CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"}; !reflect.DeepEqual(sp.SyncOptions, want) {
			t.Errorf("%s: syncOptions %v, want %v", a.Name, sp.SyncOptions, want)
		}
	}
	if seen != 2 {
		t.Errorf("%d Applications, want 2", seen)
	}
}

func checkFlux(t *testing.T, out []object.Object, wantSubst []string) {
	t.Helper()
	deps := map[string][]string{}
	for _, o := range out {
		switch o.Kind() {
		case "GitRepository":
			var up sourcev1.GitRepository
			strict(t, o, &up)
			g := decode[gitops.GitRepository](t, o)
			if up.Spec.URL != "https://example.com/repo.git" || up.Spec.Reference == nil || up.Spec.Reference.Branch != "main" ||
				up.Spec.Interval.Duration.String() != "5m0s" || g.Name != "demo-dev" || g.Namespace != "flux-system" {
				t.Errorf("GitRepository: %+v", g)
			}
		case "Kustomization":
			var up kustomizev1.Kustomization
			strict(t, o, &up)
			k := decode[gitops.Kustomization](t, o)
			unit := strings.TrimPrefix(k.Name, "demo-dev-")
			if k.Namespace != "flux-system" || !k.Spec.Prune || k.Spec.SourceRef != (gitops.CrossNamespaceRef{Kind: "GitRepository", Name: "demo-dev"}) {
				t.Errorf("%s: namespace %s prune %v sourceRef %+v", k.Name, k.Namespace, k.Spec.Prune, k.Spec.SourceRef)
			}
			if want := "./overlays/dev/" + strings.Replace(unit, "-", "/", 1); k.Spec.Path != want || up.Spec.Path != want {
				t.Errorf("%s: path %q, want %q", k.Name, k.Spec.Path, want)
			}
			if up.Spec.Timeout == nil || up.Spec.Timeout.Duration.String() != "5m0s" || up.Spec.Interval.Duration.String() != "5m0s" {
				t.Errorf("%s: timeout %v interval %v", k.Name, up.Spec.Timeout, up.Spec.Interval)
			}
			cluster := strings.SplitN(unit, "-", 2)[0] + "-dev"
			if kc := up.Spec.KubeConfig; kc == nil || kc.SecretRef == nil || kc.SecretRef.Name != cluster+"-kubeconfig" || kc.SecretRef.Key != "value" {
				t.Errorf("%s: kubeConfig %+v, want secret %s-kubeconfig key value", k.Name, kc, cluster)
			}
			for _, d := range k.Spec.DependsOn {
				deps[unit] = append(deps[unit], strings.TrimPrefix(d.Name, "demo-dev-"))
			}
			var subst []string
			if k.Spec.PostBuild != nil {
				for _, s := range k.Spec.PostBuild.SubstituteFrom {
					if s.Kind != "Secret" {
						t.Errorf("%s: substituteFrom kind %s", k.Name, s.Kind)
					}
					subst = append(subst, s.Name)
				}
			}
			want := []string(nil)
			if unit == "asm-routing" {
				want = wantSubst
			}
			if !reflect.DeepEqual(subst, want) {
				t.Errorf("%s: substituteFrom %v, want %v", k.Name, subst, want)
			}
			switch unit {
			case "ack-platform":
				// wait would ignore healthChecks: gate on the KServe CRD.
				if up.Spec.Wait || !hasCRDCheck(up, "inferenceservices.serving.kserve.io") {
					t.Errorf("%s: wait %v healthChecks %+v, want no wait and the InferenceService CRD", k.Name, up.Spec.Wait, up.Spec.HealthChecks)
				}
			default:
				if !up.Spec.Wait || len(up.Spec.HealthChecks) != 0 {
					t.Errorf("%s: wait %v healthChecks %v, want wait and no healthChecks", k.Name, up.Spec.Wait, up.Spec.HealthChecks)
				}
			}
		}
	}
	want := map[string][]string{
		"ack-platform": {"asm-platform"},
		"ack-apps":     {"ack-platform"},
		"asm-routing":  {"asm-platform", "ack-apps"},
	}
	if !reflect.DeepEqual(deps, want) {
		t.Errorf("dependsOn = %v, want %v", deps, want)
	}
	checkAcyclic(t, deps, "asm-platform")
}

func hasCRDCheck(k kustomizev1.Kustomization, name string) bool {
	for _, h := range k.Spec.HealthChecks {
		if h.Kind == "CustomResourceDefinition" && h.APIVersion == "apiextensions.k8s.io/v1" && h.Name == name {
			return true
		}
	}
	return false
}

// checkAcyclic: the dependsOn graph has no cycle and every unit reaches
// root.
func checkAcyclic(t *testing.T, deps map[string][]string, root string) {
	t.Helper()
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case visiting:
			t.Errorf("dependsOn cycle: %v", append(path, n))
			return false
		case done:
			return true
		}
		state[n] = visiting
		if len(deps[n]) == 0 && n != root {
			t.Errorf("%s has no dependency but is not the root %s", n, root)
		}
		for _, d := range deps[n] {
			visit(d, append(path, n))
		}
		state[n] = done
		return true
	}
	nodes := make([]string, 0, len(deps))
	for n := range deps {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		visit(n, nil)
	}
}

// checkKustomizeBuild: <env>/gitops is a kustomization root that
// kustomize builds, with every GitOps object in it.
func checkKustomizeBuild(t *testing.T, env string, out []object.Object, want int) {
	t.Helper()
	tree, err := emit.Build(env, out)
	if err != nil {
		t.Fatalf("emit.Build: %v", err)
	}
	if _, ok := tree[env+"/gitops/kustomization.yaml"]; !ok {
		t.Fatalf("no %s/gitops/kustomization.yaml in %v", env, tree.Paths())
	}
	fs := filesys.MakeFsInMemory()
	for _, p := range tree.Paths() {
		if err := fs.WriteFile("/"+p, tree[p]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/"+env+"/gitops")
	if err != nil {
		t.Fatalf("kustomize build %s/gitops: %v", env, err)
	}
	if got := len(m.Resources()); got != want {
		t.Errorf("kustomize build %s/gitops: %d resources, want %d", env, got, want)
	}
}

func TestRenderWithoutGitOps(t *testing.T) {
	r := fixture(nil, ssoConfig("oidc", "oidc"))
	objs := renderTargets(t, r)
	out, err := gitops.Render(r, objs)
	if err != nil || len(out) != 0 {
		t.Fatalf("Render = %d objects, %v; want none", len(out), err)
	}
	checkWaves(t, objs, false)
}

// An empty unit is skipped and its dependents inherit its dependencies.
func TestRenderMissingUnit(t *testing.T) {
	r := fixture(gitopsConfig("flux"), nil)
	var objs []object.Object
	for _, o := range renderTargets(t, r) {
		if o.Target == object.ACK && o.Unit == ack.UnitApps {
			continue
		}
		objs = append(objs, o)
	}
	out, err := gitops.Render(r, objs)
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][]string{}
	for _, o := range out {
		if o.Kind() != "Kustomization" {
			continue
		}
		k := decode[gitops.Kustomization](t, o)
		deps[k.Name] = nil
		for _, d := range k.Spec.DependsOn {
			deps[k.Name] = append(deps[k.Name], d.Name)
		}
		if k.Name == "demo-dev-ack-platform" && (!k.Spec.Wait || len(k.Spec.HealthChecks) != 0) {
			t.Errorf("ack-platform without KServe dependents: wait %v healthChecks %v", k.Spec.Wait, k.Spec.HealthChecks)
		}
	}
	want := map[string][]string{
		"demo-dev-asm-platform": nil,
		"demo-dev-ack-platform": {"demo-dev-asm-platform"},
		"demo-dev-asm-routing":  {"demo-dev-asm-platform", "demo-dev-ack-platform"},
	}
	if !reflect.DeepEqual(deps, want) {
		t.Errorf("dependsOn = %v, want %v", deps, want)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		engine string
		edit   func([]object.Object) []object.Object
		want   string
	}{
		{name: "unknown engine", engine: "jenkins", want: "unknown engine"},
		{name: "prunable PVC with flux", engine: "flux", want: "would be pruned by Flux",
			edit: func(objs []object.Object) []object.Object {
				for _, o := range objs {
					if o.Kind() == "PersistentVolumeClaim" {
						delete(annotations(o), ack.FluxPrune)
					}
				}
				return objs
			}},
		{name: "prunable PVC with argocd", engine: "argocd", want: "would be pruned by Argo CD",
			edit: func(objs []object.Object) []object.Object {
				for _, o := range objs {
					if o.Kind() == "PersistentVolumeClaim" {
						annotations(o)[ack.ArgoSyncOptions] = "Delete=false"
					}
				}
				return objs
			}},
		{name: "unknown unit", engine: "flux", want: "has no place in the sync order",
			edit: func(objs []object.Object) []object.Object {
				objs[0].Unit = "extras"
				return objs
			}},
		{name: "unknown placeholder", engine: "flux", want: "${OTHER_SECRET}",
			edit: func(objs []object.Object) []object.Object {
				objs[0].Annotate("x", "${OTHER_SECRET}")
				return objs
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture(gitopsConfig(tc.engine), ssoConfig("oidc", "oidc"))
			objs := renderTargets(t, r)
			for _, o := range objs {
				if annotations(o) == nil {
					o.Body["metadata"].(map[string]any)["annotations"] = map[string]any{}
				}
			}
			if tc.edit != nil {
				objs = tc.edit(objs)
			}
			_, err := gitops.Render(r, objs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// With prune off no PVC check applies.
func TestRenderPruneOff(t *testing.T) {
	g := gitopsConfig("both")
	g.Prune = false
	r := fixture(g, nil)
	objs := renderTargets(t, r)
	for _, o := range objs {
		if o.Kind() == "PersistentVolumeClaim" {
			delete(annotations(o), ack.FluxPrune)
		}
	}
	out, err := gitops.Render(r, objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		switch o.Kind() {
		case "Kustomization":
			if decode[gitops.Kustomization](t, o).Spec.Prune {
				t.Errorf("%s prunes with gitops.prune false", o.Name())
			}
		case "Application":
			if decode[gitops.Application](t, o).Spec.SyncPolicy.Automated.Prune {
				t.Errorf("%s prunes with gitops.prune false", o.Name())
			}
		}
	}
}
