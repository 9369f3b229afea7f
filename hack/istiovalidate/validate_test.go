package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(t *testing.T, src string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// TestObject: objects the webhook accepts and objects it rejects, each with
// the message it rejects them with.
func TestObject(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // substring of an error; "" = accepted
	}{
		{"valid VirtualService", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: app}
spec:
  hosts: [web.app.svc.cluster.local]
  http:
  - route:
    - destination: {host: web.app.svc.cluster.local, port: {number: 8000}}
`, ""},
		{"host with scheme and space", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: app}
spec:
  hosts: ["https://Style Transfer.example.com/"]
  http:
  - route:
    - destination: {host: web}
`, "domain name"},
		{"HTTP route without a destination", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: app}
spec:
  hosts: [web]
  http:
  - name: nowhere
`, "route"},
		{"duplicate gateway port names (exposure.ports [8000, 8000])", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8000, name: http-8000, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8000, name: http-8000, protocol: HTTP}
    hosts: ["*"]
`, "port names"},
		{"gateway without servers", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  selector: {istio: ingressgateway}
`, "server"},
		{"HTTPS gateway server without tls", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
`, "TLS"},
		{"unknown spec field", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: app}
spec:
  host: web
  trafficPolicy: {loadBalancr: {simple: ROUND_ROBIN}}
`, "cannot parse spec"},
		{"JWKS URI that is not a URL", `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: app}
spec:
  jwtRules:
  - issuer: https://idp.example.com
    jwksUri: "not a url"
`, "URI scheme"},
		{"ASM dynamicSubset is stripped, then valid", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: app}
spec:
  host: web
  trafficPolicy:
    loadBalancer:
      dynamicSubset: {fallbackPolicy: ANY_ENDPOINT, subsetSelectors: [{keys: [model.format.tensorflow]}]}
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := obj(t, tc.src)
			StripASM(u)
			_, errs := Object(u)
			got := strings.Join(errs, "\n")
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("rejected:\n%s", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want an error containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}

// TestUnstrippedASMFieldIsRejected shows why StripASM exists: upstream
// Istio does not know the ASM extension.
func TestUnstrippedASMFieldIsRejected(t *testing.T) {
	u := obj(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: app}
spec:
  hosts: [web]
  http:
  - headerToDynamicSubsetKey: [{header: x-model-format-tensorflow, key: model.format.tensorflow}]
    route:
    - destination: {host: web}
`)
	if _, errs := Object(u); len(errs) == 0 {
		t.Fatal("upstream Istio accepted an ASM-only field; StripASM may no longer be needed")
	}
	if n := StripASM(u); n != 1 {
		t.Fatalf("StripASM removed %d fields, want 1", n)
	}
	if _, errs := Object(u); len(errs) > 0 {
		t.Fatalf("rejected after stripping: %v", errs)
	}
}

// TestReferenceOverlays: every Istio object of every environment of the
// committed overlays passes upstream validation.
func TestReferenceOverlays(t *testing.T) {
	root := filepath.Join("..", "..", "overlays")
	envs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range envs {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			res, err := Paths([]string{filepath.Join(root, e.Name())})
			if err != nil {
				t.Fatal(err)
			}
			if res.Objects == 0 {
				t.Fatal("no Istio object found")
			}
			for _, f := range res.Findings {
				if !f.Warning {
					t.Error(f)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no environment under overlays/")
	}
}

// TestPathsCountsErrors: a tree with an object Istio rejects yields an
// error (the command then exits 1), non-Istio documents are skipped.
func TestPathsCountsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := `apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: app}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: app}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["https://Style Transfer.example.com/"]
`
	if err := os.WriteFile(filepath.Join(dir, "gw.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Paths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 1 || res.Errors() == 0 {
		t.Fatalf("objects %d, errors %d, want 1 object and errors: %v", res.Objects, res.Errors(), res.Findings)
	}
}
