package gitops_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	fluxkustomize "github.com/fluxcd/pkg/kustomize"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
)

// TestFluxResolvesSSOSecrets reproduces what kustomize-controller does with
// the generated asm-routing unit, offline, with Flux's own code
// (fluxcd/pkg/kustomize): build the unit, then run postBuild substitution
// with the Secret named in substituteFrom. The SSO secrets reach the
// ASMSecurityPolicy at sync time, every placeholder is resolved (strict
// mode fails on an undefined one), and Git never holds the values.
func TestFluxResolvesSSOSecrets(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: repo}, Envs: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	// Write the tree as Flux would see it in the Git checkout.
	root := t.TempDir()
	for _, p := range res.Tree.Paths() {
		f := filepath.Join(root, "overlays", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, res.Tree[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ks unstructured.Unstructured
	data, err := os.ReadFile(filepath.Join(root, "overlays", "prod", "gitops", "kustomization-flux-system-style-transfer-prod-asm-routing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &ks.Object); err != nil {
		t.Fatal(err)
	}
	path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")

	const clientSecret, cookieSecret = "test-client-secret-value", "test-cookie-secret-value-32bytes"
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "style-transfer-oidc", Namespace: ks.GetNamespace()},
		Data:       map[string][]byte{"OIDC_CLIENT_SECRET": []byte(clientSecret), "OIDC_COOKIE_SECRET": []byte(cookieSecret)},
	}
	kube := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(secret).Build()

	resMap, err := fluxkustomize.SecureBuild(root, filepath.Join(root, filepath.FromSlash(path)), false)
	if err != nil {
		t.Fatalf("flux build of %s: %v", path, err)
	}
	found := false
	for _, r := range resMap.Resources() {
		out, err := fluxkustomize.SubstituteVariables(t.Context(), kube, ks, r, fluxkustomize.SubstituteWithStrict(true))
		if err != nil {
			t.Fatalf("%s %s: %v", r.GetKind(), r.GetName(), err)
		}
		y, err := out.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(y), "${") {
			t.Errorf("%s %s keeps an unresolved placeholder:\n%s", r.GetKind(), r.GetName(), y)
		}
		if r.GetKind() == "ASMSecurityPolicy" {
			found = true
			if !strings.Contains(string(y), "clientSecret: "+clientSecret) || !strings.Contains(string(y), "cookieSecret: "+cookieSecret) {
				t.Errorf("secrets not substituted:\n%s", y)
			}
		}
	}
	if !found {
		t.Fatal("no ASMSecurityPolicy in the asm-routing unit")
	}
	for _, p := range res.Tree.Paths() {
		if strings.Contains(string(res.Tree[p]), clientSecret) {
			t.Fatalf("%s holds the secret value", p)
		}
	}
}
