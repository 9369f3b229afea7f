package asm_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
)

func resolved(t *testing.T, istio string) *model.Resolved {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	res, err := load.Load(load.Options{Root: filepath.Join(filepath.Dir(file), "..", "..", "..")})
	if err != nil {
		t.Fatal(err)
	}
	res.Platform.Mesh.IstioVersion = istio
	r, err := res.Platform.Resolve("prod")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func byID(objs []object.Object) map[string]object.Object {
	m := map[string]object.Object{}
	for _, o := range objs {
		m[o.Kind()+"/"+o.Name()] = o
	}
	return m
}

// TestIstioVersionForms: the waypoint and policy attachment follow the
// mesh's Istio version (C15).
func TestIstioVersionForms(t *testing.T) {
	for _, tc := range []struct {
		istio, netAPI, gwAPI string
		targetRefs           bool
		useWaypointLabel     bool
		waypoint             string
	}{
		{"1.22", "networking.istio.io/v1", "gateway.networking.k8s.io/v1", true, true, "style-transfer-waypoint"},
		{"1.21", "networking.istio.io/v1beta1", "gateway.networking.k8s.io/v1beta1", false, false, "style-transfer"},
	} {
		t.Run(tc.istio, func(t *testing.T) {
			r := resolved(t, tc.istio)
			as, err := asm.Render(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			ac, err := ack.Render(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, k := byID(as), byID(ac)
			if got := m["VirtualService/style-transfer-vs"].APIVersion(); got != tc.netAPI {
				t.Errorf("VirtualService apiVersion %s, want %s", got, tc.netAPI)
			}
			wp := k["Gateway/"+tc.waypoint]
			if got := wp.APIVersion(); got != tc.gwAPI {
				t.Errorf("waypoint apiVersion %s, want %s", got, tc.gwAPI)
			}
			ra := m["RequestAuthentication/style-transfer-jwt"].Body["spec"].(map[string]any)
			if _, ok := ra["targetRefs"]; ok != tc.targetRefs {
				t.Errorf("targetRefs present = %v, want %v (spec %v)", ok, tc.targetRefs, ra)
			}
			if _, ok := ra["selector"]; ok == tc.targetRefs {
				t.Errorf("selector present = %v, want %v", ok, !tc.targetRefs)
			}
			svc := k["Service/style-transfer"].Body["metadata"].(map[string]any)
			labels, _ := svc["labels"].(map[string]any)
			if v, ok := labels["istio.io/use-waypoint"]; ok != tc.useWaypointLabel || ok && v != tc.waypoint {
				t.Errorf("use-waypoint label = %v (%v), want %v (%s)", ok, v, tc.useWaypointLabel, tc.waypoint)
			}
		})
	}
}

// TestModelRoutingHostIdentity: the VirtualService destination and the
// DestinationRule host come from one value (C2).
func TestModelRoutingHostIdentity(t *testing.T) {
	r := resolved(t, "1.22")
	as, err := asm.Render(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := byID(as)
	vs := m["VirtualService/vs-modelmesh-serving-service"].Body["spec"].(map[string]any)
	dst := vs["http"].([]any)[0].(map[string]any)["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)["host"]
	dr := m["DestinationRule/dr-modelmesh-serving-service"].Body["spec"].(map[string]any)["host"]
	if dst != dr || dr != "modelmesh-serving.modelmesh-serving.svc.cluster.local" {
		t.Errorf("VS destination %v, DR host %v", dst, dr)
	}
}
