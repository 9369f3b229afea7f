package check

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
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
	Prevents: "one environment's sync overwriting another's objects (same names, same namespaces): two environments on one ACK or ASM cluster (by id, API server URL or Argo CD cluster name) unless both declare it shared",
	platform: func(c *Ctx, p *model.Platform) {
		type owner struct {
			env    string
			shared bool
		}
		for _, target := range []string{"ack", "asm"} {
			byID, byServer, byName := map[string]owner{}, map[string]owner{}, map[string]owner{}
			for _, en := range p.EnvNames() {
				cl := p.Environments[en].Clusters.ACK
				if target == "asm" {
					cl = p.Environments[en].Clusters.ASM
				}
				for _, k := range []struct {
					m          map[string]owner
					key, field string
				}{{byID, cl.ID, "id"}, {byServer, sameServer(cl.Server), "server"}, {byName, cl.Name, "name"}} {
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

// sameServer is the key under which two API server URLs are one server:
// the host in lower case, without the default port 443 or a trailing "/".
func sameServer(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(server, "/")
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && port != "443" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host + strings.TrimSuffix(u.EscapedPath(), "/")
}

// reservedHeaders are request headers a JWT claim must not overwrite: the
// proxy and the application rely on their meaning.
var reservedHeaders = map[string]bool{
	"authorization": true, "cookie": true, "host": true, "content-length": true, "content-type": true,
	"transfer-encoding": true, "connection": true, "te": true, "upgrade": true, "proxy-authorization": true,
	"keep-alive": true, "proxy-connection": true, "trailer": true, // hop-by-hop (RFC 9110 §7.6.1)
	"x-forwarded-for": true, "x-forwarded-proto": true, "x-forwarded-host": true, "x-forwarded-client-cert": true,
	"x-request-id": true, "traceparent": true, "tracestate": true,
}

var ClaimHeaderNotReserved = rule(Rule{
	ID: "AM1004", Name: "claim-header-not-reserved", Family: "identity", Scope: OnEnvironment,
	Prevents: "a claim overwriting a header the proxy or the application relies on (authorization, cookie, host, x-forwarded-*, x-envoy-*, tracing headers)",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO == nil {
			return
		}
		for i, ch := range p.SSO.Claims {
			if reservedHeaders[ch.Header] || strings.HasPrefix(ch.Header, "x-envoy-") {
				c.Report(fmt.Sprintf("sso.claims[%d].header", i), "copy the claim into a header of its own, e.g. x-user-"+strings.ReplaceAll(ch.Claim, "_", "-"),
					"claim %q would overwrite the reserved request header %q", ch.Claim, ch.Header)
			}
		}
	},
})

var RedirectHostServed = rule(Rule{
	ID: "AM1005", Name: "redirect-host-served", Family: "identity", Scope: OnEnvironment,
	Prevents: "a login that ends on a 404: the identity provider redirects the browser to sso.redirectHost, which none of the SSO gateway's exposures serves",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO == nil || p.SSO.RedirectHost == "" {
			return
		}
		var hosts []string
		for _, sn := range model.SortedKeys(p.Services) {
			if e := p.Services[sn].Exposure; e != nil && e.Gateway == p.SSO.Gateway {
				hosts = append(hosts, e.Hosts...)
			}
		}
		if len(hosts) == 0 {
			return // nothing exposed on the gateway: AM-level references report it
		}
		for _, h := range hosts {
			if hostMatches(h, p.SSO.RedirectHost) {
				return
			}
		}
		c.Report("sso.redirectHost", "add "+p.SSO.RedirectHost+" to the hosts of an exposure on gateway "+p.SSO.Gateway+" (environments.<env>.hosts), or fix redirectHost",
			"redirectHost %q is not served by gateway %q (its exposures serve %s)", p.SSO.RedirectHost, p.SSO.Gateway, strings.Join(hosts, ", "))
	},
})

var IssuerWithJWKS = rule(Rule{
	ID: "AM1007", Name: "issuer-with-jwks", Family: "identity", Scope: OnPlatform,
	Severity: diag.Warning,
	Prevents: "every login refused (a token signature that never verifies): an environment overriding sso.issuer without sso.jwksUri, or the other way round, verifies one identity provider's tokens with the keys of another",
	platform: func(c *Ctx, p *model.Platform) {
		eachSSOOverride(p, func(en string, o *model.EnvSSO) {
			if (o.Issuer == "") == (o.JWKSURI == "") {
				return
			}
			set, unset, inherited := "issuer", "jwksUri", p.SSO.JWKSURI
			if o.Issuer == "" {
				set, unset, inherited = "jwksUri", "issuer", p.SSO.Issuer
			}
			c.Report(model.Path("environments", en, "sso", set), "override environments."+en+".sso."+unset+" too (the "+unset+" of the same identity provider), or remove this override",
				"environment %s overrides sso.%s but inherits sso.%s %q from the base platform: the issuer and its JWKS belong to one identity provider", en, set, unset, inherited)
		})
	},
})

var ClientOfIssuer = rule(Rule{
	ID: "AM1009", Name: "client-of-issuer", Family: "identity", Scope: OnPlatform,
	Severity: diag.Warning,
	Prevents: "every login refused as an unknown client: an environment overriding sso.issuer but inheriting sso.clientID sends another identity provider's client ID to this one (a client ID is registered with one provider; only providers whose client IDs are chosen, such as Keycloak realms, may share one)",
	platform: func(c *Ctx, p *model.Platform) {
		eachSSOOverride(p, func(en string, o *model.EnvSSO) {
			if o.Issuer == "" || o.ClientID != "" || o.Issuer == p.SSO.Issuer {
				return
			}
			c.Report(model.Path("environments", en, "sso", "issuer"), "override environments."+en+".sso.clientID too (the client registered with "+o.Issuer+"), or remove this override",
				"environment %s overrides sso.issuer but inherits sso.clientID %q from the base platform, which is registered with %s", en, p.SSO.ClientID, p.SSO.Issuer)
		})
	},
})

// eachSSOOverride calls f, in environment order, for every environment
// that overrides part of the platform's SSO.
func eachSSOOverride(p *model.Platform, f func(env string, o *model.EnvSSO)) {
	if p.SSO == nil {
		return
	}
	for _, en := range p.EnvNames() {
		if o := p.Environments[en].SSO; o != nil {
			f(en, o)
		}
	}
}

var SomeEnvironment = rule(Rule{
	ID: "AM1008", Name: "some-environment", Family: "identity", Scope: OnPlatform,
	Prevents: "every overlay deleted by one change: a platform without environments generates nothing, so generate --all would prune the overlays of every environment and the GitOps engines would then prune what they deployed",
	platform: func(c *Ctx, p *model.Platform) {
		if len(p.Environments) == 0 {
			c.Report("environments", "declare at least one environment (environments: <name>: clusters: …); to retire one environment, delete only its entry",
				"the platform declares no environment: generate --all would delete every overlay")
		}
	},
})

// hostMatches reports whether an Istio host pattern ("*", "*.example.com"
// or a name) matches host.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:]) && len(host) > len(pattern)-1
	}
	return pattern == host
}

var GitOpsNamespaceOutside = rule(Rule{
	ID: "AM1006", Name: "gitops-namespace-outside-platform", Family: "identity", Scope: OnPlatform,
	Prevents: "a first sync that can never succeed, and GitOps objects deleted with the platform: Argo CD Applications or Flux Kustomizations placed in a namespace the platform itself creates (namespaces.app, namespaces.models), which does not exist until those very objects have synced",
	platform: func(c *Ctx, p *model.Platform) {
		g := p.GitOps
		if g == nil {
			return
		}
		owned := map[string]string{p.Namespaces.App: "namespaces.app", p.Namespaces.Models: "namespaces.models"}
		for _, e := range []struct {
			on        bool
			engine    string
			namespace string
			path      string
			usual     string
		}{
			{g.Argo(), "Argo CD", g.ArgoCD.Namespace, "gitops.argocd.namespace", "argocd"},
			{g.UsesFlux(), "Flux", g.Flux.Namespace, "gitops.flux.namespace", "flux-system"},
		} {
			if !e.on {
				continue
			}
			if field, ok := owned[e.namespace]; ok {
				c.Report(e.path, "use a namespace that exists before the platform syncs: the one "+e.engine+" was installed in (usually "+e.usual+")",
					"the %s objects would live in namespace %q, which the platform creates (%s): their first sync fails because the namespace does not exist yet, and pruning it would delete them", e.engine, e.namespace, field)
			}
		}
	},
})

var FluxRepoURLScheme = rule(Rule{
	ID: "AM1010", Name: "flux-repo-url-scheme", Family: "identity", Scope: OnPlatform,
	Prevents: "a Flux GitRepository the API server rejects: Flux takes http, https and ssh URLs only, while Argo CD also takes the scp-like git@host:path form",
	platform: func(c *Ctx, p *model.Platform) {
		g := p.GitOps
		if g == nil || !g.UsesFlux() || !strings.HasPrefix(g.RepoURL, "git@") {
			return
		}
		host, path, ok := strings.Cut(strings.TrimPrefix(g.RepoURL, "git@"), ":")
		hint := "write the URL as ssh://git@<host>/<path>"
		if ok && host != "" && path != "" {
			hint = "write it as ssh://git@" + host + "/" + strings.TrimPrefix(path, "/")
		}
		c.Report("gitops.repoURL", hint,
			"Flux's GitRepository takes only http://, https:// and ssh:// URLs, not the scp-like form %q", g.RepoURL)
	},
})
