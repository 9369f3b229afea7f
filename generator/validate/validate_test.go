package validate_test

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/generator/validate"
)

func reference(t *testing.T) *compile.Result {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: root}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestReferenceAppValid: every object of every environment passes all layers.
func TestReferenceAppValid(t *testing.T) {
	res := reference(t)
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		layers := map[string]int{}
		for _, o := range res.Objects[env] {
			for _, p := range v.Object(o) {
				t.Errorf("%s: %s", env, p)
			}
			layers[layerOf(o)]++
		}
		for _, l := range []string{validate.LayerTyped, validate.LayerIstio, validate.LayerSchema} {
			if layers[l] == 0 {
				t.Errorf("%s: no object went through layer %s", env, l)
			}
		}
	}
}

func layerOf(o object.Object) string {
	switch g := o.GVK().Group; {
	case g == "" || g == "apps" || g == "batch" || g == "policy" || g == "autoscaling":
		return validate.LayerTyped
	case strings.HasSuffix(g, ".istio.io"):
		return validate.LayerIstio
	}
	return validate.LayerSchema
}

func find(t *testing.T, res *compile.Result, target object.Target, kind, name string) object.Object {
	t.Helper()
	for _, o := range res.Objects["prod"] {
		if o.Target == target && o.Kind() == kind && o.Name() == name {
			body, _ := json.Marshal(o.Body)
			var cp map[string]any
			_ = json.Unmarshal(body, &cp)
			o.Body = cp
			return o
		}
	}
	t.Fatalf("no %s %s on %s", kind, name, target)
	return object.Object{}
}

func at(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch p := p.(type) {
		case string:
			cur = cur.(map[string]any)[p]
		case int:
			cur = cur.([]any)[p]
		}
	}
	return cur.(map[string]any)
}

// TestNegative: each layer rejects a broken object of each target, naming
// the object, the field path and the CUE position it came from.
func TestNegative(t *testing.T) {
	res := reference(t)
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                  string
		target                object.Target
		kind, obj             string
		mutate                func(b map[string]any)
		wantLayer, wantSubstr string
		wantPos               string
	}{
		{"ack typed unknown field", object.ACK, "Deployment", "style-transfer-tf",
			func(b map[string]any) { at(b, "spec")["replica"] = 3 },
			validate.LayerTyped, "Deployment apsara-demo/style-transfer-tf (ack): spec.replica: unknown field", "cue/services.cue:"},
		{"ack typed wrong type", object.ACK, "Service", "ai-backend-svc",
			func(b map[string]any) { at(b, "spec", "ports", 0)["port"] = "eighty" },
			validate.LayerTyped, "Service apsara-demo/ai-backend-svc (ack): ", "cue/services.cue:"},
		{"ack typed PodDisruptionBudget unknown field", object.ACK, "PodDisruptionBudget", "style-transfer-torch",
			func(b map[string]any) { at(b, "spec")["maxUnavailabel"] = 1 },
			validate.LayerTyped, "PodDisruptionBudget apsara-demo/style-transfer-torch (ack): spec.maxUnavailabel: unknown field", "cue/services.cue:"},
		{"ack typed HorizontalPodAutoscaler unknown field", object.ACK, "HorizontalPodAutoscaler", "style-transfer-tf",
			func(b map[string]any) { at(b, "spec")["targetCPU"] = 70 },
			validate.LayerTyped, "HorizontalPodAutoscaler apsara-demo/style-transfer-tf (ack): spec.targetCPU: unknown field", "cue/services.cue:"},
		{"ack schema unknown field", object.ACK, "InferenceService", "pt-style-transfer",
			func(b map[string]any) { at(b, "spec", "predictor", "model")["runtimee"] = "triton-2.x" },
			validate.LayerSchema, "InferenceService modelmesh-serving/pt-style-transfer (ack): spec.predictor.model.runtimee", "cue/models.cue:"},
		{"ack schema bad value", object.ACK, "Gateway", "style-transfer-waypoint",
			func(b map[string]any) { at(b, "spec", "listeners", 0)["port"] = 70000 },
			validate.LayerSchema, "Gateway apsara-demo/style-transfer-waypoint (ack): spec.listeners[0].port", "cue/services.cue:"},
		{"asm istio unknown field", object.ASM, "VirtualService", "style-transfer-vs",
			func(b map[string]any) { at(b, "spec", "http", 0)["rout"] = []any{} },
			validate.LayerIstio, "VirtualService apsara-demo/style-transfer-vs (asm): spec: ", "cue/services.cue:"},
		{"asm istio wrong enum", object.ASM, "AuthorizationPolicy", "style-transfer-require-jwt",
			func(b map[string]any) { at(b, "spec")["action"] = "PERMIT" },
			validate.LayerIstio, "AuthorizationPolicy apsara-demo/style-transfer-require-jwt (asm): spec: ", "cue/sso.cue:"},
		{"asm extension dynamicSubset", object.ASM, "DestinationRule", "dr-modelmesh-serving-service",
			func(b map[string]any) {
				at(b, "spec", "trafficPolicy", "loadBalancer", "dynamicSubset")["fallbackPolicy"] = "SOMETIMES"
			},
			validate.LayerIstio, "spec.trafficPolicy.loadBalancer.dynamicSubset.fallbackPolicy: unsupported value \"SOMETIMES\"", "cue/models.cue:"},
		{"asm extension headerToDynamicSubsetKey", object.ASM, "VirtualService", "vs-modelmesh-serving-service",
			func(b map[string]any) { at(b, "spec", "http", 0, "headerToDynamicSubsetKey", 0)["headr"] = "x" },
			validate.LayerIstio, "spec.http[0].headerToDynamicSubsetKey: json: unknown field \"headr\"", "cue/models.cue:"},
		{"asm schema", object.ASM, "IstioGateway", "ingressgateway",
			func(b map[string]any) { at(b, "spec")["serviceType"] = 42 },
			validate.LayerSchema, "IstioGateway istio-system/ingressgateway (asm): spec.serviceType", "cue/platform.cue:"},
		{"asm schema cluster-scoped", object.ASM, "ASMSecurityPolicy", "apsara-demo-oidc",
			func(b map[string]any) { at(b, "spec", "oidcConfig")["clientId"] = "typo" },
			validate.LayerSchema, "ASMSecurityPolicy apsara-demo-oidc (asm): spec.oidcConfig.clientId", "cue/sso.cue:"},
		{"gitops schema", object.GitOps, "Kustomization", "style-transfer-prod-ack-apps",
			func(b map[string]any) { at(b, "spec")["prune"] = "yes" },
			validate.LayerSchema, "Kustomization flux-system/style-transfer-prod-ack-apps (gitops): spec.prune", "cue/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := find(t, res, tc.target, tc.kind, tc.obj)
			if ps := v.Object(o); len(ps) != 0 {
				t.Fatalf("unmodified object already invalid: %v", ps)
			}
			tc.mutate(o.Body)
			ps := v.Object(o)
			if len(ps) == 0 {
				t.Fatal("broken object accepted")
			}
			ds := validate.Diagnostics(res.Load.Positions, "prod", ps)
			got := ds.Error()
			if ps[0].Layer != tc.wantLayer {
				t.Errorf("layer %s, want %s", ps[0].Layer, tc.wantLayer)
			}
			if !strings.Contains(got, tc.wantSubstr) {
				t.Errorf("diagnostic %q does not contain %q", got, tc.wantSubstr)
			}
			if !strings.HasPrefix(got, tc.wantPos) {
				t.Errorf("diagnostic %q does not start at %s", got, tc.wantPos)
			}
		})
	}
}

// TestUnknownKind: a kind no layer knows is rejected, not waved through.
func TestUnknownKind(t *testing.T) {
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	o := object.Object{Target: object.ACK, Body: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w"}}}
	ps := v.Object(o)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "no schema for example.com/v1, Kind=Widget") {
		t.Fatalf("got %v", ps)
	}
}

func BenchmarkValidateReference(b *testing.B) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: root}})
	if err != nil {
		b.Fatal(err)
	}
	v, err := validate.Default()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		v.Forget() // every body validated afresh, as in one aimesh run
		b.StartTimer()
		for _, env := range res.Envs {
			if ps := v.Objects(res.Objects[env]); len(ps) > 0 {
				b.Fatal(ps)
			}
		}
	}
}

// TestRepeatedObjects: the validator remembers only objects that passed.
// A broken object is reported every time it is seen, and an object that
// passed before still brings its pod labels and selector to the cross-object checks
// (a Service validated twice still finds the Deployment it selects).
func TestRepeatedObjects(t *testing.T) {
	res := reference(t)
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	objs := res.Objects["prod"]
	for i := 0; i < 2; i++ {
		if ps := v.Objects(objs); len(ps) != 0 {
			t.Fatalf("pass %d: %v", i, ps)
		}
	}
	o := find(t, res, object.ACK, "Deployment", "style-transfer-tf")
	at(o.Body, "spec")["replica"] = 3
	for i := 0; i < 2; i++ {
		if ps := v.Object(o); len(ps) != 1 || ps[0].Path != "spec.replica" {
			t.Fatalf("pass %d: %v", i, ps)
		}
	}
	// Without its Deployments, every selecting Service is reported, on the
	// first and on a repeated pass.
	var services []object.Object
	for _, o := range objs {
		if o.Kind() == "Service" {
			services = append(services, o)
		}
	}
	for i := 0; i < 2; i++ {
		if ps := v.Objects(services); len(ps) == 0 || !strings.Contains(ps[0].Message, "selects no pods") {
			t.Fatalf("pass %d: %v", i, ps)
		}
	}
}
