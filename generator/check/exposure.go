package check

import (
	"fmt"

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
	Prevents: "the model API on the internet: the model gateway is a LoadBalancer only when marked public: true (also through environment overrides)",
	platform: func(c *Ctx, p *model.Platform) {
		ms := p.ModelServing
		if gw, ok := p.Gateways[ms.Gateway]; ok && gw.ServiceType == "LoadBalancer" && !gw.Public {
			c.Report(model.Path("gateways", ms.Gateway, "serviceType"),
				"use serviceType: \"ClusterIP\", or set public: true if models are meant to be reachable from outside",
				"model gateway %q would be exposed on a LoadBalancer but is not marked public", ms.Gateway)
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
