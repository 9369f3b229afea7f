package ack_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/object"
)

func platform(t *testing.T) *model.Platform {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	res, err := load.Load(load.Options{Root: filepath.Join(filepath.Dir(file), "..", "..", "..")})
	if err != nil {
		t.Fatal(err)
	}
	return res.Platform
}

func render(t *testing.T, p *model.Platform, env string) map[string]object.Object {
	t.Helper()
	r, err := p.Resolve(env)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := ack.Render(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]object.Object{}
	for _, o := range objs {
		m[o.Kind()+"/"+o.Name()] = o
	}
	return m
}

func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}

func TestDeployments(t *testing.T) {
	p := platform(t)
	for _, tc := range []struct {
		env, deployment string
		replicas        any // nil: an HPA owns the replicas
		env0, env1      string
	}{
		{"dev", "style-transfer-tf", float64(1), "istio-ingressgateway.istio-system.svc.cluster.local:8008", "tf-style-transfer"},
		{"prod", "style-transfer-tf", nil, "istio-ingressgateway.istio-system.svc.cluster.local:8008", "tf-style-transfer"},
		{"prod", "style-transfer-torch", float64(2), "istio-ingressgateway.istio-system.svc.cluster.local:8008", "pt-style-transfer"},
	} {
		t.Run(tc.env+"/"+tc.deployment, func(t *testing.T) {
			d := render(t, p, tc.env)["Deployment/"+tc.deployment].Body
			if got := d["spec"].(map[string]any)["replicas"]; got != tc.replicas {
				t.Errorf("replicas %v, want %v", got, tc.replicas)
			}
			c := get(t, d, "spec", "template", "spec", "containers", 0)
			if got := get(t, c, "env", 0, "value"); got != tc.env0 {
				t.Errorf("MODEL_SERVER %v", got)
			}
			if got := get(t, c, "env", 1, "value"); got != tc.env1 {
				t.Errorf("MODEL_NAME %v", got)
			}
			sel := get(t, d, "spec", "selector", "matchLabels").(map[string]any)
			tmpl := get(t, d, "spec", "template", "metadata", "labels").(map[string]any)
			if len(sel) != 2 || sel["model-format"] != tmpl["model-format"] {
				t.Errorf("selector %v does not match template labels %v", sel, tmpl)
			}
		})
	}
}

func TestNamespaceModeAndStorage(t *testing.T) {
	p := platform(t)
	ns := render(t, p, "dev")["Namespace/apsara-demo"].Body
	if get(t, ns, "metadata", "labels", "istio.io/dataplane-mode") != "ambient" {
		t.Errorf("ambient label missing: %v", ns)
	}
	p.Mesh.Mode = "sidecar"
	for n, s := range p.Services {
		s.Waypoint = false
		p.Services[n] = s
	}
	m := render(t, p, "dev")
	if get(t, m["Namespace/apsara-demo"].Body, "metadata", "labels", "istio-injection") != "enabled" {
		t.Error("sidecar mode does not label the namespace for injection")
	}
	if _, ok := m["Gateway/style-transfer"]; ok {
		t.Error("a waypoint is rendered in sidecar mode")
	}

	mm := p.Models["pt-style-transfer"]
	mm.Storage = model.Storage{URI: "s3://bucket/pt/"}
	mm.Runtime = ""
	p.Models["pt-style-transfer"] = mm
	isvc := render(t, p, "dev")["InferenceService/pt-style-transfer"].Body
	if get(t, isvc, "spec", "predictor", "model", "storageUri") != "s3://bucket/pt/" {
		t.Errorf("storageUri not set: %v", isvc)
	}
	if get(t, isvc, "spec", "predictor", "model", "runtime") != "triton-2.x" {
		t.Error("auto-selected runtime is not written explicitly (C5)")
	}
}
