package check

import (
	"regexp"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// callsDefined: every calls entry names a service.
func (c *checker) callsDefined(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		for i, callee := range p.Services[sn].Calls {
			if _, ok := p.Services[callee]; !ok {
				c.errorf(model.Path("services", sn, "calls", i), "use one of the services: "+names(p.Services),
					"service %q calls %q, which is not defined", sn, callee)
			}
		}
	}
}

var hostRE = regexp.MustCompile(`[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`)

// addressed returns the services whose Kubernetes Service value v
// addresses: as a whole host (name, name.ns, name.ns.svc[.cluster.local])
// optionally with a scheme, port or path around it.
func addressed(p *model.Platform, v string) []string {
	ns := p.Namespaces.App
	var out []string
	for _, sn := range model.SortedKeys(p.Services) {
		kn := p.Services[sn].KubeName()
		for _, h := range hostRE.FindAllString(strings.ToLower(v), -1) {
			if h == kn || h == kn+"."+ns || strings.HasPrefix(h, kn+"."+ns+".svc") {
				out = append(out, sn)
				break
			}
		}
	}
	return out
}

// undeclaredCalls: an env value that addresses another service must be
// declared in calls; the default-deny policy refuses undeclared calls.
func (c *checker) undeclaredCalls(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		s := p.Services[sn]
		declared := map[string]bool{sn: true}
		for _, callee := range s.Calls {
			declared[callee] = true
		}
		for _, k := range model.SortedKeys(s.Env) {
			for _, callee := range addressed(p, s.Env[k]) {
				if !declared[callee] {
					c.errorf(model.Path("services", sn, "env", k),
						"add calls: [\""+callee+"\"] to services."+quote(sn)+" (the mesh admits only declared calls)",
						"env %s addresses service %q, but %q does not declare the call: the mesh would refuse it", k, callee, sn)
				}
			}
		}
	}
}

// routedWithoutAllow: a service with mesh routing (tier routing or a
// waypoint) that no declared caller and no exposure may reach is refused:
// its routes would only ever see the default deny.
func (c *checker) routedWithoutAllow(p *model.Platform) {
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
		c.errorf(path, "declare the caller: add calls: [\""+sn+"\"] to the service that calls it, or give it an exposure",
			"service %q is routed in the mesh but no declared caller or gateway may reach it: the default-deny policy refuses every request", sn)
	}
}
