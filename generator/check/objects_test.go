package check

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
)

func obj(kind, ns, name string, spec map[string]any) object.Object {
	return object.Object{Target: object.ASM, Origin: "x", Body: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}}
}

func vs(ns, name string, gateways []any, hosts []any, dst string) object.Object {
	spec := map[string]any{"hosts": hosts, "http": []any{map[string]any{"route": []any{
		map[string]any{"destination": map[string]any{"host": dst}}}}}}
	if gateways != nil {
		spec["gateways"] = gateways
	}
	return obj("VirtualService", ns, name, spec)
}

func TestObjects(t *testing.T) {
	dsLB := map[string]any{"loadBalancer": map[string]any{"dynamicSubset": map[string]any{}}}
	for _, tc := range []struct {
		name string
		objs []object.Object
		want string // "" = no error
	}{
		{"host identity holds after FQDN expansion", []object.Object{
			vs("ns", "a", nil, []any{"svc"}, "svc"),
			obj("DestinationRule", "ns", "d", map[string]any{"host": "svc.ns.svc.cluster.local"}),
		}, ""},
		{"seed defect: DR host differs (C2)", []object.Object{
			vs("mm", "a", []any{"gw"}, []any{"*"}, "modelmesh-serving"),
			obj("DestinationRule", "mm", "d", map[string]any{"host": "modelmesh-serving-service"}),
		}, `host "modelmesh-serving-service" matches no VirtualService destination (C2)`},
		{"dynamicSubset behind a waypoint only (C16)", []object.Object{
			vs("ns", "a", nil, []any{"svc"}, "svc"),
			obj("DestinationRule", "ns", "d", map[string]any{"host": "svc", "trafficPolicy": dsLB}),
		}, `dynamicSubset on "svc" takes no effect: no gateway routes to it (C16)`},
		{"two VirtualServices for one mesh host (IST0109)", []object.Object{
			vs("ns", "a", nil, []any{"svc"}, "svc"),
			vs("ns", "b", nil, []any{"svc.ns.svc.cluster.local"}, "svc"),
		}, "both route mesh host"},
		{"duplicate identity", []object.Object{
			vs("ns", "a", []any{"gw"}, []any{"*"}, "svc"),
			vs("ns", "a", []any{"gw"}, []any{"*"}, "svc"),
		}, "VirtualService ns/a on asm is also rendered from x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Objects(load.Index{}, "prod", tc.objs)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("unexpected: %v", got)
				}
				return
			}
			if !strings.Contains(got.Error(), tc.want) {
				t.Fatalf("got %q, want %q", got.Error(), tc.want)
			}
		})
	}
}
