package check

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Family "mesh": the least-privilege mesh admits exactly the declared calls
// (render/asm emits a default deny and ALLOW policies by principal from
// calls and exposures); a call it would refuse is refused here first.

var CallsDefined = rule(Rule{
	ID: "AM0801", Name: "calls-defined", Family: "mesh", Scope: OnPlatform,
	Prevents: "an ALLOW policy for a service that does not exist, and the real callee left denied: every calls entry names a service",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			for i, callee := range p.Services[sn].Calls {
				if _, ok := p.Services[callee]; !ok {
					c.Report(model.Path("services", sn, "calls", i), "use one of the services: "+names(p.Services),
						"service %q calls %q, which is not defined", sn, callee)
				}
			}
		}
	},
})

var ServiceAccountPerService = rule(Rule{
	ID: "AM0806", Name: "service-account-per-service", Family: "mesh", Scope: OnPlatform,
	Prevents: "calls the mesh admits but nobody declared: the ALLOW policies name callers by service account, so two services sharing one (serviceAccount) may each make the other's calls, a service sharing its caller's account may call itself, and a service running as a waypoint's account (<service>-waypoint from Istio 1.22, <waypoint>-istio-waypoint before) passes the policy that admits only the waypoint, skipping its JWT check",
	platform: func(c *Ctx, p *model.Platform) {
		waypoints := map[string]string{}
		for _, sn := range model.SortedKeys(p.Services) {
			if s := p.Services[sn]; s.Waypoint {
				waypoints[p.WaypointServiceAccount(s)] = sn
			}
		}
		first := map[string]string{}
		for _, sn := range model.SortedKeys(p.Services) {
			if w, ok := waypoints[p.Services[sn].ServiceAccount]; ok {
				c.Report(model.Path("services", sn, "serviceAccount"),
					"give the service another service account (serviceAccount), or rename it",
					"service %q runs as service account %q, the account of the waypoint of %q: the mesh would admit it as that waypoint", sn, p.Services[sn].ServiceAccount, w)
				continue
			}
			sa := p.Services[sn].ServiceAccount
			if sa == "" {
				continue
			}
			if other, ok := first[sa]; ok {
				c.Report(model.Path("services", sn, "serviceAccount"),
					"give each service its own service account (leave serviceAccount out: it defaults to the service's name)",
					"services %q and %q both run as service account %q: the mesh admits calls by service account, so each could make the other's calls", other, sn, sa)
				continue
			}
			first[sa] = sn
		}
	},
})

var UndeclaredCall = rule(Rule{
	ID: "AM0802", Name: "undeclared-call", Family: "mesh", Scope: OnEnvironment,
	Prevents: "a call the mesh refuses at run time (RBAC: access denied): an env value that addresses another service (name, name.namespace, name.namespace.svc…) must be declared in calls",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			declared := map[string]bool{sn: true}
			for _, callee := range s.Calls {
				declared[callee] = true
			}
			for _, k := range model.SortedKeys(s.Env) {
				for _, callee := range addressed(p, s.Env[k]) {
					if !declared[callee] {
						c.Report(model.Path("services", sn, "env", k),
							"add calls: [\""+callee+"\"] to services."+quote(sn)+" (the mesh admits only declared calls)",
							"env %s addresses service %q, but %q does not declare the call: the mesh would refuse it", k, callee, sn)
					}
				}
			}
		}
	},
})

var RoutedWithoutAllow = rule(Rule{
	ID: "AM0803", Name: "routed-without-allow", Family: "mesh", Scope: OnEnvironment,
	Prevents: "routes that only ever see the default deny: a service routed in the mesh (tier routing or a waypoint) needs a declared caller or an exposure",
	platform: func(c *Ctx, p *model.Platform) {
		callers := p.CallerIndex()
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			if s.Routing == nil && !s.Waypoint {
				continue
			}
			if s.Exposure != nil || len(callers[sn]) > 0 {
				continue
			}
			path := model.Path("services", sn, "waypoint")
			if s.Routing != nil {
				path = model.Path("services", sn, "routing")
			}
			c.Report(path, "declare the caller: add calls: [\""+sn+"\"] to the service that calls it, or give it an exposure",
				"service %q is routed in the mesh but no declared caller or gateway may reach it: the default-deny policy refuses every request", sn)
		}
	},
})

var _ = rule(Rule{
	ID: "AM0804", Cases: []string{"golden/checks/undeclared-call", "golden/checks/routed-without-caller"}, Name: "least-privilege-policies",
	Family: "mesh", Scope: Elsewhere, Where: "generator/render/asm",
	Prevents: "any workload calling any other: a default-deny AuthorizationPolicy in the app namespace, ALLOW by service-account principal for each declared call and exposure (ztunnel L4; callers and JWT together at the waypoint, L7), the model gateway admitted to ModelMesh's runtime pods",
})

var hostRE = regexp.MustCompile(`[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`)

// addressed returns the services whose Kubernetes Service value v
// addresses as a whole host (name, name.ns, name.ns.svc[.cluster.local]),
// with or without a scheme, port or path around it.
func addressed(p *model.Platform, v string) []string {
	ns := p.Namespaces.App
	hosts := hostRE.FindAllString(strings.ToLower(v), -1)
	var out []string
	for _, sn := range model.SortedKeys(p.Services) {
		kn := p.Services[sn].KubeName()
		for _, h := range hosts {
			if h == kn || h == kn+"."+ns || strings.HasPrefix(h, kn+"."+ns+".svc") {
				out = append(out, sn)
				break
			}
		}
	}
	return out
}

var RouteHasAllow = rule(Rule{
	ID: "AM0805", Name: "route-has-allow", Family: "mesh", Scope: OnObjects, Invariant: true,
	Prevents: "a route or exposure the mesh refuses: every VirtualService destination in a namespace with a default deny has an ALLOW policy for its pods (and for its waypoint when it has one); a gateway route needs a gateway principal among the allowed",
	objects: func(c *Ctx, objs []object.Object) {
		type svc struct {
			selector map[string]any
			waypoint string
		}
		services, ambiguous := map[string]svc{}, map[string]bool{}
		denied := map[string]bool{}
		var policies []object.Object
		for _, o := range objs {
			switch {
			case o.Kind() == "Service" && o.APIVersion() == "v1":
				sel, _ := specOf(o)["selector"].(map[string]any)
				md, _ := o.Body["metadata"].(map[string]any)
				labels, _ := md["labels"].(map[string]any)
				wp, _ := labels["istio.io/use-waypoint"].(string)
				fq := o.Name() + "." + o.Namespace() + ".svc.cluster.local"
				if _, dup := services[fq]; dup {
					ambiguous[fq] = true // AM0601 reports it
				}
				services[fq] = svc{sel, wp}
			case o.Kind() == "AuthorizationPolicy" && strings.HasPrefix(o.APIVersion(), "security.istio.io/"):
				if len(specOf(o)) == 0 {
					denied[o.Namespace()] = true
				} else {
					policies = append(policies, o)
				}
			}
		}
		// allowing returns the principals ALLOW policies of ns admit for
		// pods labelled with sel (sel == nil: for waypoint wp).
		allowing := func(ns string, sel map[string]any, wp string) (found bool, principals []string) {
			for _, ap := range policies {
				spec := specOf(ap)
				if ap.Namespace() != ns || (spec["action"] != nil && spec["action"] != "ALLOW") {
					continue
				}
				match := false
				if wp != "" {
					refs, _ := spec["targetRefs"].([]any)
					for _, r := range refs {
						if r, _ := r.(map[string]any); r["kind"] == "Gateway" && r["name"] == wp {
							match = true
						}
					}
					ml, _ := mapAt(spec, "selector", "matchLabels")["istio.io/gateway-name"].(string)
					match = match || ml == wp
				} else if ml := mapAt(spec, "selector", "matchLabels"); len(ml) > 0 {
					match = true
					for k, v := range ml {
						if sel[k] != v {
							match = false
						}
					}
				}
				if !match {
					continue
				}
				rules, _ := spec["rules"].([]any)
				for _, r := range rules {
					froms, _ := r.(map[string]any)["from"].([]any)
					for _, f := range froms {
						ps, _ := mapAt(f.(map[string]any), "source")["principals"].([]any)
						for _, p := range ps {
							s, _ := p.(string)
							principals = append(principals, s)
						}
					}
					found = true
				}
			}
			return found, principals
		}
		for _, o := range istio(objs, "VirtualService") {
			spec := specOf(o)
			gws, _ := spec["gateways"].([]any)
			http, _ := spec["http"].([]any)
			for _, h := range http {
				routes, _ := h.(map[string]any)["route"].([]any)
				for _, rt := range routes {
					host, _ := mapAt(rt.(map[string]any), "destination")["host"].(string)
					fq := FQDN(host, o.Namespace())
					s, ok := services[fq]
					ns := strings.Split(fq, ".")[1]
					if !ok || !denied[ns] || ambiguous[fq] {
						continue
					}
					found, principals := allowing(ns, s.selector, "")
					if s.waypoint != "" {
						found, principals = allowing(ns, nil, s.waypoint)
					}
					if !found {
						c.ReportObject(o, "declare the callers of the service (calls) so an ALLOW policy admits them",
							"VirtualService %s/%s routes to %s, but no ALLOW policy admits any caller under the default deny", o.Namespace(), o.Name(), host)
						continue
					}
					if len(gws) > 0 {
						fromGateway := false
						for _, p := range principals {
							fromGateway = fromGateway || strings.Contains(p, "/ns/istio-system/")
						}
						if !fromGateway {
							c.ReportObject(o, "the exposure's gateway must be admitted by the service's ALLOW policy",
								"gateway VirtualService %s/%s routes to %s, but no ALLOW policy admits a gateway principal", o.Namespace(), o.Name(), host)
						}
					}
				}
			}
		}
	},
})

// mapAt returns the map at keys under m, or nil.
func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

var WaypointNameFree = rule(Rule{
	ID: "AM0807", Name: "waypoint-name-free", Family: "mesh", Scope: OnPlatform,
	Prevents: "a waypoint without an address: Istio creates a Deployment and a Service for each waypoint, named after its Gateway (<service>-waypoint from 1.22), and leaves them alone when an object of that name already exists, or cannot create the Service when the name is not a DNS-1035 label of at most 63 characters",
	platform: func(c *Ctx, p *model.Platform) {
		taken := map[string]string{} // Service and Deployment names in the app namespace -> what owns them
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			taken[s.KubeName()] = "the Service of " + strconv.Quote(sn)
			if len(s.Variants) == 0 {
				taken[s.Name] = "the Deployment of " + strconv.Quote(sn)
			}
			for _, vn := range model.SortedKeys(s.Variants) {
				taken[s.DeploymentName(s.Variants[vn])] = "the Deployment of variant " + strconv.Quote(vn) + " of " + strconv.Quote(sn)
			}
		}
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			if !s.Waypoint {
				continue
			}
			name := p.WaypointWorkload(s)
			at := model.Path("services", sn, "waypoint")
			if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
				c.Report(at, "shorten the service's name (its waypoint's Service is "+name+")",
					"Istio would create the waypoint's Service %q, which is not a valid Service name: %s", name, strings.Join(errs, "; "))
				continue
			}
			if owner, ok := taken[name]; ok {
				c.Report(at, "rename the service, its variant or serviceName so that nothing else is called "+name,
					"Istio names the waypoint's Deployment and Service %q, which is already %s: Istio would leave that object alone and the waypoint would get no address", name, owner)
			}
		}
	},
})

// dataPlanePorts are the ports Istio's data plane listens on inside an
// application pod, by mesh mode (istio.io "Application Requirements",
// ports used by Istio; "Ztunnel traffic redirection" for ambient, where
// ztunnel opens its listeners in the pod's network namespace).
var dataPlanePorts = map[string]map[int32]string{
	"sidecar": {
		15000: "Envoy's admin port", 15001: "Envoy's outbound capture", 15004: "the istio-proxy debug port",
		15006: "Envoy's inbound capture", 15008: "the HBONE mTLS tunnel", 15009: "the HBONE port of secure networks",
		15020: "the merged Prometheus metrics", 15021: "the proxy's health checks", 15053: "the DNS proxy",
		15090: "Envoy's Prometheus metrics",
	},
	"ambient": {
		15001: "ztunnel's outbound capture", 15006: "ztunnel's plain-text inbound capture",
		15008: "ztunnel's inbound HBONE tunnel", 15053: "ztunnel's DNS capture",
	},
}

// gatewayProxyPorts are the ports an Istio gateway's own Envoy listens on
// besides the ports of its Gateway.
var gatewayProxyPorts = map[int32]string{
	15000: "Envoy's admin port", 15020: "the merged Prometheus metrics", 15021: "the gateway's health checks (its Service's status-port)",
	15090: "Envoy's Prometheus metrics",
}

var DataPlanePortsFree = rule(Rule{
	ID: "AM0808", Name: "data-plane-ports-free", Family: "mesh", Scope: OnPlatform,
	Prevents: "an application or a gateway port that Istio's own proxy already listens on in the same pod (15001, 15006, 15008 and 15053 under ambient's ztunnel; 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053 and 15090 under a sidecar; 15000, 15020, 15021 and 15090 in a gateway): the listener cannot bind, or the mesh's own traffic reaches the application",
	platform: func(c *Ctx, p *model.Platform) {
		reserved := dataPlanePorts[p.Mesh.Mode]
		check := func(path string, port int32, what, consequence string) {
			if use, ok := reserved[port]; ok {
				c.Report(path, "choose a port outside the ones Istio's data plane uses in a pod: "+portList(reserved),
					"%s %d is %s in every %s pod: %s", what, port, use, p.Mesh.Mode, consequence)
			}
		}
		for _, sn := range model.SortedKeys(p.Services) {
			check(model.Path("services", sn, "port"), p.Services[sn].Port, "port", "the application and the proxy would both listen on it")
		}
		// Probe ports where the CUE sets them (a derived probe uses the
		// service's port, checked above).
		const probed = "the kubelet would probe the proxy, not the application"
		eachWorkload(p, func(path, _ string, w model.Workload) {
			eachProbe(path, w, func(at, kind string, pr *model.Probe) {
				what := "the " + kind + " probe's port"
				if h := pr.HTTP; h != nil && h.Port != 0 {
					check(at+".http.port", h.Port, what, probed)
				}
				if g := pr.GRPC; g != nil && g.Port != 0 {
					check(at+".grpc.port", g.Port, what, probed)
				}
				if t := pr.TCP; t != nil && t.Port != 0 {
					check(at+".tcp.port", t.Port, what, probed)
				}
			})
		})
		for _, gn := range model.SortedKeys(p.Gateways) {
			for i, gp := range p.Gateways[gn].Ports {
				if use, ok := gatewayProxyPorts[gp.Port]; ok {
					c.Report(model.Path("gateways", gn, "ports", i, "port"), "choose a port outside the ones the gateway's own proxy uses: "+portList(gatewayProxyPorts),
						"gateway port %d is %s: the gateway's Envoy already listens on it", gp.Port, use)
				}
			}
		}
	},
})

var ProxyUIDReserved = rule(Rule{
	ID: "AM0809", Name: "proxy-uid-reserved", Family: "mesh", Scope: OnPlatform,
	Prevents: "an application that leaves the mesh unnoticed: under a sidecar, istio-iptables lets every packet of UID 1337 (istio-proxy's) bypass the proxy, so a container running as 1337 talks past mTLS and the authorization policies",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Mesh.Mode != "sidecar" {
			return
		}
		eachWorkload(p, func(path, deployments string, w model.Workload) {
			if w.RunAsUser != nil && *w.RunAsUser == 1337 {
				c.Report(path+".runAsUser", "run the container as another user: 1337 is the sidecar's",
					"%s run as UID 1337, the sidecar's: their traffic bypasses the proxy (no mTLS, no authorization policy)", deployments)
			}
		})
	},
})

// portList spells the ports of m in ascending order.
func portList(m map[int32]string) string {
	ports := make([]int, 0, len(m))
	for p := range m {
		ports = append(ports, int(p))
	}
	slices.Sort(ports)
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}
