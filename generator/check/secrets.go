package check

import (
	"regexp"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// Family "secrets": no credential reaches Git, and what runs is what was
// reviewed (C18, pinned images).

var PinnedImages = rule(Rule{
	ID: "AM0501", Name: "pinned-images", Family: "secrets", Scope: OnEnvironment,
	Prevents: "mutable tags (:latest, untagged) in an environment with requirePinnedImages (prod must set it)",
	platform: func(c *Ctx, p *model.Platform) {
		r := c.R
		if r == nil || !r.Env.RequirePinnedImages {
			return
		}
		check := func(path, image string) {
			if image != "" && !Pinned(image) {
				c.Report(path, "pin the image to a release tag or a @sha256 digest",
					"image %q is not pinned (environment %s requires pinned images)", image, r.Env.Name)
			}
		}
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			check(model.Path("services", sn, "image"), s.Image)
			for _, v := range s.SortedVariants() {
				check(model.Path("services", sn, "variants", v.Name, "image"), v.Image)
			}
		}
		if l := p.ModelServing.Loader; l != nil {
			check("modelServing.loader.image", l.Image)
		}
	},
})

var digestRE = regexp.MustCompile(`@sha256:[a-f0-9]{64}$`)

// Pinned reports whether image names an immutable version: a digest, or
// a tag other than latest.
func Pinned(image string) bool {
	if digestRE.MatchString(image) {
		return true
	}
	last := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(last, ":")
	return i >= 0 && last[i+1:] != "latest"
}

var secretNameRE = regexp.MustCompile(`(?i)(secret|password|passwd|token|apikey|api_key|private_key|credential)`)

const secretHint = "move the value into a Kubernetes Secret outside Git and reference it; never write secret values in CUE"

var EnvLiteralSecret = rule(Rule{
	ID: "AM0502", Name: "env-literal-secret", Family: "secrets", Scope: OnEnvironment, Refs: "C18",
	Prevents: "a credential in Git: an env var whose name looks like a secret holds a literal value",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			for _, k := range model.SortedKeys(s.Env) {
				if secretNameRE.MatchString(k) && s.Env[k] != "" {
					c.Report(model.Path("services", sn, "env", k), secretHint,
						"env %s looks like a secret and holds a literal value (C18)", k)
				}
			}
		}
	},
})

var EnvHighEntropy = rule(Rule{
	ID: "AM0503", Name: "env-high-entropy", Family: "secrets", Scope: OnEnvironment, Refs: "C18",
	Prevents: "a token pasted into an innocently named env var (detect-secrets-style entropy heuristic)",
	platform: func(c *Ctx, p *model.Platform) {
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			for _, k := range model.SortedKeys(s.Env) {
				if !secretNameRE.MatchString(k) && LooksSecret(s.Env[k]) {
					c.Report(model.Path("services", sn, "env", k), secretHint,
						"env %s holds a high-entropy string that looks like a credential (C18)", k)
				}
			}
		}
	},
})

var ArgoCDSSOPlaceholders = rule(Rule{
	ID: "AM0504", Name: "argocd-sso-placeholders", Family: "secrets", Scope: OnEnvironment, Refs: "C18",
	Severity: diag.Warning,
	Prevents: "a literal ${OIDC_CLIENT_SECRET} reaching ASM: Argo CD does not substitute the SSO secret placeholders (Flux postBuild does)",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO != nil && p.GitOps.Argo() && !p.GitOps.UsesFlux() {
			c.Report("gitops.engine", "resolve ${"+p.SSO.ClientSecret.SecretRef.Key+"} at sync time with a plugin such as argocd-vault-plugin, or sync the ASM target with Flux (engine: \"flux\" or \"both\")",
				"Argo CD does not substitute the SSO secret placeholders in ASMSecurityPolicy %s (C18)", p.SSO.PolicyName)
		}
	},
})

var ClientIDLooksSecret = rule(Rule{
	ID: "AM0505", Name: "client-id-looks-secret", Family: "secrets", Scope: OnEnvironment, Refs: "C18",
	Severity: diag.Warning,
	Prevents: "the client secret pasted where the (public) client ID belongs",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO != nil && LooksSecret(p.SSO.ClientID) {
			c.Report("sso.clientID", "client IDs are public; ignore this if the value is really the client ID",
				"sso.clientID looks like a secret value")
		}
	},
})

var NoSecretsInOutput = rule(Rule{
	ID: "AM0506", Name: "no-secrets-in-output", Family: "secrets", Scope: Elsewhere, Refs: "C18",
	Where:    "schemas/platform.cue (#SecretRef) and the generated-file scan in generator/compile tests",
	Prevents: "secret values in Git: SSO secrets are secretRefs in CUE (a literal is refused and masked in the error) and ${VAR} placeholders in the output; no Secret objects are emitted",
})

var SSOSecretKeysDistinct = rule(Rule{
	ID: "AM0507", Name: "sso-secret-keys-distinct", Family: "secrets", Scope: OnPlatform, Refs: "C18",
	Prevents: "an SSO login that never starts: sso.clientSecret and sso.cookieSecret with the same key become the same ${KEY} placeholder, so both fields receive one value (from one Secret, or the last of two that Flux reads) and oauth2-proxy gets the client secret as its cookie key, which must be 16, 24 or 32 bytes",
	platform: func(c *Ctx, p *model.Platform) {
		if p.SSO == nil {
			return
		}
		client, cookie := p.SSO.ClientSecret.SecretRef, p.SSO.CookieSecret.SecretRef
		if client.Key != cookie.Key {
			return
		}
		hint := "give the cookie secret a key of its own (a random value of 16, 24 or 32 bytes, e.g. from openssl rand -hex 16) and add it to the Secret"
		if client.Name == cookie.Name {
			c.Report("sso.cookieSecret.secretRef.key", hint,
				"sso.cookieSecret uses key %s of Secret %s, the key of sso.clientSecret: the cookie would be encrypted with the client secret (C18)", cookie.Key, cookie.Name)
			return
		}
		c.Report("sso.cookieSecret.secretRef.key", hint,
			"sso.cookieSecret and sso.clientSecret both use key %s (of Secrets %s and %s): both fields become the placeholder ${%s}, which takes one value at sync time (C18)", cookie.Key, cookie.Name, client.Name, cookie.Key)
	},
})
