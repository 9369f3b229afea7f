package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/aimesh/aimesh/generator/cli"
	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/diff"
	"github.com/aimesh/aimesh/generator/kubetest"
	"github.com/aimesh/aimesh/generator/live"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
	crdschema "github.com/aimesh/aimesh/generator/validate/schema"
)

// One API server for the whole package; tests only dry-run, or apply the
// prod objects (TestDiff) or objects in namespaces of their own.
func TestMain(m *testing.M) { kubetest.Main(m) }

// BaseNamespaces are the namespaces the platform assumes exist: ASM's
// istio-system, and those of the GitOps engines.
var BaseNamespaces = []string{"istio-system", "flux-system", "argocd"}

// shared is the state every test builds on: the server (started by the
// first test that asks), the CRDs and base namespaces installed once, and
// how long each took.
var shared struct {
	mu      sync.Mutex
	server  *kubetest.Server
	client  *live.Client
	startup time.Duration
	crds    time.Duration
	nCRDs   int
}

// setup returns the shared server with every vendored CRD (test-only
// VirtualService/DestinationRule variants included) established and the
// base namespaces created.
func setup(t *testing.T) (*kubetest.Server, *live.Client) {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	began := time.Now()
	srv := kubetest.RequireServer(t)
	if shared.server == nil {
		shared.server = srv
		shared.startup = time.Since(began)
	}
	if shared.client != nil {
		return srv, shared.client
	}
	c, err := live.NewClient(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := crdschema.CRDs(true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began = time.Now()
	cs, err := c.Apply(ctx, crds, live.ApplyOptions{Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("installing %d CRDs: %v", len(crds), err)
	}
	shared.crds = time.Since(began)
	shared.nCRDs = len(crds)
	if len(cs.Entries) != len(crds) {
		t.Fatalf("installed %d CRDs, applied %d", len(crds), len(cs.Entries))
	}
	if _, err := c.Apply(ctx, namespaces(BaseNamespaces...), live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	shared.client = c
	return srv, c
}

func namespaces(names ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, n := range names {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("Namespace")
		u.SetName(n)
		out = append(out, u)
	}
	return out
}

var compiled struct {
	once sync.Once
	res  *compile.Result
	err  error
}

// reference compiles the repository's platform (all environments) once.
func reference(t testing.TB) *compile.Result {
	t.Helper()
	compiled.once.Do(func() {
		compiled.res, compiled.err = compile.Compile(compile.Options{Load: load.Options{Root: repoRoot()}})
	})
	if compiled.err != nil {
		t.Fatal(compiled.err)
	}
	return compiled.res
}

var targets = []object.Target{object.ACK, object.ASM, object.GitOps}

// of returns the objects of one env and target, in emit order.
func of(t testing.TB, env string, target object.Target) []object.Object {
	t.Helper()
	var out []object.Object
	for _, o := range reference(t).Objects[env] {
		if o.Target == target {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s/%s: no objects", env, target)
	}
	return out
}

// find returns the object of env/target with the kind and name.
func find(t testing.TB, env string, target object.Target, kind, name string) object.Object {
	t.Helper()
	for _, o := range of(t, env, target) {
		if o.Kind() == kind && o.Name() == name {
			return o
		}
	}
	t.Fatalf("%s/%s: no %s %s", env, target, kind, name)
	return object.Object{}
}

// clone deep-copies an object so a test can break it.
func clone(t testing.TB, o object.Object) object.Object {
	t.Helper()
	us, err := live.Unstructured([]object.Object{o})
	if err != nil {
		t.Fatal(err)
	}
	o.Body = us[0].Object
	return o
}

func isNamespace(o object.Object) bool { return o.APIVersion() == "v1" && o.Kind() == "Namespace" }

// TestDryRun installs the CRDs, creates the namespaces of every
// environment (ack and asm share the server: their union) and has the
// server dry-run every object of every env × target: all must be accepted.
// It logs the time to start the server, install the CRDs and dry-run all
// overlays (docs/performance.md, "API server tests").
func TestDryRun(t *testing.T) {
	srv, _ := setup(t)
	res := reference(t)
	ctx := context.Background()

	// Namespaces: ack's first, so that a name ack and asm share gets the
	// ack labels.
	var ns []object.Object
	seen := map[string]bool{}
	for _, env := range res.Envs {
		for _, target := range []object.Target{object.ACK, object.ASM} {
			for _, o := range of(t, env, target) {
				if isNamespace(o) && !seen[o.Name()] {
					seen[o.Name()] = true
					ns = append(ns, o)
				}
			}
		}
	}
	began := time.Now()
	if _, err := live.Apply(ctx, srv.Config, ns, live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	nsTime := time.Since(began)

	began = time.Now()
	total := 0
	for _, env := range res.Envs {
		for _, target := range targets {
			objs := of(t, env, target)
			total += len(objs)
			rs, err := live.DryRun(ctx, srv.Config, objs)
			if err != nil {
				t.Fatalf("%s/%s: %v", env, target, err)
			}
			for _, r := range rs {
				t.Errorf("%s/%s: rejected %s (from %s)", env, target, r, r.Origin)
			}
		}
	}
	dry := time.Since(began)
	t.Logf("API server (etcd + kube-apiserver) ready in %s", shared.startup.Round(time.Millisecond))
	t.Logf("%d CRDs installed and established in %s", shared.nCRDs, shared.crds.Round(time.Millisecond))
	t.Logf("%d namespaces applied in %s", len(ns), nsTime.Round(time.Millisecond))
	t.Logf("%d objects of %d env/target overlays dry-run in %s", total, len(res.Envs)*len(targets), dry.Round(time.Millisecond))
}

// TestDryRunRejects: the server refuses invalid objects, and each
// rejection names its object; the valid objects of the same request pass.
func TestDryRunRejects(t *testing.T) {
	srv, _ := setup(t)
	ctx := context.Background()
	// The namespaces of the prod objects.
	var ns []object.Object
	for _, o := range of(t, "prod", object.ACK) {
		if isNamespace(o) {
			ns = append(ns, o)
		}
	}
	if _, err := live.Apply(ctx, srv.Config, ns, live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	type bad struct {
		name string
		obj  object.Object
		want []string // substrings of the message
	}
	var cases []bad

	dep := clone(t, find(t, "prod", object.ACK, "Deployment", "style-transfer-tf"))
	spec := dep.Body["spec"].(map[string]any)
	spec["replicas"] = int64(-1)
	cases = append(cases, bad{"built-in validation", dep, []string{"spec.replicas", "must be greater than or equal to 0"}})

	isvc := clone(t, find(t, "prod", object.ACK, "InferenceService", "tf-style-transfer"))
	pred := isvc.Body["spec"].(map[string]any)["predictor"].(map[string]any)
	pred["model"].(map[string]any)["bogusField"] = "x"
	cases = append(cases, bad{"InferenceService unknown field", isvc, []string{".spec.predictor.model.bogusField", "field not declared in schema"}})

	vs := clone(t, find(t, "prod", object.ASM, "VirtualService", "style-transfer-vs"))
	http0 := vs.Body["spec"].(map[string]any)["http"].([]any)[0].(map[string]any)
	http0["retriesPolicy"] = map[string]any{"attempts": int64(3)}
	cases = append(cases, bad{"VirtualService unknown field", vs, []string{".spec.http[0].retriesPolicy", "field not declared in schema"}})

	gw := clone(t, find(t, "prod", object.ASM, "IstioGateway", "ingressgateway"))
	port0 := gw.Body["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)
	port0["port"] = "eighty"
	cases = append(cases, bad{"IstioGateway wrong type", gw, []string{".spec.ports[0].port", "expected numeric"}})

	orphan := clone(t, find(t, "prod", object.ACK, "Service", "style-transfer"))
	orphan.Body["metadata"].(map[string]any)["namespace"] = "no-such-namespace"
	cases = append(cases, bad{"missing namespace", orphan, []string{`namespaces "no-such-namespace" not found`}})

	unknownKind := object.Object{Target: object.ACK, Origin: "test.unknownKind", Body: map[string]any{
		"apiVersion": "example.aimesh.dev/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "default"},
	}}
	cases = append(cases, bad{"kind not served", unknownKind, []string{"no matches for kind", "Widget"}})

	// Interleave valid objects: only the broken ones may be rejected.
	var objs []object.Object
	wantAt := map[int]bad{}
	valid := of(t, "prod", object.ACK)
	for i, c := range cases {
		objs = append(objs, valid[i%len(valid)])
		wantAt[len(objs)] = c
		objs = append(objs, c.obj)
	}
	rs, err := live.DryRun(ctx, srv.Config, objs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[diff.ObjectID]live.Rejection{}
	for _, r := range rs {
		if _, dup := got[r.Object]; dup {
			t.Errorf("%s rejected twice", r.Object)
		}
		got[r.Object] = r
	}
	if len(rs) != len(cases) {
		t.Errorf("%d rejections, want %d:\n%s", len(rs), len(cases), joinRejections(rs))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := diff.ObjectID{Group: c.obj.GVK().Group, Kind: c.obj.Kind(), Namespace: c.obj.Namespace(), Name: c.obj.Name()}
			r, ok := got[id]
			if !ok {
				t.Fatalf("%s was accepted; rejections:\n%s", id, joinRejections(rs))
			}
			t.Logf("%s", r)
			for _, w := range c.want {
				if !strings.Contains(r.Message, w) {
					t.Errorf("message of %s lacks %q:\n%s", id, w, r.Message)
				}
			}
			if r.Origin != c.obj.Origin || r.APIVersion != c.obj.APIVersion() {
				t.Errorf("rejection %+v: want origin %q, apiVersion %q", r, c.obj.Origin, c.obj.APIVersion())
			}
			if !strings.HasPrefix(r.String(), id.String()+": ") {
				t.Errorf("String() = %q, want it to start with %q", r.String(), id.String()+": ")
			}
		})
	}
}

func joinRejections(rs []live.Rejection) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("  " + r.String() + "\n")
	}
	return b.String()
}

// TestUpstreamIstioRejectsASMFields shows why the tests install the
// TEST-ONLY VirtualService and DestinationRule CRDs: on a server with the
// upstream Istio CRDs, ASM's extension fields are rejected under
// server-side apply. It starts a server of its own (a few seconds).
func TestUpstreamIstioRejectsASMFields(t *testing.T) {
	assets := kubetest.RequireAssets(t)
	if testing.Short() {
		t.Skip("-short: starts a second API server")
	}
	ctx := context.Background()
	srv, err := kubetest.Start(ctx, assets, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	}()
	c, err := live.NewClient(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := crdschema.CRDs(false)
	if err != nil {
		t.Fatal(err)
	}
	var istio []*unstructured.Unstructured
	for _, u := range crds {
		switch u.GetName() {
		case "virtualservices.networking.istio.io", "destinationrules.networking.istio.io":
			istio = append(istio, u)
		}
	}
	if len(istio) != 2 {
		t.Fatalf("found %d of the 2 upstream Istio CRDs", len(istio))
	}
	if _, err := c.Apply(ctx, append(istio, namespaces("modelmesh-serving")...), live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	vs := find(t, "prod", object.ASM, "VirtualService", "vs-modelmesh-serving-service")
	dr := find(t, "prod", object.ASM, "DestinationRule", "dr-modelmesh-serving-service")
	rs, err := live.DryRun(ctx, srv.Config, []object.Object{vs, dr})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"VirtualService": "headerToDynamicSubsetKey", "DestinationRule": "dynamicSubset"}
	if len(rs) != 2 {
		t.Fatalf("want both rejected, got:\n%s", joinRejections(rs))
	}
	for _, r := range rs {
		if !strings.Contains(r.Message, want[r.Object.Kind]) || !strings.Contains(r.Message, "field not declared in schema") {
			t.Errorf("%s: want a %q field not declared in schema", r, want[r.Object.Kind])
		}
	}
}

// TestDiff applies the prod ACK and ASM objects for real, has the server
// find nothing to report, changes a Deployment's replicas and a
// VirtualService route as another field manager would, and expects Diff to
// report exactly those two fields.
func TestDiff(t *testing.T) {
	srv, _ := setup(t)
	ctx := context.Background()
	ack := of(t, "prod", object.ACK)
	// ack and asm share this server; the ASM namespaces are the ACK ones
	// without the ambient label, so applying both would make one drift.
	var asm []object.Object
	for _, o := range of(t, "prod", object.ASM) {
		if !isNamespace(o) {
			asm = append(asm, o)
		}
	}
	all := append(append([]object.Object{}, ack...), asm...)
	began := time.Now()
	cs, err := live.Apply(ctx, srv.Config, all, live.ApplyOptions{Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %d prod objects in %s", len(cs.Entries), time.Since(began).Round(time.Millisecond))
	if len(cs.Entries) != len(all) {
		t.Errorf("change set has %d entries for %d objects:\n%s", len(cs.Entries), len(all), cs)
	}

	// Nothing drifted: server-managed fields, defaults and status are
	// not differences.
	began = time.Now()
	rep, err := live.Diff(ctx, srv.Config, all, live.DiffOptions{Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("diffed %d objects in %s", len(all), time.Since(began).Round(time.Millisecond))
	if rep.HasDifferences() {
		t.Fatalf("differences right after apply:\n%s", text(t, rep))
	}
	if got := sections(rep); !reflect.DeepEqual(got, []string{"prod/ack", "prod/asm"}) {
		t.Errorf("sections %v", got)
	}

	// Drift, applied by someone else with force (style-transfer-torch: the
	// replicas of the autoscaled style-transfer-tf are the HPA's, not drift).
	dyn, err := dynamic.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	dep := find(t, "prod", object.ACK, "Deployment", "style-transfer-torch")
	wantReplicas := dep.Body["spec"].(map[string]any)["replicas"]
	forceApply(t, dyn, schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, dep, map[string]any{"replicas": int64(7)})

	vs := clone(t, find(t, "prod", object.ASM, "VirtualService", "style-transfer-vs"))
	http := vs.Body["spec"].(map[string]any)["http"].([]any)
	route := http[0].(map[string]any)
	if route["name"] != "premium" {
		t.Fatalf("first route of %s is %v, want premium", vs.ID(), route["name"])
	}
	dest := route["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)
	wantSubset := dest["subset"]
	dest["subset"] = "pytorch"
	forceApply(t, dyn, schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}, vs, map[string]any{"http": http})

	rep, err = live.Diff(ctx, srv.Config, all, live.DiffOptions{Env: "prod", Base: "cluster kubetest"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("prod/ack ~ Deployment apsara-demo/style-transfer-torch spec.replicas: 7 → %v", wantReplicas),
		fmt.Sprintf("prod/asm ~ VirtualService apsara-demo/style-transfer-vs spec.http[name=premium].route[0].destination.subset: pytorch → %v", wantSubset),
	}
	if got := drifts(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("drifts:\n  %s\nwant:\n  %s\nreport:\n%s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), text(t, rep))
	}
	t.Logf("\n%s", text(t, rep))

	// Applying the rendered objects again repairs both.
	cs, err = live.Apply(ctx, srv.Config, all, live.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := cs.ToGroupedMap()["configured"]
	sort.Strings(changed)
	if want := []string{"Deployment/apsara-demo/style-transfer-torch", "VirtualService/apsara-demo/style-transfer-vs"}; !reflect.DeepEqual(changed, want) {
		t.Errorf("re-apply configured %v, want %v", changed, want)
	}
	rep, err = live.Diff(ctx, srv.Config, all, live.DiffOptions{Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HasDifferences() {
		t.Errorf("differences after the repair:\n%s", text(t, rep))
	}
}

// TestDiffAddedAndMasked: objects missing from the cluster are added, also
// when their namespace is added by the same diff; Secret data is masked.
func TestDiffAddedAndMasked(t *testing.T) {
	srv, _ := setup(t)
	ctx := context.Background()
	// A namespace of its own, new on every run (-count=N shares the server).
	ns := fmt.Sprintf("live-diff-masked-%d", time.Now().UnixNano()%1e9)
	mk := func(body map[string]any) object.Object {
		return object.Object{Target: object.ACK, Origin: "test", Body: body}
	}
	nsObj := mk(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
	secret := mk(map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "creds", "namespace": ns},
		"stringData": map[string]any{"password": "s3cret-live-value"}})
	cm := mk(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "settings", "namespace": ns},
		"data":     map[string]any{"apiToken": "tok-live-value", "level": "info"}})
	objs := []object.Object{nsObj, secret, cm}

	rep, err := live.Diff(ctx, srv.Config, objs, live.DiffOptions{Env: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sections) != 1 || len(rep.Sections[0].Added) != 3 || len(rep.Sections[0].Changed) != 0 {
		t.Fatalf("want 3 added objects, got:\n%s", text(t, rep))
	}
	if _, err := live.Apply(ctx, srv.Config, objs, live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// Someone else changes the secret and the config map.
	dyn, err := dynamic.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	forceApplyTop(t, dyn, schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, secret, "stringData", map[string]any{"password": "changed-live-value"})
	forceApplyTop(t, dyn, schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, cm, "data", map[string]any{"apiToken": "changed-token", "level": "debug"})

	rep, err = live.Diff(ctx, srv.Config, objs, live.DiffOptions{Env: "test"})
	if err != nil {
		t.Fatal(err)
	}
	out := text(t, rep)
	want := []string{
		"test/ack ~ ConfigMap " + ns + "/settings data.apiToken: *** (changed)",
		"test/ack ~ ConfigMap " + ns + "/settings data.level: debug → info",
		"test/ack ~ Secret " + ns + "/creds data.password: *** (changed)",
	}
	if got := drifts(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("drifts:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, secretValue := range []string{"s3cret", "changed-live", "tok-live", "changed-token", "czNjcmV0"} {
		if strings.Contains(out, secretValue) {
			t.Errorf("report shows %q:\n%s", secretValue, out)
		}
	}
}

// forceApply sets spec fields of o's live object as another field manager.
func forceApply(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, o object.Object, spec map[string]any) {
	t.Helper()
	forceApplyTop(t, dyn, gvr, o, "spec", spec)
}

func forceApplyTop(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, o object.Object, field string, value map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": o.APIVersion(), "kind": o.Kind(),
		"metadata": map[string]any{"name": o.Name(), "namespace": o.Namespace()},
		field:      value,
	}}
	if _, err := dyn.Resource(gvr).Namespace(o.Namespace()).Apply(context.Background(), o.Name(), u,
		metav1.ApplyOptions{FieldManager: "drift-test", Force: true}); err != nil {
		t.Fatalf("changing %s: %v", o.ID(), err)
	}
}

// drifts lists "section ~ object change" for every field change, and
// "section + object" for every added object.
func drifts(rep *diff.Report) []string {
	var out []string
	for _, s := range rep.Sections {
		for _, id := range s.Added {
			out = append(out, s.Section.String()+" + "+id.String())
		}
		for _, o := range s.Changed {
			for _, c := range o.Changes {
				out = append(out, s.Section.String()+" ~ "+o.Object.String()+" "+c.String())
			}
		}
	}
	return out
}

func sections(rep *diff.Report) []string {
	var out []string
	for _, s := range rep.Sections {
		out = append(out, s.Section.String())
	}
	return out
}

func text(t testing.TB, rep *diff.Report) string {
	t.Helper()
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// repoRoot is the repository root (two levels above this package).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// aimesh runs the CLI in-process in the repository root.
func aimesh(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.MainIn(repoRoot(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func kubeconfigFile(t *testing.T, srv *kubetest.Server) string {
	t.Helper()
	kc, err := srv.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIDiffLive runs aimesh apply and aimesh diff --live in-process
// against the server through a kubeconfig file.
func TestCLIDiffLive(t *testing.T) {
	srv, _ := setup(t)
	kc := kubeconfigFile(t, srv)
	expect := func(t *testing.T, wantCode int, args ...string) (stdout, stderr string) {
		t.Helper()
		code, out, errb := aimesh(t, args...)
		if code != wantCode {
			t.Fatalf("aimesh %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errb)
		}
		return out, errb
	}

	t.Run("added", func(t *testing.T) {
		// Nothing applies dev's GitOps objects: all are added.
		out, errb := expect(t, 1, "diff", "--live", "--env", "dev", "--target", "gitops", "--kubeconfig", kc)
		objs := of(t, "dev", object.GitOps)
		if !strings.HasPrefix(out, "aimesh diff: cluster kubetest → working tree\n\ndev/gitops: "+fmt.Sprintf("%d added, 0 removed, 0 changed\n", len(objs))) || errb != "" {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, errb)
		}
		for _, o := range objs {
			if line := "  + " + o.Kind() + " " + o.Namespace() + "/" + o.Name() + "\n"; !strings.Contains(out, line) {
				t.Errorf("no line %q in:\n%s", line, out)
			}
		}
	})

	dep := find(t, "prod", object.ACK, "Deployment", "style-transfer-torch")
	replicas := dep.Body["spec"].(map[string]any)["replicas"]
	dyn, err := dynamic.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

	t.Run("apply then drift", func(t *testing.T) {
		out, _ := expect(t, 0, "apply", "--env", "prod", "--target", "ack", "--kubeconfig", kc)
		if !strings.Contains(out, "prod/ack applied to kubetest: ") {
			t.Errorf("apply output:\n%s", out)
		}
		out, _ = expect(t, 0, "apply", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--dry-run")
		if want := fmt.Sprintf("prod/ack: %d objects accepted by kubetest (dry-run)\n", len(of(t, "prod", object.ACK))); out != want {
			t.Errorf("apply --dry-run: %q, want %q", out, want)
		}
		out, _ = expect(t, 0, "diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--context", "kubetest")
		if want := "aimesh diff: cluster kubetest → working tree\nno differences (1 section compared)\n"; out != want {
			t.Errorf("diff right after apply:\n%s", out)
		}

		forceApply(t, dyn, deployments, dep, map[string]any{"replicas": int64(7)})
		out, _ = expect(t, 1, "diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc)
		want := fmt.Sprintf(`aimesh diff: cluster kubetest → working tree

prod/ack: 0 added, 0 removed, 1 changed
  ~ Deployment apsara-demo/style-transfer-torch
      spec.replicas: 7 → %v

0 added, 0 removed, 1 changed in 1 of 1 section
`, replicas)
		if out != want {
			t.Errorf("text:\n%s\nwant:\n%s", out, want)
		}

		out, _ = expect(t, 1, "diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--format", "markdown")
		for _, w := range []string{"### aimesh diff: `cluster kubetest` → `working tree`", "| prod | ack | 0 | 0 | 1 |", "#### prod / ack", "```diff\n~ Deployment apsara-demo/style-transfer-torch\n    spec.replicas: 7 → "} {
			if !strings.Contains(out, w) {
				t.Errorf("markdown lacks %q:\n%s", w, out)
			}
		}

		out, _ = expect(t, 1, "diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--format", "json")
		var j struct {
			Schema    string
			Different bool
			Base      string
			Sections  []diff.SectionDiff
		}
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if j.Schema != diff.SchemaVersion || !j.Different || j.Base != "cluster kubetest" || len(j.Sections) != 1 ||
			len(j.Sections[0].Changed) != 1 || j.Sections[0].Changed[0].Changes[0].Path != "spec.replicas" {
			t.Errorf("json:\n%s", out)
		}

		// Applying again repairs the drift.
		out, _ = expect(t, 0, "apply", "--env", "prod", "--target", "ack", "--kubeconfig", kc)
		if !strings.Contains(out, "Deployment/apsara-demo/style-transfer-torch configured\n") || !strings.Contains(out, " 1 configured") {
			t.Errorf("re-apply:\n%s", out)
		}
		expect(t, 0, "diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc)
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"diff", "--live", "--env", "prod", "--kubeconfig", kc}, "give --target"},
			{[]string{"diff", "--live", "--env", "prod", "--target", "mesh", "--kubeconfig", kc}, `unknown --target "mesh"`},
			{[]string{"diff", "--live", "--env", "prod,dev", "--target", "ack", "--kubeconfig", kc}, "exactly one --env"},
			{[]string{"diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--base", "HEAD"}, "excludes --base"},
			{[]string{"diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", filepath.Join(t.TempDir(), "none")}, "kubeconfig"},
			{[]string{"diff", "--live", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--context", "nope"}, `context "nope"`},
			{[]string{"diff", "--live", "--env", "nowhere", "--target", "ack", "--kubeconfig", kc}, `environment "nowhere" is not defined`},
			{[]string{"apply", "--env", "prod", "--kubeconfig", kc}, "give --target"},
			{[]string{"apply", "--env", "prod", "--target", "ack", "--kubeconfig", kc, "--dry-run", "--wait"}, "--dry-run excludes"},
		} {
			code, out, errb := aimesh(t, tc.args...)
			if code != 2 || !strings.Contains(errb, tc.want) {
				t.Errorf("aimesh %s: exit %d, stderr %q, want exit 2 and %q (stdout %q)", strings.Join(tc.args, " "), code, errb, tc.want, out)
			}
		}
		if _, out, _ := aimesh(t, "help"); !strings.Contains(out, "  apply ") {
			t.Errorf("help lacks apply:\n%s", out)
		}
	})

	t.Run("apply wait", func(t *testing.T) {
		// ASM's objects have no controller here, so kstatus finds them
		// current at once (the ACK Deployments would never be ready).
		// This replaces the ACK namespaces' labels with ASM's: keep it last.
		out, _ := expect(t, 0, "apply", "--env", "prod", "--target", "asm", "--kubeconfig", kc, "--wait", "--timeout", "1m")
		if !strings.Contains(out, "prod/asm applied to kubetest: ") {
			t.Errorf("apply --wait:\n%s", out)
		}
	})
}
