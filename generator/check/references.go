package check

import (
	"fmt"

	"github.com/aimesh/aimesh/generator/model"
)

// Family "references": every name points at something defined.

var VariantModelDefined = rule(Rule{
	ID: "AM0101", Name: "variant-model-defined", Family: "references", Scope: OnEnvironment,
	Prevents: "an InferenceService binding to a model that does not exist",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			for _, v := range p.Services[sn].SortedVariants() {
				if _, ok := p.Models[v.Model]; !ok {
					c.Report(model.Path("services", sn, "variants", v.Name, "model"),
						"define models."+quote(v.Model)+" or use one of: "+names(p.Models),
						"model %q is not defined", v.Model)
				}
			}
		}
	},
})

var ServiceHasImage = rule(Rule{
	ID: "AM0102", Name: "service-has-image", Family: "references", Scope: OnEnvironment,
	Prevents: "a Deployment without a container image",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			if len(s.Variants) == 0 && s.Image == "" {
				c.Report(model.Path("services", sn), "set image, or declare variants each with an image",
					"service %q has no image and no variants", sn)
			}
		}
	},
})

var ExposureGatewayPort = rule(Rule{
	ID: "AM0103", Name: "exposure-gateway-port", Family: "references", Scope: OnEnvironment, Refs: "C3",
	Prevents: "a Gateway server on a port the ASM ingress gateway does not listen on, or on a gateway that does not exist",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			e := p.Services[sn].Exposure
			if e == nil {
				continue
			}
			gw, ok := p.Gateways[e.Gateway]
			if !ok {
				c.Report(model.Path("services", sn, "exposure", "gateway"), "use one of the gateways: "+names(p.Gateways),
					"gateway %q is not defined", e.Gateway)
				continue
			}
			for i, port := range e.Ports {
				if !gw.HasPort(port) {
					c.Report(model.Path("services", sn, "exposure", "ports")+fmt.Sprintf("[%d]", i),
						fmt.Sprintf("add port %d to gateways.%s.ports or expose a port it has", port, quote(e.Gateway)),
						"port %d is not exposed by gateway %q (C3)", port, e.Gateway)
				}
			}
		}
	},
})

var RoutingNeedsVariants = rule(Rule{
	ID: "AM0104", Name: "routing-needs-variants", Family: "references", Scope: OnEnvironment,
	Prevents: "a VirtualService and DestinationRule with no subsets to route between",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			if s := p.Services[sn]; s.Routing != nil && len(s.Variants) == 0 {
				c.Report(model.Path("services", sn, "routing"), "remove routing or declare variants to route between",
					"service %q has routing but no variants", sn)
			}
		}
	},
})

var ModelGatewayPort = rule(Rule{
	ID: "AM0105", Name: "model-gateway-port", Family: "references", Scope: OnEnvironment, Refs: "C3, C4",
	Prevents: "model calls sent to a gateway or port that does not exist",
	platform: func(c *Ctx, p *model.Platform) {
		ms := p.ModelServing
		if gw, ok := p.Gateways[ms.Gateway]; !ok {
			c.Report("modelServing.gateway", "use one of the gateways: "+names(p.Gateways), "gateway %q is not defined", ms.Gateway)
		} else if !gw.HasPort(ms.Port) {
			c.Report("modelServing.port", fmt.Sprintf("add port %d to gateways.%s.ports", ms.Port, quote(ms.Gateway)),
				"port %d is not exposed by model gateway %q (C3, C4)", ms.Port, ms.Gateway)
		}
	},
})

var SSOGatewayDefined = rule(Rule{
	ID: "AM0106", Name: "sso-gateway-defined", Family: "references", Scope: OnEnvironment,
	Prevents: "an ASMSecurityPolicy bound to a gateway that does not exist (no login anywhere)",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO != nil {
			if _, ok := p.Gateways[p.SSO.Gateway]; !ok {
				c.Report("sso.gateway", "use one of the gateways: "+names(p.Gateways), "gateway %q is not defined", p.SSO.Gateway)
			}
		}
	},
})

var ModelNamespace = rule(Rule{
	ID: "AM0107", Name: "model-namespace", Family: "references", Scope: OnEnvironment,
	Prevents: "ModelMesh sharing the app namespace, or InferenceServices rendered into a namespace ModelMesh does not watch",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Namespaces.App == p.Namespaces.Models {
			c.Report("namespaces.models", "keep ModelMesh in its own namespace", "the model namespace must differ from the app namespace")
		}
		if p.ModelServing.Namespace != p.Namespaces.Models {
			c.Report("modelServing.namespace", "set modelServing.namespace: namespaces.models",
				"modelServing.namespace %q is not namespaces.models %q", p.ModelServing.Namespace, p.Namespaces.Models)
		}
	},
})

var EnvironmentOverrideTarget = rule(Rule{
	ID: "AM0108", Name: "environment-override-target", Family: "references", Scope: OnPlatform,
	Prevents: "an environment override that silently changes nothing because it names a service, variant, gateway or sso block that does not exist",
	platform: func(c *Ctx, p *model.Platform) {
		for _, en := range p.EnvNames() {
			e := p.Environments[en]
			for _, sn := range model.SortedKeys(e.Services) {
				s, ok := p.Services[sn]
				if !ok {
					c.Report(model.Path("environments", en, "services", sn), "use one of the services: "+names(p.Services),
						"service %q is not defined", sn)
					continue
				}
				for _, vn := range model.SortedKeys(e.Services[sn].Variants) {
					if _, ok := s.Variants[vn]; !ok {
						hint := "use one of the variants: " + names(s.Variants)
						if len(s.Variants) == 0 {
							hint = "the service has no variants: set replicas, image, resources or autoscaling on the service itself (environments." + model.Path(en, "services", sn) + ".replicas…)"
						}
						c.Report(model.Path("environments", en, "services", sn, "variants", vn),
							hint, "service %q has no variant %q", sn, vn)
					}
				}
			}
			for _, gn := range model.SortedKeys(e.Gateways) {
				if _, ok := p.Gateways[gn]; !ok {
					c.Report(model.Path("environments", en, "gateways", gn), "use one of the gateways: "+names(p.Gateways),
						"gateway %q is not defined", gn)
				}
			}
			if e.SSO != nil && p.SSO == nil {
				c.Report(model.Path("environments", en, "sso"), "define sso at the top level first", "sso override without a top-level sso")
			}
		}
	},
})
