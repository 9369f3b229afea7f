package compile_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/aimesh/aimesh/generator/check"
	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/load"
)

var update = flag.Bool("update", false, "rewrite golden files")

func updating() bool { return *update || os.Getenv("AIMESH_UPDATE") == "1" }

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func compileRepo(t testing.TB, files []string) *compile.Result {
	t.Helper()
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: repoRoot(), Files: files}})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return res
}

// Build renders dir of tree t with kustomize's own API on an in-memory
// filesystem, as `kustomize build` would.
func Build(t testing.TB, tree emit.Tree, dir string) []byte {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	for _, p := range tree.Paths() {
		if err := fs.WriteFile("/"+p, tree[p]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/"+dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// targetDirs lists every "<env>/<target>" kustomization root of a tree.
func targetDirs(tree emit.Tree) []string {
	set := map[string]bool{}
	for _, p := range tree.Paths() {
		parts := strings.Split(p, "/")
		if len(parts) == 3 && parts[2] == "kustomization.yaml" {
			set[parts[0]+"/"+parts[1]] = true
		}
	}
	var out []string
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// TestGoldenRender builds every overlays/<env>/<target> through krusty and
// compares the result with golden/render/<env>-<target>.yaml. Run with
// -update (or AIMESH_UPDATE=1) to refresh the goldens.
func TestGoldenRender(t *testing.T) {
	res := compileRepo(t, nil)
	dirs := targetDirs(res.Tree)
	if len(dirs) < 6 {
		t.Fatalf("expected at least 6 env/target roots, got %v", dirs)
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			got := Build(t, res.Tree, dir)
			golden := filepath.Join(repoRoot(), "golden", "render", strings.ReplaceAll(dir, "/", "-")+".yaml")
			if updating() {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./generator/compile -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("kustomize build %s differs from %s (-want +got):\n%s", dir, golden, diff)
			}
		})
	}
}

// TestCommittedOverlaysRender checks that what is committed under
// overlays/ builds with kustomize and equals a fresh compilation.
func TestCommittedOverlaysRender(t *testing.T) {
	res := compileRepo(t, nil)
	committed := emit.Tree{}
	for _, env := range res.Envs {
		tr, err := emit.ReadDir(filepath.Join(repoRoot(), "overlays", env))
		if err != nil {
			t.Fatal(err)
		}
		for p, d := range tr {
			committed[env+"/"+p] = d
		}
	}
	if !emit.Equal(committed, res.Tree) {
		t.Fatalf("overlays/ is stale: run 'go run ./cmd/aimesh generate --all'")
	}
	for _, dir := range targetDirs(committed) {
		Build(t, committed, dir)
	}
}

// TestDeterminism compiles twice, the second time with the CUE files
// listed in reverse order, and expects byte-identical trees.
func TestDeterminism(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot(), "cue"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".cue") {
			files = append(files, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(files)))
	a := compileRepo(t, nil)
	b := compileRepo(t, files)
	if len(a.Tree) == 0 {
		t.Fatal("empty tree")
	}
	for _, p := range a.Tree.Paths() {
		if !bytes.Equal(a.Tree[p], b.Tree[p]) {
			t.Errorf("%s differs between file orders", p)
		}
	}
	if len(a.Tree) != len(b.Tree) {
		t.Errorf("tree sizes differ: %d vs %d", len(a.Tree), len(b.Tree))
	}
}

// TestSeedInventory asserts that every resource of the seed manifests and
// of the demo's six console steps has a generated counterpart (kind,
// namespace, name) in the default example, for every environment. Where
// aimesh deliberately replaces a seed object, the replacement is named.
func TestSeedInventory(t *testing.T) {
	res := compileRepo(t, nil)
	type id struct{ target, kind, ns, name string }
	seed := []id{
		// ai-apps.yaml
		{"ack", "ServiceAccount", "apsara-demo", "ai-backend"},
		{"ack", "ServiceAccount", "apsara-demo", "style-transfer"},
		{"ack", "Deployment", "apsara-demo", "ai-backend"},
		{"ack", "Deployment", "apsara-demo", "style-transfer-tf"},
		{"ack", "Deployment", "apsara-demo", "style-transfer-torch"},
		{"ack", "Service", "apsara-demo", "ai-backend-svc"},
		{"ack", "Service", "apsara-demo", "style-transfer"},
		// app-routing.yaml
		{"asm", "Gateway", "apsara-demo", "ai-app-gateway"},
		{"asm", "VirtualService", "apsara-demo", "ai-app-vs"},
		{"asm", "VirtualService", "apsara-demo", "style-transfer-vs"},
		{"asm", "DestinationRule", "apsara-demo", "style-transfer-dr"},
		// asmkserveconfig.yaml
		{"asm", "ASMKServeConfig", "", "default"},
		// isvc.yaml
		{"ack", "InferenceService", "modelmesh-serving", "tf-style-transfer"},
		{"ack", "InferenceService", "modelmesh-serving", "pt-style-transfer"},
		// modelsvc-routing.yaml
		{"asm", "Gateway", "modelmesh-serving", "grpc-gateway"},
		{"asm", "VirtualService", "modelmesh-serving", "vs-modelmesh-serving-service"},
		{"asm", "DestinationRule", "modelmesh-serving", "dr-modelmesh-serving-service"},
		{"asm", "ASMGrpcJsonTranscoder", "istio-system", "grpcjsontranscoder-for-kservepredictv2"},
		{"asm", "EnvoyFilter", "istio-system", "grpcjsontranscoder-increasebufferlimit"},
		// pvc-access-pod.yaml: the sleeping Pod is replaced by the model-loader Job (checked below).
		// Console step 1: ASM ingress gateways.
		{"asm", "IstioGateway", "istio-system", "api-ingressgateway"},
		{"asm", "IstioGateway", "istio-system", "ingressgateway"},
		// Step 2: ambient namespace.
		{"ack", "Namespace", "", "apsara-demo"},
		// Step 3: waypoint. The seed's Gateway style-transfer is the Istio
		// 1.18-1.21 form; from 1.22 Istio gives the waypoint's Deployment
		// and Service the Gateway's name, so it is style-transfer-waypoint
		// (docs/seed-differences.md).
		{"ack", "Gateway", "apsara-demo", "style-transfer-waypoint"},
		// Step 4: model storage.
		{"ack", "PersistentVolumeClaim", "modelmesh-serving", "my-models-pvc"},
		{"ack", "ConfigMap", "modelmesh-serving", "model-serving-config"},
		// Step 5: OIDC SSO.
		{"asm", "ASMSecurityPolicy", "", "apsara-demo-oidc"},
		{"asm", "RequestAuthentication", "apsara-demo", "style-transfer-jwt"},
		{"asm", "AuthorizationPolicy", "apsara-demo", "style-transfer-require-jwt"},
		// Step 6: the ModelMesh namespace, on both targets (C20).
		{"ack", "Namespace", "", "modelmesh-serving"},
		{"asm", "Namespace", "", "modelmesh-serving"},
		{"asm", "Namespace", "", "apsara-demo"},
	}
	for _, env := range res.Envs {
		have := map[id]bool{}
		loaderJob := false
		for _, o := range res.Objects[env] {
			have[id{string(o.Target), o.Kind(), o.Namespace(), o.Name()}] = true
			if o.Kind() == "Job" && o.Namespace() == "modelmesh-serving" && strings.HasPrefix(o.Name(), "model-loader-") {
				loaderJob = true
			}
		}
		for _, s := range seed {
			if !have[s] {
				t.Errorf("env %s: no generated %s %s/%s on %s", env, s.kind, s.ns, s.name, s.target)
			}
		}
		if !loaderJob {
			t.Errorf("env %s: no model-loader Job replacing the seed's pvc-access Pod", env)
		}
	}
}

// BenchmarkCompile measures one full compilation of the reference app
// (load, check, render, emit.Build) for all environments.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		compile.Forget() // a first run, as aimesh generate does it
		b.StartTimer()
		compileRepo(b, nil)
	}
}

var placeholderRE = regexp.MustCompile(`^\$\{[A-Z_][A-Z0-9_]*\}$`)

// TestNoSecretsInOutput scans every generated file: no Secret objects, every
// secret-named field holds a sync-time placeholder, and no string anywhere
// looks like a credential (high entropy).
func TestNoSecretsInOutput(t *testing.T) {
	res := compileRepo(t, nil)
	secretKey := regexp.MustCompile(`(?i)(secret|password|passwd|token|apikey|private)`)
	placeholders := 0
	for _, p := range res.Tree.Paths() {
		var doc map[string]any
		if err := yaml.Unmarshal(res.Tree[p], &doc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if doc["kind"] == "Secret" {
			t.Errorf("%s: a Secret object is emitted", p)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, c := range v {
					if s, ok := c.(string); ok && secretKey.MatchString(k) && !strings.Contains(path, "secretRef") {
						if !placeholderRE.MatchString(s) {
							t.Errorf("%s: %s.%s holds a literal value", p, path, k)
						} else {
							placeholders++
						}
					}
					walk(path+"."+k, c)
				}
			case []any:
				for i, c := range v {
					walk(fmt.Sprintf("%s[%d]", path, i), c)
				}
			case string:
				if check.LooksSecret(v) {
					t.Errorf("%s: %s = %q looks like a credential", p, path, v)
				}
			}
		}
		walk("", doc)
	}
	if placeholders == 0 {
		t.Error("no secret placeholders found: the scan did not see the SSO policy")
	}
}
