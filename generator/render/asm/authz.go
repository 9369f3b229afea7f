package asm

import (
	"strconv"

	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"github.com/aimesh/aimesh/generator/model"
)

// DefaultDeny is the name of the allow-nothing AuthorizationPolicy of the
// app namespace: with it, only what an ALLOW policy admits reaches a pod.
const DefaultDeny = "default-deny"

// ModelMeshServiceLabel is the label ModelMesh puts on its runtime pods
// (the selector of its Service).
const ModelMeshServiceLabel = "modelmesh-service"

// CallerPrincipals are the principals allowed to call service sn: the
// service accounts of the services that declare the call, and the gateway
// of its exposure. Sorted, unique.
func CallerPrincipals(r *model.Resolved, sn string) []string {
	return callerPrincipals(r, r.CallerIndex(), sn)
}

// callerPrincipals is CallerPrincipals with the platform's CallerIndex
// built once by the caller (rendering asks for every service).
func callerPrincipals(r *model.Resolved, index map[string][]string, sn string) []string {
	set := map[string]bool{}
	for _, c := range index[sn] {
		set[r.Principal(r.Namespaces.App, r.Services[c].ServiceAccount)] = true
	}
	if e := r.Services[sn].Exposure; e != nil {
		if gw, ok := r.Gateways[e.Gateway]; ok {
			set[r.Principal(istioSystem, gw.ServiceAccount)] = true
		}
	}
	return model.SortedKeys(set)
}

// viaWaypoint reports whether traffic to s passes its ambient waypoint.
func viaWaypoint(r *model.Resolved, s model.Service) bool {
	return s.Waypoint && r.Mesh.Mode == "ambient"
}

// waypointTarget binds a policy to the waypoint of s: targetRefs from
// Istio 1.22, the gateway-name selector before.
func (x *renderer) waypointTarget(s model.Service, ap *security.AuthorizationPolicy) {
	wp := x.r.WaypointName(s)
	if x.r.IstioAtLeast(22) {
		ap.TargetRefs = []*typev1beta1.PolicyTargetReference{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: wp}}
	} else {
		ap.Selector = &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"istio.io/gateway-name": wp}}
	}
}

// authorization emits the least-privilege policies:
//   - app namespace: an allow-nothing policy (default deny) and, per
//     service, an ALLOW by principal for exactly its declared callers and
//     its exposure gateway on its port, enforced by ztunnel (L4) or the
//     sidecar; for a service behind a waypoint, ztunnel admits only the
//     waypoint and the callers are checked at the waypoint (L7, together
//     with the JWT of tier routing, see sso);
//   - model namespace: ModelMesh's runtime pods admit the model gateway on
//     the gRPC port and ModelMesh's own pods (same namespace); the
//     controller, its webhook and etcd are left to the namespace's other
//     policies (the kube-apiserver calls the webhook from outside the mesh).
func (x *renderer) authorization() {
	r := x.r
	ns := r.Namespaces.App
	api := x.securityAPI()
	x.istio(UnitRouting, "namespaces.app", api, "AuthorizationPolicy", ns, DefaultDeny, &security.AuthorizationPolicy{}, nil)
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		callers := x.callerPrincipals(sn)
		origin := model.Path("services", sn, "calls")
		port := &security.Rule_To{Operation: &security.Operation{Ports: []string{strconv.Itoa(int(s.Port))}}}
		l4 := callers
		if viaWaypoint(r, s) {
			l4 = []string{r.Principal(ns, r.WaypointServiceAccount(s))}
			// Tier-routed services check callers in their JWT policy (sso).
			if len(r.Tiers.ForService(sn)) == 0 || r.SSO == nil {
				if len(callers) > 0 {
					ap := &security.AuthorizationPolicy{Action: security.AuthorizationPolicy_ALLOW,
						Rules: []*security.Rule{{From: []*security.Rule_From{{Source: &security.Source{Principals: callers}}}}}}
					x.waypointTarget(s, ap)
					x.istio(UnitRouting, origin, api, "AuthorizationPolicy", ns, sn+"-allow-callers", ap, nil)
				}
			}
		}
		if len(l4) == 0 {
			continue // nobody may call it: the default deny stands (check warns)
		}
		x.istio(UnitRouting, origin, api, "AuthorizationPolicy", ns, sn+"-allow", &security.AuthorizationPolicy{
			Selector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"app": s.Name}},
			Action:   security.AuthorizationPolicy_ALLOW,
			Rules: []*security.Rule{{
				From: []*security.Rule_From{{Source: &security.Source{Principals: l4}}},
				To:   []*security.Rule_To{port},
			}},
		}, nil)
	}

	ms := r.ModelServing
	gw, ok := r.Gateways[ms.Gateway]
	if !ok {
		return
	}
	x.istio(UnitRouting, "modelServing.gateway", api, "AuthorizationPolicy", ms.Namespace, ms.ServiceName+"-allow-gateway", &security.AuthorizationPolicy{
		Selector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{ModelMeshServiceLabel: ms.ServiceName}},
		Action:   security.AuthorizationPolicy_ALLOW,
		Rules: []*security.Rule{
			{
				From: []*security.Rule_From{{Source: &security.Source{Principals: []string{r.Principal(istioSystem, gw.ServiceAccount)}}}},
				To:   []*security.Rule_To{{Operation: &security.Operation{Ports: []string{strconv.Itoa(int(ms.GRPCPort))}}}},
			},
			{From: []*security.Rule_From{{Source: &security.Source{Namespaces: []string{ms.Namespace}}}}},
		},
	}, nil)
}
