package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// Family "tiers": tier routing is complete and cannot be spoofed
// (C1, C12–C14).

var TierReferences = rule(Rule{
	ID: "AM0301", Name: "tier-references", Family: "tiers", Scope: OnEnvironment,
	Prevents: "a tier routed to a service or variant that does not exist, or a tier-routed service without a VirtualService and DestinationRule",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Tiers == nil {
			return
		}
		for _, tn := range model.SortedKeys(p.Tiers.Classes) {
			t := p.Tiers.Classes[tn]
			tp := model.Path("tiers", "classes", tn)
			s, ok := p.Services[t.Service]
			if !ok {
				c.Report(tp+".service", "use one of the services: "+names(p.Services), "service %q is not defined", t.Service)
				continue
			}
			if _, ok := s.Variants[t.Variant]; !ok {
				c.Report(tp+".variant", "use one of the variants of "+t.Service+": "+names(s.Variants),
					"service %q has no variant %q", t.Service, t.Variant)
			}
			if s.Routing == nil {
				c.Report(tp+".service", "set services."+quote(t.Service)+".routing to name its VirtualService and DestinationRule",
					"service %q is tier-routed but has no routing", t.Service)
			}
		}
	},
})

var TierDefault = rule(Rule{
	ID: "AM0302", Name: "tier-default", Family: "tiers", Scope: OnEnvironment,
	Prevents: "requests that match no route (no default tier), or a tier that can never be selected",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Tiers == nil {
			return
		}
		defaults := map[string][]string{}
		for _, tn := range model.SortedKeys(p.Tiers.Classes) {
			t := p.Tiers.Classes[tn]
			tp := model.Path("tiers", "classes", tn)
			if _, ok := p.Services[t.Service]; !ok {
				continue // AM0301
			}
			switch {
			case t.Default:
				defaults[t.Service] = append(defaults[t.Service], tn)
				if t.Value != "" {
					c.Report(tp+".value", "remove value from the default tier: it matches every request without another tier", "the default tier must not have a value")
				}
			case t.Value == "":
				c.Report(tp, "set value to the claim value that selects this tier, or make it the default", "tier %q has no value and is not the default", tn)
			}
		}
		for _, sn := range model.SortedKeys(p.Services) {
			tiers := p.Tiers.ForService(sn)
			if len(tiers) == 0 {
				continue
			}
			switch d := defaults[sn]; len(d) {
			case 0:
				c.Report(model.Path("tiers", "classes", tiers[0].Name), "mark exactly one tier of "+sn+" with default: true",
					"service %q has no default tier", sn)
			case 1:
			default:
				c.Report(model.Path("tiers", "classes", d[1], "default"), "keep default: true on one tier only",
					"service %q has %d default tiers: %s", sn, len(d), strings.Join(d, ", "))
			}
		}
	},
})

var TierValuesUnique = rule(Rule{
	ID: "AM0303", Name: "tier-values-unique", Family: "tiers", Scope: OnEnvironment,
	Prevents: "two tiers matching the same claim value, so one of them is unreachable",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Tiers == nil {
			return
		}
		values := map[string]map[string]string{}
		for _, tn := range model.SortedKeys(p.Tiers.Classes) {
			t := p.Tiers.Classes[tn]
			if _, ok := p.Services[t.Service]; !ok || t.Default || t.Value == "" {
				continue
			}
			if values[t.Service] == nil {
				values[t.Service] = map[string]string{}
			}
			if other, dup := values[t.Service][t.Value]; dup {
				c.Report(model.Path("tiers", "classes", tn, "value"), "give each tier of a service its own value", "tiers %q and %q both match value %q", other, tn, t.Value)
			}
			values[t.Service][t.Value] = tn
		}
	},
})

var TierHeaderFromClaim = rule(Rule{
	ID: "AM0304", Name: "tier-header-from-claim", Family: "tiers", Scope: OnEnvironment, Refs: "C12",
	Prevents: "a client sending the tier header (e.g. x-user-class: premium) itself: the header must be produced by a verified SSO claim (outputClaimToHeaders); aimesh also strips it at the edge route",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Tiers == nil || len(p.Tiers.Classes) == 0 {
			return
		}
		if p.SSO == nil {
			c.Report("tiers.header", "define sso with a claim mapped to header "+p.Tiers.Header,
				"tier header %q is not produced by a verified claim: without sso any client can set it (C12)", p.Tiers.Header)
			return
		}
		var hs []string
		for _, cl := range p.SSO.Claims {
			if cl.Header == p.Tiers.Header {
				return
			}
			hs = append(hs, cl.Header)
		}
		c.Report("tiers.header", "route on a header listed in sso.claims ("+strings.Join(hs, ", ")+") or add a claim mapping for "+p.Tiers.Header,
			"tier header %q is not produced by any sso claim, so a client could forge it (C12)", p.Tiers.Header)
	},
})

var TierVerifiedHop = rule(Rule{
	ID: "AM0305", Name: "tier-verified-hop", Family: "tiers", Scope: OnEnvironment, Refs: "C12, C13",
	Prevents: "tier routing on a hop that never verifies the JWT: the tier-routed service must sit behind an ambient waypoint, on which aimesh emits the RequestAuthentication and the requestPrincipals AuthorizationPolicy",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Tiers == nil || len(p.Tiers.Classes) == 0 || p.SSO == nil {
			return
		}
		for _, sn := range model.SortedKeys(p.Services) {
			if len(p.Tiers.ForService(sn)) == 0 {
				continue
			}
			if s := p.Services[sn]; !s.Waypoint || p.Mesh.Mode != "ambient" {
				c.Report(model.Path("services", sn, "waypoint"), "set waypoint: true (and mesh.mode: \"ambient\") so the claim is verified on the routing hop",
					"service %q routes on %q but no hop in front of it verifies the JWT (C12, C13)", sn, p.Tiers.Header)
			}
		}
	},
})

var HeaderUnderscore = rule(Rule{
	ID: "AM0311", Name: "header-underscore", Family: "tiers", Scope: OnEnvironment, Refs: "C1",
	Prevents: "headers dropped by proxies that reject underscores (unless mesh.allowUnderscoreHeaders opts in for seed compatibility)",
	platform: func(c *Ctx, p *model.Platform) {
		if p.Mesh.AllowUnderscoreHeaders {
			return
		}
		for _, u := range headerUses(p) {
			if strings.Contains(u.header, "_") {
				c.Report(u.path, "use hyphens (e.g. "+strings.ReplaceAll(u.header, "_", "-")+"), or set mesh.allowUnderscoreHeaders: true for compatibility",
					"header %q contains an underscore; proxies that reject underscores drop it (C1)", u.header)
			}
		}
	},
})

var HeaderOneMeaning = rule(Rule{
	ID: "AM0312", Name: "header-one-meaning", Family: "tiers", Scope: OnEnvironment, Refs: "C1",
	Prevents: "two features fighting over one header (a claim header that is also a model-format header)",
	platform: func(c *Ctx, p *model.Platform) {
		seen := map[string]headerUse{}
		for _, u := range headerUses(p) {
			if prev, ok := seen[u.header]; ok && prev.what != u.what {
				c.Report(u.path, "rename one of the headers", "header %q is also used as %s at %s", u.header, prev.what, prev.path)
			}
			seen[u.header] = u
		}
	},
})

type headerUse struct{ header, path, what string }

// headerUses lists every header the platform routes or sets, in a fixed
// order: SSO claim headers, the tier header, model-format headers.
func headerUses(p *model.Platform) []headerUse {
	var out []headerUse
	if p.SSO != nil {
		for i, cl := range p.SSO.Claims {
			out = append(out, headerUse{cl.Header, fmt.Sprintf("sso.claims[%d].header", i), "claim header"})
		}
	}
	if p.Tiers != nil {
		out = append(out, headerUse{p.Tiers.Header, "tiers.header", "claim header"})
	}
	for _, f := range p.DynamicSubsetFormats() {
		out = append(out, headerUse{p.FormatHeader(f), "modelServing.headerPrefix", "model format header"})
	}
	return out
}
