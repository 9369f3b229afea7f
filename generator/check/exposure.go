package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// Family "exposure": gateways and what they expose.

var GatewayPortsUnique = rule(Rule{
	ID: "AM0401", Name: "gateway-ports-unique", Family: "exposure", Scope: OnEnvironment, Refs: "C3",
	Prevents: "an IstioGateway the ASM controller rejects: two ports with one number or one name",
	platform: func(c *Ctx, p *model.Platform) {
		for _, gn := range model.SortedKeys(p.Gateways) {
			nums, pnames := map[int32]int{}, map[string]int{}
			for i, port := range p.Gateways[gn].Ports {
				pp := model.Path("gateways", gn, "ports") + fmt.Sprintf("[%d]", i)
				if j, dup := nums[port.Port]; dup {
					c.Report(pp+".port", "each port number may appear once per gateway", "port %d is already declared at ports[%d]", port.Port, j)
				}
				if j, dup := pnames[port.Name]; dup {
					c.Report(pp+".name", "each port name may appear once per gateway", "port name %q is already declared at ports[%d]", port.Name, j)
				}
				nums[port.Port], pnames[port.Name] = i, i
			}
		}
	},
})

var ModelGatewayNotPublic = rule(Rule{
	ID: "AM0402", Name: "model-gateway-not-public", Family: "exposure", Scope: OnEnvironment,
	Prevents: "the model API outside the cluster: the model gateway is a LoadBalancer, or a NodePort on every node's address, only when marked public: true (also through environment overrides)",
	platform: func(c *Ctx, p *model.Platform) {
		ms := p.ModelServing
		gw, ok := p.Gateways[ms.Gateway]
		if !ok || gw.Public {
			return
		}
		switch gw.ServiceType {
		case "LoadBalancer":
			c.Report(model.Path("gateways", ms.Gateway, "serviceType"),
				"use serviceType: \"ClusterIP\", or set public: true if models are meant to be reachable from outside",
				"model gateway %q would be exposed on a LoadBalancer but is not marked public", ms.Gateway)
		case "NodePort":
			c.Report(model.Path("gateways", ms.Gateway, "serviceType"),
				"use serviceType: \"ClusterIP\", or set public: true if models are meant to be reachable from outside",
				"model gateway %q would be exposed on a port of every node's address but is not marked public", ms.Gateway)
		}
	},
})

var DynamicSubsetFallback = rule(Rule{
	ID: "AM0403", Name: "dynamic-subset-fallback", Family: "exposure", Scope: OnEnvironment, Refs: "C17",
	Severity: diag.Warning,
	Prevents: "503 UH when no runtime pod carries the requested model format (fallbackPolicy NO_FALLBACK)",
	platform: func(c *Ctx, p *model.Platform) {
		if p.ModelServing.FallbackPolicy == "NO_FALLBACK" {
			c.Report("modelServing.fallbackPolicy", "use ANY_ENDPOINT unless a 503 on a missing subset is what you want",
				"fallbackPolicy NO_FALLBACK answers 503 UH when no runtime pod carries the requested model format (C17)")
		}
	},
})

var ModelPVCNeverPruned = rule(Rule{
	ID: "AM0404", Cases: []string{"golden/checks/pvc-never-pruned"}, Name: "model-pvc-never-pruned", Family: "exposure", Scope: Elsewhere,
	Where:    "generator/gitops",
	Prevents: "deleting the model store on a sync: the model PVC carries the Argo CD and Flux prune opt-out annotations whenever prune is on",
})

var HTTPSCredential = rule(Rule{
	ID: "AM0410", Name: "https-port-credential", Family: "exposure", Scope: OnEnvironment,
	Prevents: "a Gateway Istio rejects: an HTTPS server without TLS settings (and key material in Git: an HTTPS port names the Secret with its certificate, credentialName), or TLS settings on a plain-text port",
	platform: func(c *Ctx, p *model.Platform) {
		for _, gn := range model.SortedKeys(p.Gateways) {
			for i, port := range p.Gateways[gn].Ports {
				at := model.Path("gateways", gn, "ports") + fmt.Sprintf("[%d]", i)
				switch {
				case port.Protocol == "HTTPS" && port.CredentialName == "":
					c.Report(at+".protocol",
						"set credentialName to the Secret (in istio-system) that holds the certificate, or use HTTP behind a TLS-terminating load balancer",
						"HTTPS port %d has no certificate: Istio rejects an HTTPS server without TLS settings", port.Port)
				case port.Protocol != "HTTPS" && port.CredentialName != "":
					c.Report(at+".credentialName",
						"remove credentialName, or set protocol: \"HTTPS\" to terminate TLS on this port",
						"%s port %d names a certificate (credentialName %q): Istio rejects TLS settings on a plain-text port", port.Protocol, port.Port, port.CredentialName)
				}
			}
		}
	},
})

var ExposureHostsDisjoint = rule(Rule{
	ID: "AM0411", Name: "exposure-hosts-disjoint", Family: "exposure", Scope: OnEnvironment,
	Prevents: "a VirtualService Istio rejects: two hosts of one exposure where one covers the other (\"*\" and \"*.example.com\", \"*.example.com\" and \"a.example.com\"), also through environments.<env>.hosts",
	platform: func(c *Ctx, p *model.Platform) {
		reported := map[string]bool{}
		for _, sn := range model.SortedKeys(p.Services) {
			e := p.Services[sn].Exposure
			if e == nil {
				continue
			}
			at := c.At(model.Path("services", sn, "exposure", "hosts")) // environments.<env>.hosts when overridden
			if reported[at] {
				continue // one override serves every exposure: say it once
			}
			reported[at] = true
			for j := range e.Hosts {
				for i := range j {
					if hostsOverlap(e.Hosts[i], e.Hosts[j]) {
						c.Report(at+fmt.Sprintf("[%d]", j),
							fmt.Sprintf("keep only %q (it already covers the other), or list hosts that do not overlap", widerHost(e.Hosts[i], e.Hosts[j])),
							"hosts %q and %q overlap: Istio rejects a VirtualService whose hosts match one another (duplicate hosts)", e.Hosts[i], e.Hosts[j])
						break
					}
				}
			}
		}
	},
})

// hostsOverlap is Istio's host.Name.Matches, which validateVirtualService
// applies to every pair of a VirtualService's hosts: a wildcard covers the
// names (and the narrower wildcards) under its suffix.
func hostsOverlap(a, b string) bool {
	aw, bw := strings.HasPrefix(a, "*"), strings.HasPrefix(b, "*")
	switch {
	case aw && bw:
		if len(a) < len(b) {
			return strings.HasSuffix(b[1:], a[1:])
		}
		return strings.HasSuffix(a[1:], b[1:])
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// widerHost is the one of two overlapping hosts that covers the other.
func widerHost(a, b string) string {
	if strings.HasPrefix(b, "*") && (!strings.HasPrefix(a, "*") || len(b) < len(a)) {
		return b
	}
	return a
}
