package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Objects checks rendered objects of one environment: no two objects of a
// target share kind/namespace/name; every DestinationRule governs a host
// some VirtualService routes to (C2); dynamicSubset only on hosts routed
// by a gateway, never through a waypoint alone (C16).
func Objects(ix load.Index, env string, objs []object.Object) diag.List {
	var out diag.List
	errorf := func(o object.Object, hint, format string, args ...any) {
		out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: ix.Lookup(o.Origin), Path: o.Origin, Env: env,
			Message: fmt.Sprintf(format, args...), Hint: hint})
	}
	seen := map[string]object.Object{}
	for _, o := range objs {
		key := string(o.Target) + " " + o.GVK().GroupKind().String() + "/" + o.Namespace() + "/" + o.Name()
		if prev, dup := seen[key]; dup {
			errorf(o, "rename one of them", "%s %s/%s on %s is also rendered from %s", o.Kind(), o.Namespace(), o.Name(), o.Target, prev.Origin)
			continue
		}
		seen[key] = o
	}

	// host -> whether a gateway-bound VirtualService routes to it
	routed := map[string]bool{}
	viaGateway := map[string]bool{}
	for _, o := range objs {
		if o.Kind() != "VirtualService" || !strings.HasPrefix(o.APIVersion(), "networking.istio.io/") {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		gws, _ := spec["gateways"].([]any)
		http, _ := spec["http"].([]any)
		for _, h := range http {
			routes, _ := h.(map[string]any)["route"].([]any)
			for _, rt := range routes {
				dst, _ := rt.(map[string]any)["destination"].(map[string]any)
				host, _ := dst["host"].(string)
				fq := FQDN(host, o.Namespace())
				routed[fq] = true
				if len(gws) > 0 {
					viaGateway[fq] = true
				}
			}
		}
	}
	// One VirtualService per mesh host (IST0109): two would be merged in
	// an undefined order.
	meshHosts := map[string]object.Object{}
	for _, o := range objs {
		if o.Kind() != "VirtualService" || !strings.HasPrefix(o.APIVersion(), "networking.istio.io/") {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		if gws, _ := spec["gateways"].([]any); len(gws) > 0 {
			continue
		}
		hosts, _ := spec["hosts"].([]any)
		for _, h := range hosts {
			host, _ := h.(string)
			fq := FQDN(host, o.Namespace())
			if prev, dup := meshHosts[fq]; dup {
				errorf(o, "route each mesh host from one VirtualService", "VirtualServices %s/%s and %s/%s both route mesh host %q (IST0109)",
					prev.Namespace(), prev.Name(), o.Namespace(), o.Name(), host)
			}
			meshHosts[fq] = o
		}
	}
	for _, o := range objs {
		if o.Kind() != "DestinationRule" {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		host, _ := spec["host"].(string)
		fq := FQDN(host, o.Namespace())
		if !routed[fq] {
			errorf(o, "derive the DestinationRule host and the VirtualService destination from the same value",
				"DestinationRule %s/%s host %q matches no VirtualService destination (C2)", o.Namespace(), o.Name(), host)
		}
		tp, _ := spec["trafficPolicy"].(map[string]any)
		lb, _ := tp["loadBalancer"].(map[string]any)
		if _, ok := lb["dynamicSubset"]; ok {
			if !viaGateway[fq] {
				errorf(o, "route the model host through a gateway VirtualService; waypoints ignore DestinationRule trafficPolicy",
					"dynamicSubset on %q takes no effect: no gateway routes to it (C16)", host)
			}
			if _, simple := lb["simple"]; simple {
				errorf(o, "drop simple/consistentHash", "dynamicSubset combined with another load balancer (C17)")
			}
		}
	}
	return out.Sorted()
}

// FQDN expands a short Service host relative to namespace ns.
func FQDN(host, ns string) string {
	if host == "" || host == "*" || strings.HasSuffix(host, ".svc.cluster.local") {
		return host
	}
	switch strings.Count(host, ".") {
	case 0:
		return host + "." + ns + ".svc.cluster.local"
	case 1:
		return host + ".svc.cluster.local"
	}
	return host
}
