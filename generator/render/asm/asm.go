package asm

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Units of the ASM target, in apply order.
const (
	UnitPlatform = "platform"
	UnitRouting  = "routing"
)

const istioSystem = "istio-system"

// Placeholder is the sync-time variable that stands for a secret value in
// the output; Flux postBuild.substituteFrom resolves it (C18).
func Placeholder(ref model.SecretRef) string { return "${" + ref.SecretRef.Key + "}" }

type renderer struct {
	r    *model.Resolved
	pool *object.Pool
	out  []object.Object
	err  error
	// callers is r.CallerIndex(), built on first use.
	callers map[string][]string
}

func (x *renderer) callerPrincipals(sn string) []string {
	if x.callers == nil {
		x.callers = x.r.CallerIndex()
	}
	return callerPrincipals(x.r, x.callers, sn)
}

// Render returns the ASM objects of r. r must have passed generator/check.
// The bodies are shared through pool (nil: each object owns its body).
func Render(r *model.Resolved, pool *object.Pool) ([]object.Object, error) {
	x := &renderer{r: r, pool: pool}
	x.platform()
	x.modelRouting()
	x.appRouting()
	x.sso()
	x.authorization()
	return x.out, x.err
}

func (x *renderer) typed(unit, origin string, v any) {
	if x.err != nil {
		return
	}
	o, err := x.pool.FromTyped(object.ASM, unit, origin, v)
	if err != nil {
		x.err = err
		return
	}
	x.out = append(x.out, o)
}

func (x *renderer) istio(unit, origin, apiVersion, kind, ns, name string, spec proto.Message, ext func(map[string]any) error) {
	if x.err != nil {
		return
	}
	o, err := x.pool.FromProto(object.ASM, unit, origin,
		metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
		metav1.ObjectMeta{Name: name, Namespace: ns}, spec, ext)
	if err != nil {
		x.err = err
		return
	}
	x.out = append(x.out, o)
}

func (x *renderer) networkingAPI() string {
	if x.r.IstioAtLeast(22) {
		return "networking.istio.io/v1"
	}
	return "networking.istio.io/v1beta1"
}

func (x *renderer) securityAPI() string {
	if x.r.IstioAtLeast(22) {
		return "security.istio.io/v1"
	}
	return "security.istio.io/v1beta1"
}

func tm(kind string) metav1.TypeMeta { return metav1.TypeMeta{APIVersion: ASMAPIVersion, Kind: kind} }

func (x *renderer) platform() {
	r := x.r
	for _, ns := range []struct{ name, origin string }{{r.Namespaces.App, "namespaces.app"}, {r.Namespaces.Models, "namespaces.models"}} {
		x.typed(UnitPlatform, ns.origin, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns.name},
		})
	}
	x.typed(UnitPlatform, "modelServing.kserveTag", &ASMKServeConfig{
		TypeMeta:   tm("ASMKServeConfig"),
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: ASMKServeConfigSpec{Enabled: true, MultiModel: true,
			MultiModelControllerNamespace: r.ModelServing.Namespace, Tag: r.ModelServing.KServeTag},
	})
	for _, gn := range model.SortedKeys(r.Gateways) {
		g := r.Gateways[gn]
		spec := IstioGatewaySpec{
			GatewayType: "ingress",
			ClusterIDs:  []string{r.Env.Clusters.ACK.ID},
			ServiceType: g.ServiceType,
		}
		if g.Replicas != nil {
			spec.ReplicaCount = g.Replicas
		}
		for _, p := range sortedPorts(g.Ports) {
			spec.Ports = append(spec.Ports, IstioGatewayPort{Name: p.Name, Port: p.Port, TargetPort: p.Port, Protocol: "TCP"})
		}
		if g.Resources != nil {
			spec.Resources = &ResourceRequirment{Requests: resourceMap(g.Resources.Requests), Limits: resourceMap(g.Resources.Limits)}
		}
		x.typed(UnitPlatform, model.Path("gateways", gn), &IstioGateway{
			TypeMeta:   tm("IstioGateway"),
			ObjectMeta: metav1.ObjectMeta{Name: gn, Namespace: istioSystem},
			Spec:       spec,
		})
	}
}

func resourceMap(l *model.ResourceList) map[string]string {
	if l == nil {
		return nil
	}
	m := map[string]string{}
	if l.CPU != "" {
		m["cpu"] = l.CPU
	}
	if l.Memory != "" {
		m["memory"] = l.Memory
	}
	return m
}

func sortedPorts(ps []model.GatewayPort) []model.GatewayPort {
	out := append([]model.GatewayPort(nil), ps...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Port < out[j-1].Port; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// gatewayServer is a Gateway server for port of IstioGateway gw.
func gatewayServer(gw model.Gateway, port int32, hosts []string) *networking.Server {
	for _, p := range gw.Ports {
		if p.Port == port {
			srv := &networking.Server{Hosts: hosts, Port: &networking.Port{Number: uint32(port), Name: p.Name, Protocol: p.Protocol}}
			if p.CredentialName != "" {
				srv.Tls = &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: p.CredentialName}
			}
			return srv
		}
	}
	return nil
}

func (x *renderer) modelRouting() {
	r := x.r
	ms := r.ModelServing
	gw := r.Gateways[ms.Gateway]
	sel := map[string]string{"istio": ms.Gateway}
	x.istio(UnitRouting, "modelServing.objects.gateway", x.networkingAPI(), "Gateway", ms.Namespace, ms.Objects.Gateway,
		&networking.Gateway{Selector: sel, Servers: []*networking.Server{gatewayServer(gw, ms.Port, []string{"*"})}}, nil)

	host := ms.Host()
	formats := r.DynamicSubsetFormats()
	var keys []HeaderToDynamicSubsetKey
	var selectors []SubsetSelector
	for _, f := range formats {
		keys = append(keys, HeaderToDynamicSubsetKey{Header: r.FormatHeader(f), Key: ms.SubsetKeyPrefix + f})
		selectors = append(selectors, SubsetSelector{Keys: []string{ms.SubsetKeyPrefix + f}})
	}
	vs := &networking.VirtualService{
		Gateways: []string{ms.Objects.Gateway},
		Hosts:    []string{"*"},
		Http: []*networking.HTTPRoute{{
			Name:  "default",
			Match: []*networking.HTTPMatchRequest{{Port: uint32(ms.Port)}},
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
				Host: host, Port: &networking.PortSelector{Number: uint32(ms.GRPCPort)}}}},
		}},
	}
	x.istio(UnitRouting, "modelServing.objects.virtualService", x.networkingAPI(), "VirtualService", ms.Namespace, ms.Objects.VirtualService, vs,
		func(spec map[string]any) error {
			ext, err := object.ToMap(keys)
			if err != nil {
				return err
			}
			spec["http"].([]any)[0].(map[string]any)["headerToDynamicSubsetKey"] = ext
			return nil
		})
	x.istio(UnitRouting, "modelServing.objects.destinationRule", x.networkingAPI(), "DestinationRule", ms.Namespace, ms.Objects.DestinationRule,
		&networking.DestinationRule{Host: host},
		func(spec map[string]any) error {
			ext, err := object.ToMap(DynamicSubsetTrafficPolicy{LoadBalancer: DynamicSubsetLoadBalancer{
				DynamicSubset: DynamicSubset{FallbackPolicy: ms.FallbackPolicy, SubsetSelectors: selectors}}})
			if err != nil {
				return err
			}
			spec["trafficPolicy"] = ext
			return nil
		})

	x.typed(UnitRouting, "modelServing.objects.transcoder", &ASMGrpcJsonTranscoder{
		TypeMeta:   tm("ASMGrpcJsonTranscoder"),
		ObjectMeta: metav1.ObjectMeta{Name: ms.Objects.Transcoder, Namespace: istioSystem},
		Spec: ASMGrpcJsonTranscoderSpec{
			WorkloadSelector:       WorkloadSelector{Labels: sel},
			IsGateway:              true,
			PortNumber:             ms.Port,
			BuiltinProtoDescriptor: ms.TranscoderDescriptor,
			Services:               []string{KServeV2Service},
		},
	})

	value, err := structpb.NewStruct(map[string]any{"per_connection_buffer_limit_bytes": float64(r.BufferLimitBytes())})
	if err != nil {
		x.err = err
		return
	}
	x.istio(UnitRouting, "models", "networking.istio.io/v1alpha3", "EnvoyFilter", istioSystem, ms.Objects.BufferFilter,
		&networking.EnvoyFilter{
			WorkloadSelector: &networking.WorkloadSelector{Labels: sel},
			ConfigPatches: []*networking.EnvoyFilter_EnvoyConfigObjectPatch{{
				ApplyTo: networking.EnvoyFilter_LISTENER,
				Match: &networking.EnvoyFilter_EnvoyConfigObjectMatch{
					Context: networking.EnvoyFilter_GATEWAY,
					ObjectTypes: &networking.EnvoyFilter_EnvoyConfigObjectMatch_Listener{
						Listener: &networking.EnvoyFilter_ListenerMatch{PortNumber: uint32(ms.Port)},
					},
				},
				Patch: &networking.EnvoyFilter_Patch{Operation: networking.EnvoyFilter_Patch_MERGE, Value: value},
			}},
		}, nil)
}

// TierHeaders are the headers the edge gateway strips: tier routing must
// only ever see the value a verified JWT produced (C12).
func tierHeaders(r *model.Resolved) []string {
	if r.Tiers == nil {
		return nil
	}
	return []string{r.Tiers.Header}
}

func (x *renderer) appRouting() {
	r := x.r
	ns := r.Namespaces.App
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		fqdn := fmt.Sprintf("%s.%s.svc.cluster.local", s.KubeName(), ns)
		if e := s.Exposure; e != nil {
			gw := r.Gateways[e.Gateway]
			var servers []*networking.Server
			ports := append([]int32(nil), e.Ports...)
			for i := 1; i < len(ports); i++ {
				for j := i; j > 0 && ports[j] < ports[j-1]; j-- {
					ports[j], ports[j-1] = ports[j-1], ports[j]
				}
			}
			for _, p := range ports {
				servers = append(servers, gatewayServer(gw, p, e.Hosts))
			}
			x.istio(UnitRouting, model.Path("services", sn, "exposure"), x.networkingAPI(), "Gateway", ns, e.GatewayObject,
				&networking.Gateway{Selector: map[string]string{"istio": e.Gateway}, Servers: servers}, nil)
			route := &networking.HTTPRoute{
				Name: "default",
				Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
					Host: fqdn, Port: &networking.PortSelector{Number: uint32(s.Port)}}}},
			}
			if hs := tierHeaders(r); len(hs) > 0 {
				route.Headers = &networking.Headers{Request: &networking.Headers_HeaderOperations{Remove: hs}}
			}
			x.istio(UnitRouting, model.Path("services", sn, "exposure"), x.networkingAPI(), "VirtualService", ns, e.VirtualService,
				&networking.VirtualService{Gateways: []string{e.GatewayObject}, Hosts: e.Hosts, Http: []*networking.HTTPRoute{route}}, nil)
		}
		tiers := r.Tiers.ForService(sn)
		if s.Routing == nil || len(s.Variants) == 0 {
			continue
		}
		var routes []*networking.HTTPRoute
		for _, t := range tiers {
			rt := &networking.HTTPRoute{
				Name: t.Name,
				Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
					Host: fqdn, Subset: t.Variant, Port: &networking.PortSelector{Number: uint32(s.Port)}}}},
			}
			if !t.Default {
				rt.Match = []*networking.HTTPMatchRequest{{Headers: map[string]*networking.StringMatch{
					r.Tiers.Header: {MatchType: &networking.StringMatch_Exact{Exact: t.Value}},
				}}}
			}
			routes = append(routes, rt)
		}
		if len(routes) > 0 {
			x.istio(UnitRouting, model.Path("services", sn, "routing", "virtualService"), x.networkingAPI(), "VirtualService", ns, s.Routing.VirtualService,
				&networking.VirtualService{Hosts: []string{fqdn}, Http: routes}, nil)
		}
		var subsets []*networking.Subset
		for _, v := range s.SortedVariants() {
			subsets = append(subsets, &networking.Subset{Name: v.Name, Labels: map[string]string{s.VariantLabel: v.Name}})
		}
		x.istio(UnitRouting, model.Path("services", sn, "routing", "destinationRule"), x.networkingAPI(), "DestinationRule", ns, s.Routing.DestinationRule,
			&networking.DestinationRule{Host: fqdn, Subsets: subsets}, nil)
	}
}

func (x *renderer) sso() {
	r := x.r
	sso := r.SSO
	if sso == nil {
		return
	}
	x.typed(UnitRouting, "sso", &ASMSecurityPolicy{
		TypeMeta:   tm("ASMSecurityPolicy"),
		ObjectMeta: metav1.ObjectMeta{Name: sso.PolicyName},
		Spec: ASMSecurityPolicySpec{OIDCConfig: OIDCConfig{
			IssuerURI:          sso.Issuer,
			ClientID:           sso.ClientID,
			ClientSecret:       Placeholder(sso.ClientSecret),
			CookieSecret:       Placeholder(sso.CookieSecret),
			Scopes:             sso.Scopes,
			RedirectProtocol:   sso.RedirectProtocol,
			RedirectASMGateway: sso.Gateway,
			RedirectDomain:     sso.RedirectHost,
		}},
	})
	// Claim headers are produced, and required, on every hop that routes
	// on them: the waypoint of each tier-routed service (C12-C14).
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		if len(r.Tiers.ForService(sn)) == 0 || !s.Waypoint {
			continue
		}
		wp := r.WaypointName(s)
		var claims []*security.ClaimToHeader
		for _, c := range sso.Claims {
			claims = append(claims, &security.ClaimToHeader{Header: c.Header, Claim: c.Claim})
		}
		ra := &security.RequestAuthentication{JwtRules: []*security.JWTRule{{
			Issuer: sso.Issuer, JwksUri: sso.JWKSURI, Audiences: sso.Audiences,
			ForwardOriginalToken: true, OutputClaimToHeaders: claims,
		}}}
		// One source: a verified JWT AND a declared caller (ALLOW policies
		// are OR-ed, so the caller check cannot be a policy of its own).
		ap := &security.AuthorizationPolicy{
			Action: security.AuthorizationPolicy_ALLOW,
			Rules: []*security.Rule{{From: []*security.Rule_From{{Source: &security.Source{
				RequestPrincipals: []string{"*"}, Principals: x.callerPrincipals(sn)}}}}},
		}
		if r.IstioAtLeast(22) {
			ref := []*typev1beta1.PolicyTargetReference{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: wp}}
			ra.TargetRefs, ap.TargetRefs = ref, ref
		} else {
			sel := &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"istio.io/gateway-name": wp}}
			ra.Selector, ap.Selector = sel, sel
		}
		ns := r.Namespaces.App
		x.istio(UnitRouting, "sso.claims", x.securityAPI(), "RequestAuthentication", ns, sn+"-jwt", ra, nil)
		x.istio(UnitRouting, "sso.claims", x.securityAPI(), "AuthorizationPolicy", ns, sn+"-require-jwt", ap, nil)
	}
}
