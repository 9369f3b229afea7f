package check

import (
	"regexp"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
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
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			if s.Routing == nil && !s.Waypoint {
				continue
			}
			if s.Exposure != nil || len(p.Callers(sn)) > 0 {
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
