package ack_test

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// podTemplates returns the pod templates of every Deployment and Job.
func podTemplates(objs map[string]object.Object) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, o := range objs {
		if o.Kind() == "Deployment" || o.Kind() == "Job" {
			out[id] = o.Body["spec"].(map[string]any)["template"].(map[string]any)
		}
	}
	return out
}

// TestRestrictedPods: every pod template of every environment carries the
// Pod Security "restricted" settings, probes, a memory limit and a version label.
func TestRestrictedPods(t *testing.T) {
	p := platform(t)
	for _, env := range p.EnvNames() {
		for id, tmpl := range podTemplates(render(t, p, env)) {
			t.Run(env+"/"+id, func(t *testing.T) {
				spec := tmpl["spec"].(map[string]any)
				psc := spec["securityContext"].(map[string]any)
				if psc["runAsNonRoot"] != true || get(t, psc, "seccompProfile", "type") != "RuntimeDefault" {
					t.Errorf("pod securityContext %v", psc)
				}
				if v, _ := get(t, tmpl, "metadata", "labels").(map[string]any)["version"].(string); v == "" {
					t.Errorf("no version label: %v", tmpl["metadata"])
				}
				for _, c := range spec["containers"].([]any) {
					c := c.(map[string]any)
					sc := c["securityContext"].(map[string]any)
					if sc["allowPrivilegeEscalation"] != false || get(t, sc, "capabilities", "drop", 0) != "ALL" || sc["readOnlyRootFilesystem"] != true {
						t.Errorf("container securityContext %v", sc)
					}
					if get(t, c, "resources", "limits", "memory") == nil {
						t.Errorf("container %s has no memory limit", c["name"])
					}
					if strings.HasPrefix(id, "Deployment/") && (c["readinessProbe"] == nil || c["livenessProbe"] == nil) {
						t.Errorf("container %s lacks readiness or liveness probe", c["name"])
					}
				}
			})
		}
	}
}

// TestProbesDerivedAndDeclared: readinessPath gives an HTTP readiness
// probe, otherwise TCP; model-bound variants get a startup probe; a
// declared probe replaces the derived one.
func TestProbesDerivedAndDeclared(t *testing.T) {
	p := platform(t)
	m := render(t, p, "dev")
	c := func(name string) any {
		return get(t, m["Deployment/"+name].Body, "spec", "template", "spec", "containers", 0)
	}
	if got := get(t, c("ai-backend"), "readinessProbe", "httpGet", "path"); got != "/home" {
		t.Errorf("ai-backend readiness path %v", got)
	}
	if got := c("ai-backend").(map[string]any)["startupProbe"]; got != nil {
		t.Errorf("ai-backend is bound to no model but has a startup probe %v", got)
	}
	tf := c("style-transfer-tf")
	if get(t, tf, "readinessProbe", "tcpSocket", "port") != "http" || get(t, tf, "startupProbe", "failureThreshold") != float64(model.StartupFailureThreshold) {
		t.Errorf("style-transfer-tf probes %v", tf)
	}

	s := p.Services["style-transfer"]
	v := s.Variants["pytorch"]
	v.Probes = &model.Probes{Readiness: &model.Probe{GRPC: &model.ProbeGRPC{Port: 9000}, PeriodSeconds: 5, TimeoutSeconds: 1, FailureThreshold: 3}}
	v.ReadOnlyRootFilesystem = new(bool)
	s.Variants["pytorch"] = v
	p.Services["style-transfer"] = s
	torch := get(t, render(t, p, "dev")["Deployment/style-transfer-torch"].Body, "spec", "template", "spec", "containers", 0)
	if get(t, torch, "readinessProbe", "grpc", "port") != float64(9000) || get(t, torch, "readinessProbe", "periodSeconds") != float64(5) {
		t.Errorf("declared gRPC readiness probe not rendered: %v", torch)
	}
	if get(t, torch, "startupProbe", "grpc", "port") != float64(9000) {
		t.Errorf("startup probe does not follow the declared readiness check: %v", torch)
	}
	if _, ok := get(t, torch, "securityContext").(map[string]any)["readOnlyRootFilesystem"]; ok {
		t.Errorf("readOnlyRootFilesystem knob ignored: %v", torch)
	}
}

// TestScaling: prod's tensorflow variant autoscales (an HPA, no replicas in
// the Deployment); every Deployment with 2+ replicas or an HPA has a PDB
// and spreads in prod; dev (1 replica each) has neither.
func TestScaling(t *testing.T) {
	p := platform(t)
	prod := render(t, p, "prod")
	h, ok := prod["HorizontalPodAutoscaler/style-transfer-tf"]
	if !ok {
		t.Fatal("no HPA for style-transfer-tf in prod")
	}
	if get(t, h.Body, "spec", "scaleTargetRef", "name") != "style-transfer-tf" || get(t, h.Body, "spec", "minReplicas") != float64(4) {
		t.Errorf("HPA %v", h.Body)
	}
	if _, has := h.Body["status"]; has {
		t.Error("HPA carries a status")
	}
	for id, o := range prod {
		if o.Kind() != "Deployment" {
			continue
		}
		_, pdb := prod["PodDisruptionBudget/"+o.Name()]
		if !pdb {
			t.Errorf("prod %s: no PodDisruptionBudget", id)
		}
		if get(t, o.Body, "spec", "template", "spec").(map[string]any)["topologySpreadConstraints"] == nil {
			t.Errorf("prod %s: no topologySpreadConstraints", id)
		}
		sel := get(t, o.Body, "spec", "selector", "matchLabels")
		if got := get(t, prod["PodDisruptionBudget/"+o.Name()].Body, "spec", "selector", "matchLabels"); pdb && len(got.(map[string]any)) != len(sel.(map[string]any)) {
			t.Errorf("prod %s: PDB selector %v, Deployment selector %v", id, got, sel)
		}
	}
	for id, o := range render(t, p, "dev") {
		if o.Kind() == "PodDisruptionBudget" || o.Kind() == "HorizontalPodAutoscaler" {
			t.Errorf("dev renders %s for single-replica workloads", id)
		}
	}
}

func TestVersionLabel(t *testing.T) {
	for _, tc := range []struct{ image, want string }{
		{"registry.example.com/a/b:v1.2.3", "v1.2.3"},
		{"registry.example.com:5000/a/b:g78d00b1c-aliyun", "g78d00b1c-aliyun"},
		{"registry.example.com/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "sha256-0123456789ab"},
		{"registry.example.com/a/b:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "1.0"},
		{"registry.example.com:5000/a/b", "latest"},
		{"r.example.com/a/b:" + strings.Repeat("x", 70), strings.Repeat("x", 63)},
		{"r.example.com/a/b:_v1.", "v1"},
	} {
		if got := model.VersionLabel(tc.image); got != tc.want {
			t.Errorf("VersionLabel(%q) = %q, want %q", tc.image, got, tc.want)
		}
	}
}

// TestNamespacePodSecurity: restricted by default, the opt-out knob
// per namespace, and warn/audit always on restricted.
func TestNamespacePodSecurity(t *testing.T) {
	p := platform(t)
	m := render(t, p, "prod")
	app := get(t, m["Namespace/apsara-demo"].Body, "metadata", "labels").(map[string]any)
	if app["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("app namespace labels %v", app)
	}
	models := get(t, m["Namespace/modelmesh-serving"].Body, "metadata", "labels").(map[string]any)
	if models["pod-security.kubernetes.io/enforce"] != "baseline" || models["pod-security.kubernetes.io/warn"] != "restricted" ||
		models["istio.io/dataplane-mode"] != "ambient" {
		t.Errorf("model namespace labels %v", models)
	}
}
