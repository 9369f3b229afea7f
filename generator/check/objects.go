package check

import (
	"strings"

	"github.com/aimesh/aimesh/generator/render/object"
)

// Family "objects": rules on the rendered objects of one environment.

var ObjectIdentityUnique = rule(Rule{
	ID: "AM0601", Name: "object-identity-unique", Family: "objects", Scope: OnObjects,
	Prevents: "one object silently overwriting another: no two objects of a target share group/kind/namespace/name",
	objects: func(c *Ctx, objs []object.Object) {
		seen := map[string]object.Object{}
		for _, o := range objs {
			key := string(o.Target) + " " + o.GVK().GroupKind().String() + "/" + o.Namespace() + "/" + o.Name()
			if prev, dup := seen[key]; dup {
				c.ReportObject(o, "rename one of them", "%s %s/%s on %s is also rendered from %s", o.Kind(), o.Namespace(), o.Name(), o.Target, prev.Origin)
				continue
			}
			seen[key] = o
		}
	},
})

var DestinationRuleHostRouted = rule(Rule{
	ID: "AM0602", Name: "destination-rule-host-routed", Family: "objects", Scope: OnObjects, Refs: "C2",
	Invariant: true,
	Prevents:  "a DestinationRule that never applies (the seed's defect): its host must equal a VirtualService destination after FQDN expansion",
	objects: func(c *Ctx, objs []object.Object) {
		routed, _ := routedHosts(objs)
		for _, o := range istio(objs, "DestinationRule") {
			host, _ := specOf(o)["host"].(string)
			if !routed[FQDN(host, o.Namespace())] {
				c.ReportObject(o, "derive the DestinationRule host and the VirtualService destination from the same value",
					"DestinationRule %s/%s host %q matches no VirtualService destination (C2)", o.Namespace(), o.Name(), host)
			}
		}
	},
})

var OneVirtualServicePerMeshHost = rule(Rule{
	ID: "AM0603", Name: "one-virtualservice-per-mesh-host", Family: "objects", Scope: OnObjects, Refs: "C4, IST0109",
	Prevents: "two route tables for one mesh host, merged by Istio in an undefined order",
	objects: func(c *Ctx, objs []object.Object) {
		meshHosts := map[string]object.Object{}
		for _, o := range istio(objs, "VirtualService") {
			spec := specOf(o)
			if gws, _ := spec["gateways"].([]any); len(gws) > 0 {
				continue
			}
			hosts, _ := spec["hosts"].([]any)
			for _, h := range hosts {
				host, _ := h.(string)
				fq := FQDN(host, o.Namespace())
				if prev, dup := meshHosts[fq]; dup {
					c.ReportObject(o, "route each mesh host from one VirtualService", "VirtualServices %s/%s and %s/%s both route mesh host %q (IST0109)",
						prev.Namespace(), prev.Name(), o.Namespace(), o.Name(), host)
				}
				meshHosts[fq] = o
			}
		}
	},
})

var DynamicSubsetPlacement = rule(Rule{
	ID: "AM0604", Name: "dynamic-subset-placement", Family: "objects", Scope: OnObjects, Refs: "C16, C17",
	Invariant: true,
	Prevents:  "a dynamicSubset that takes no effect (waypoints ignore DestinationRule trafficPolicy, so only gateway-routed hosts may use it) or that is combined with another load balancer",
	objects: func(c *Ctx, objs []object.Object) {
		_, viaGateway := routedHosts(objs)
		for _, o := range istio(objs, "DestinationRule") {
			spec := specOf(o)
			host, _ := spec["host"].(string)
			tp, _ := spec["trafficPolicy"].(map[string]any)
			lb, _ := tp["loadBalancer"].(map[string]any)
			if _, ok := lb["dynamicSubset"]; !ok {
				continue
			}
			if !viaGateway[FQDN(host, o.Namespace())] {
				c.ReportObject(o, "route the model host through a gateway VirtualService; waypoints ignore DestinationRule trafficPolicy",
					"dynamicSubset on %q takes no effect: no gateway routes to it (C16)", host)
			}
			if _, simple := lb["simple"]; simple {
				c.ReportObject(o, "drop simple/consistentHash", "dynamicSubset combined with another load balancer (C17)")
			}
		}
	},
})

// istio returns the networking.istio.io objects of one kind.
func istio(objs []object.Object, kind string) []object.Object {
	var out []object.Object
	for _, o := range objs {
		if o.Kind() == kind && strings.HasPrefix(o.APIVersion(), "networking.istio.io/") {
			out = append(out, o)
		}
	}
	return out
}

func specOf(o object.Object) map[string]any {
	spec, _ := o.Body["spec"].(map[string]any)
	if spec == nil {
		return map[string]any{}
	}
	return spec
}

// routedHosts returns the FQDNs VirtualServices route to, and those routed
// by a gateway-bound VirtualService.
func routedHosts(objs []object.Object) (routed, viaGateway map[string]bool) {
	routed, viaGateway = map[string]bool{}, map[string]bool{}
	for _, o := range istio(objs, "VirtualService") {
		spec := specOf(o)
		gws, _ := spec["gateways"].([]any)
		http, _ := spec["http"].([]any)
		for _, h := range http {
			hm, _ := h.(map[string]any)
			routes, _ := hm["route"].([]any)
			for _, rt := range routes {
				rm, _ := rt.(map[string]any)
				dst, _ := rm["destination"].(map[string]any)
				host, _ := dst["host"].(string)
				fq := FQDN(host, o.Namespace())
				routed[fq] = true
				if len(gws) > 0 {
					viaGateway[fq] = true
				}
			}
		}
	}
	return routed, viaGateway
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
