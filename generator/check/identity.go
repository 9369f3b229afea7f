package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// Family "identity": the OIDC login and the GitOps wiring accept what the
// identity provider and the clusters will accept.

var OIDCScopeOpenID = rule(Rule{
	ID: "AM1001", Name: "oidc-scope-openid", Family: "identity", Scope: OnEnvironment,
	Prevents: "a login that never completes: without the openid scope the identity provider runs plain OAuth 2.0 and returns no ID token",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO == nil {
			return
		}
		for _, s := range p.SSO.Scopes {
			if s == "openid" {
				return
			}
		}
		c.Report("sso.scopes", `add "openid" to sso.scopes (OpenID Connect Core 1.0 §3.1.2.1)`,
			"scopes %q do not include openid: the identity provider returns no ID token", p.SSO.Scopes)
	},
})

var ClaimPerHeader = rule(Rule{
	ID: "AM1002", Name: "one-claim-per-header", Family: "identity", Scope: OnEnvironment,
	Prevents: "a header whose value depends on the order ASM copies claims in: two JWT claims mapped to one request header",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO == nil {
			return
		}
		first := map[string]int{}
		for i, ch := range p.SSO.Claims {
			if j, ok := first[ch.Header]; ok {
				c.Report(fmt.Sprintf("sso.claims[%d].header", i), "map each header from one claim; pick another header for one of them",
					"header %q is already filled from claim %q (sso.claims[%d]); claim %q would overwrite it", ch.Header, p.SSO.Claims[j].Claim, j, ch.Claim)
				continue
			}
			first[ch.Header] = i
		}
	},
})

var ClusterPerEnvironment = rule(Rule{
	ID: "AM1003", Name: "cluster-per-environment", Family: "identity", Scope: OnPlatform,
	Prevents: "one environment's sync overwriting another's objects (same names, same namespaces): two environments on one ACK or ASM cluster (by id or API server URL) unless both declare it shared",
	platform: func(c *Ctx, p *model.Platform) {
		type owner struct {
			env    string
			shared bool
		}
		for _, target := range []string{"ack", "asm"} {
			byID, byServer := map[string]owner{}, map[string]owner{}
			for _, en := range p.EnvNames() {
				cl := p.Environments[en].Clusters.ACK
				if target == "asm" {
					cl = p.Environments[en].Clusters.ASM
				}
				for _, k := range []struct {
					m          map[string]owner
					key, field string
				}{{byID, cl.ID, "id"}, {byServer, strings.TrimSuffix(cl.Server, "/"), "server"}} {
					prev, ok := k.m[k.key]
					if ok && !(prev.shared && cl.Shared) {
						c.Report(model.Path("environments", en, "clusters", target, k.field),
							"point each environment at its own cluster, or set shared: true on the cluster in both environments",
							"environment %q deploys to the %s cluster of environment %q (%s %s)", en, target, prev.env, k.field, k.key)
						break
					}
					if !ok {
						k.m[k.key] = owner{en, cl.Shared}
					}
				}
			}
		}
	},
})
