package check

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
)

type checker struct {
	ix  load.Index
	env string
	r   *model.Resolved
	out diag.List
}

func (c *checker) at(sev diag.Severity, path, hint, format string, args ...any) {
	if c.r != nil {
		path = c.r.At(path)
	}
	c.out = append(c.out, diag.Diagnostic{
		Severity: sev, Pos: c.ix.Lookup(path), Path: path, Env: c.env,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

func (c *checker) errorf(path, hint, format string, args ...any) {
	c.at(diag.Error, path, hint, format, args...)
}

func (c *checker) warnf(path, hint, format string, args ...any) {
	c.at(diag.Warning, path, hint, format, args...)
}

// Platform runs the checks on the base platform and on each resolved
// environment. Findings common to every environment are reported once,
// without an environment tag.
func Platform(res *load.Result) diag.List {
	p := res.Platform
	base := &checker{ix: res.Positions}
	base.environments(p)
	out := base.out
	for _, env := range p.EnvNames() {
		r, err := p.Resolve(env)
		if err != nil {
			continue
		}
		c := &checker{ix: res.Positions, r: r}
		c.resolved()
		for i := range c.out {
			c.out[i].Env = env
		}
		out = append(out, c.out...)
	}
	// Findings shared by every environment are reported once.
	return diag.MergeEnvs(out, p.EnvNames())
}

// Resolved checks one resolved environment only.
func Resolved(ix load.Index, r *model.Resolved) diag.List {
	c := &checker{ix: ix, r: r}
	c.resolved()
	return c.out.Sorted()
}

func (c *checker) resolved() {
	p := &c.r.Platform
	c.references(p)
	c.runtimes(p)
	c.tiers(p)
	c.headers(p)
	c.gateways(p)
	c.images()
	c.tierSecurity(p)
	c.capacity(p)
	c.memoryFit(p)
	c.exposure(p)
	c.secrets(p)
	if p.ModelServing.FallbackPolicy == "NO_FALLBACK" {
		c.warnf("modelServing.fallbackPolicy", "use ANY_ENDPOINT unless a 503 on a missing subset is what you want",
			"fallbackPolicy NO_FALLBACK answers 503 UH when no runtime pod carries the requested model format (C17)")
	}
}

func names[V any](m map[string]V) string { return strings.Join(model.SortedKeys(m), ", ") }

// references checks that every name points at something defined.
func (c *checker) references(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		s := p.Services[sn]
		for _, vn := range model.SortedKeys(s.Variants) {
			v := s.Variants[vn]
			if _, ok := p.Models[v.Model]; !ok {
				c.errorf(model.Path("services", sn, "variants", vn, "model"),
					"define models."+quote(v.Model)+" or use one of: "+names(p.Models),
					"model %q is not defined", v.Model)
			}
		}
		if len(s.Variants) == 0 && s.Image == "" {
			c.errorf(model.Path("services", sn), "set image, or declare variants each with an image",
				"service %q has no image and no variants", sn)
		}
		if e := s.Exposure; e != nil {
			gw, ok := p.Gateways[e.Gateway]
			if !ok {
				c.errorf(model.Path("services", sn, "exposure", "gateway"), "use one of the gateways: "+names(p.Gateways),
					"gateway %q is not defined", e.Gateway)
			} else {
				for i, port := range e.Ports {
					if !gw.HasPort(port) {
						c.errorf(model.Path("services", sn, "exposure", "ports")+fmt.Sprintf("[%d]", i),
							fmt.Sprintf("add port %d to gateways.%s.ports or expose a port it has", port, quote(e.Gateway)),
							"port %d is not exposed by gateway %q (C3)", port, e.Gateway)
					}
				}
			}
		}
		if s.Routing != nil && len(s.Variants) == 0 {
			c.errorf(model.Path("services", sn, "routing"), "remove routing or declare variants to route between",
				"service %q has routing but no variants", sn)
		}
	}
	ms := p.ModelServing
	if gw, ok := p.Gateways[ms.Gateway]; !ok {
		c.errorf("modelServing.gateway", "use one of the gateways: "+names(p.Gateways), "gateway %q is not defined", ms.Gateway)
	} else if !gw.HasPort(ms.Port) {
		c.errorf("modelServing.port", fmt.Sprintf("add port %d to gateways.%s.ports", ms.Port, quote(ms.Gateway)),
			"port %d is not exposed by model gateway %q (C3, C4)", ms.Port, ms.Gateway)
	}
	if p.SSO != nil {
		if _, ok := p.Gateways[p.SSO.Gateway]; !ok {
			c.errorf("sso.gateway", "use one of the gateways: "+names(p.Gateways), "gateway %q is not defined", p.SSO.Gateway)
		}
	}
	if p.Namespaces.App == p.Namespaces.Models {
		c.errorf("namespaces.models", "keep ModelMesh in its own namespace", "the model namespace must differ from the app namespace")
	}
	if p.ModelServing.Namespace != p.Namespaces.Models {
		c.errorf("modelServing.namespace", "set modelServing.namespace: namespaces.models",
			"modelServing.namespace %q is not namespaces.models %q", p.ModelServing.Namespace, p.Namespaces.Models)
	}
}

// environments checks that overrides name things that exist.
func (c *checker) environments(p *model.Platform) {
	for _, en := range p.EnvNames() {
		e := p.Environments[en]
		for _, sn := range model.SortedKeys(e.Services) {
			s, ok := p.Services[sn]
			if !ok {
				c.errorf(model.Path("environments", en, "services", sn), "use one of the services: "+names(p.Services),
					"service %q is not defined", sn)
				continue
			}
			for _, vn := range model.SortedKeys(e.Services[sn].Variants) {
				if _, ok := s.Variants[vn]; !ok {
					c.errorf(model.Path("environments", en, "services", sn, "variants", vn),
						"use one of the variants: "+names(s.Variants), "service %q has no variant %q", sn, vn)
				}
			}
		}
		for _, gn := range model.SortedKeys(e.Gateways) {
			if _, ok := p.Gateways[gn]; !ok {
				c.errorf(model.Path("environments", en, "gateways", gn), "use one of the gateways: "+names(p.Gateways),
					"gateway %q is not defined", gn)
			}
		}
		if e.SSO != nil && p.SSO == nil {
			c.errorf(model.Path("environments", en, "sso"), "define sso at the top level first", "sso override without a top-level sso")
		}
	}
}

// runtimes encodes C5: the runtime lists the model's format; without an
// explicit runtime exactly one runtime auto-selects it.
func (c *checker) runtimes(p *model.Platform) {
	for _, mn := range model.SortedKeys(p.Models) {
		m := p.Models[mn]
		if m.Runtime != "" {
			rt, ok := p.Runtimes[m.Runtime]
			if !ok {
				c.errorf(model.Path("models", mn, "runtime"), "use one of the runtimes: "+names(p.Runtimes),
					"runtime %q is not defined", m.Runtime)
				continue
			}
			if listed, _ := rt.Supports(m.Format); !listed {
				c.errorf(model.Path("models", mn, "runtime"), "pick a runtime that lists "+m.Format+fmtCands(p.Supporting(m.Format)),
					"runtime %q does not support format %q (C5)", m.Runtime, m.Format)
			}
			continue
		}
		switch cands := p.AutoSelecting(m.Format); len(cands) {
		case 0:
			c.errorf(model.Path("models", mn, "format"), "set models."+quote(mn)+".runtime"+fmtCands(p.Supporting(m.Format)),
				"no runtime auto-selects format %q (C5)", m.Format)
		case 1:
		default:
			c.errorf(model.Path("models", mn, "format"), "set models."+quote(mn)+".runtime to one of: "+strings.Join(cands, ", "),
				"runtime choice for format %q is ambiguous: %s all auto-select it (C5)", m.Format, strings.Join(cands, ", "))
		}
	}
}

func fmtCands(c []string) string {
	if len(c) == 0 {
		return " (no runtime lists it: add one to runtimes)"
	}
	return " (candidates: " + strings.Join(c, ", ") + ")"
}

func (c *checker) tiers(p *model.Platform) {
	if p.Tiers == nil {
		return
	}
	defaults := map[string][]string{}
	values := map[string]map[string]string{}
	for _, tn := range model.SortedKeys(p.Tiers.Classes) {
		t := p.Tiers.Classes[tn]
		tp := model.Path("tiers", "classes", tn)
		s, ok := p.Services[t.Service]
		if !ok {
			c.errorf(tp+".service", "use one of the services: "+names(p.Services), "service %q is not defined", t.Service)
			continue
		}
		if _, ok := s.Variants[t.Variant]; !ok {
			c.errorf(tp+".variant", "use one of the variants of "+t.Service+": "+names(s.Variants),
				"service %q has no variant %q", t.Service, t.Variant)
		}
		if s.Routing == nil {
			c.errorf(tp+".service", "set services."+quote(t.Service)+".routing to name its VirtualService and DestinationRule",
				"service %q is tier-routed but has no routing", t.Service)
		}
		if t.Default {
			defaults[t.Service] = append(defaults[t.Service], tn)
			if t.Value != "" {
				c.errorf(tp+".value", "remove value from the default tier: it matches every request without another tier", "the default tier must not have a value")
			}
			continue
		}
		if t.Value == "" {
			c.errorf(tp, "set value to the claim value that selects this tier, or make it the default", "tier %q has no value and is not the default", tn)
			continue
		}
		if values[t.Service] == nil {
			values[t.Service] = map[string]string{}
		}
		if other, dup := values[t.Service][t.Value]; dup {
			c.errorf(tp+".value", "give each tier of a service its own value", "tiers %q and %q both match value %q", other, tn, t.Value)
		}
		values[t.Service][t.Value] = tn
	}
	for _, sn := range model.SortedKeys(p.Services) {
		tiers := p.Tiers.ForService(sn)
		if len(tiers) == 0 {
			continue
		}
		switch d := defaults[sn]; len(d) {
		case 0:
			c.errorf(model.Path("tiers", "classes", tiers[0].Name), "mark exactly one tier of "+sn+" with default: true",
				"service %q has no default tier", sn)
		case 1:
		default:
			c.errorf(model.Path("tiers", "classes", d[1], "default"), "keep default: true on one tier only",
				"service %q has %d default tiers: %s", sn, len(d), strings.Join(d, ", "))
		}
	}
}

// headers encodes C1: no underscores unless allowed, no collisions.
func (c *checker) headers(p *model.Platform) {
	type use struct{ path, what string }
	uses := map[string]use{}
	add := func(h, path, what string) {
		if strings.Contains(h, "_") && !p.Mesh.AllowUnderscoreHeaders {
			c.errorf(path, "use hyphens (e.g. "+strings.ReplaceAll(h, "_", "-")+"), or set mesh.allowUnderscoreHeaders: true for compatibility",
				"header %q contains an underscore; proxies that reject underscores drop it (C1)", h)
		}
		if prev, ok := uses[h]; ok && prev.what != what {
			c.errorf(path, "rename one of the headers", "header %q is also used as %s at %s", h, prev.what, prev.path)
		}
		uses[h] = use{path, what}
	}
	if p.SSO != nil {
		for i, cl := range p.SSO.Claims {
			add(cl.Header, fmt.Sprintf("sso.claims[%d].header", i), "claim header")
		}
	}
	if p.Tiers != nil {
		add(p.Tiers.Header, "tiers.header", "claim header")
	}
	for _, f := range p.DynamicSubsetFormats() {
		add(p.FormatHeader(f), "modelServing.headerPrefix", "model format header")
	}
}

// gateways encodes C3: unique port numbers and names per gateway.
func (c *checker) gateways(p *model.Platform) {
	for _, gn := range model.SortedKeys(p.Gateways) {
		g := p.Gateways[gn]
		nums, pnames := map[int32]int{}, map[string]int{}
		for i, port := range g.Ports {
			pp := model.Path("gateways", gn, "ports") + fmt.Sprintf("[%d]", i)
			if j, dup := nums[port.Port]; dup {
				c.errorf(pp+".port", "each port number may appear once per gateway", "port %d is already declared at ports[%d]", port.Port, j)
			}
			if j, dup := pnames[port.Name]; dup {
				c.errorf(pp+".name", "each port name may appear once per gateway", "port name %q is already declared at ports[%d]", port.Name, j)
			}
			nums[port.Port], pnames[port.Name] = i, i
		}
	}
}

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

func (c *checker) images() {
	r := c.r
	if !r.Env.RequirePinnedImages {
		return
	}
	check := func(path, image string) {
		if image != "" && !Pinned(image) {
			c.errorf(path, "pin the image to a release tag or a @sha256 digest",
				"image %q is not pinned (environment %s requires pinned images)", image, r.Env.Name)
		}
	}
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		check(model.Path("services", sn, "image"), s.Image)
		for _, v := range s.SortedVariants() {
			check(model.Path("services", sn, "variants", v.Name, "image"), v.Image)
		}
	}
	if l := r.ModelServing.Loader; l != nil {
		check("modelServing.loader.image", l.Image)
	}
}

// tierSecurity encodes C12-C14: a tier header must come from a verified
// claim, on a hop that verifies it.
func (c *checker) tierSecurity(p *model.Platform) {
	if p.Tiers == nil || len(p.Tiers.Classes) == 0 {
		return
	}
	if p.SSO == nil {
		c.errorf("tiers.header", "define sso with a claim mapped to header "+p.Tiers.Header,
			"tier header %q is not produced by a verified claim: without sso any client can set it (C12)", p.Tiers.Header)
		return
	}
	produced := false
	for _, cl := range p.SSO.Claims {
		produced = produced || cl.Header == p.Tiers.Header
	}
	if !produced {
		var hs []string
		for _, cl := range p.SSO.Claims {
			hs = append(hs, cl.Header)
		}
		c.errorf("tiers.header", "route on a header listed in sso.claims ("+strings.Join(hs, ", ")+") or add a claim mapping for "+p.Tiers.Header,
			"tier header %q is not produced by any sso claim, so a client could forge it (C12)", p.Tiers.Header)
	}
	for _, sn := range model.SortedKeys(p.Services) {
		if len(p.Tiers.ForService(sn)) == 0 {
			continue
		}
		s := p.Services[sn]
		if !s.Waypoint || p.Mesh.Mode != "ambient" {
			c.errorf(model.Path("services", sn, "waypoint"), "set waypoint: true (and mesh.mode: \"ambient\") so the claim is verified on the routing hop",
				"service %q routes on %q but no hop in front of it verifies the JWT (C12, C13)", sn, p.Tiers.Header)
		}
	}
}

// capacity encodes C6: every request and response fits the runtime's gRPC cap.
func (c *checker) capacity(p *model.Platform) {
	for _, mn := range model.SortedKeys(p.Models) {
		m := p.Models[mn]
		rtName := p.RuntimeFor(m)
		rt, ok := p.Runtimes[rtName]
		if !ok {
			continue
		}
		for _, dir := range []struct {
			what string
			ts   []model.Tensor
		}{{"inputs", m.Inputs}, {"outputs", m.Outputs}} {
			total := model.WireBytesOf(dir.ts)
			if total <= rt.GRPCMaxMessageBytes {
				continue
			}
			// Point at the largest tensor.
			li := 0
			for i, t := range dir.ts {
				if t.WireBytes() > dir.ts[li].WireBytes() {
					li = i
				}
			}
			t := dir.ts[li]
			c.errorf(model.Path("models", mn, dir.what)+fmt.Sprintf("[%d].shape", li),
				fmt.Sprintf("shrink the tensor, or raise runtimes.%s.grpcMaxMessageBytes (and the runtime's own limit)", quote(rtName)),
				"%s %s %s = %s > %s cap of %s (C6)", model.Shape(t.Shape), t.DataType, trimWhat(dir.what), humanBytes(total), humanBytes(rt.GRPCMaxMessageBytes), rtName)
		}
	}
}

func trimWhat(w string) string {
	if w == "inputs" {
		return "request"
	}
	return "response"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// MemoryFit runs only the ModelMesh sizing rule on p (vet --models calls it
// with model sizes read from the model store).
func MemoryFit(ix load.Index, p *model.Platform) diag.List {
	c := &checker{ix: ix}
	c.memoryFit(p)
	return c.out.Sorted()
}

// memoryFit encodes ModelMesh's sizing rule: the models a runtime serves,
// each at size × 1.25, fit its memory minus its buffer.
func (c *checker) memoryFit(p *model.Platform) {
	for _, rtName := range p.RuntimesInUse() {
		rt := p.Runtimes[rtName]
		if rt.MemoryBytes == 0 {
			continue
		}
		var need float64
		var last string
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			if p.RuntimeFor(m) == rtName && m.SizeBytes > 0 {
				need += float64(m.SizeBytes) * 1.25
				last = mn
			}
		}
		avail := rt.MemoryBytes - rt.MemBufferBytes
		if last == "" || need <= float64(avail) {
			continue
		}
		sev, hint := diag.Error, "raise memoryBytes, spread the models over runtimes, or set modelServing.memoryFit: \"warn\""
		if p.ModelServing.MemoryFit == "warn" {
			sev, hint = diag.Warning, "raise memoryBytes or spread the models over runtimes; ModelMesh will evict models to make room"
		}
		c.at(sev, model.Path("runtimes", rtName, "memoryBytes"), hint,
			"models on %s need %s (size × 1.25) but the runtime has %s (memory − buffer)", rtName,
			humanBytes(int64(math.Ceil(need))), humanBytes(avail))
	}
}

// exposure: the model gateway is never public unless marked so.
func (c *checker) exposure(p *model.Platform) {
	ms := p.ModelServing
	gw, ok := p.Gateways[ms.Gateway]
	if ok && gw.ServiceType == "LoadBalancer" && !gw.Public {
		c.errorf(model.Path("gateways", ms.Gateway, "serviceType"),
			"use serviceType: \"ClusterIP\", or set public: true if models are meant to be reachable from outside",
			"model gateway %q would be exposed on a LoadBalancer but is not marked public", ms.Gateway)
	}
}

var secretNameRE = regexp.MustCompile(`(?i)(secret|password|passwd|token|apikey|api_key|private_key|credential)`)

// secrets encodes C18 for values CUE's types cannot catch: literal secrets
// in env and high-entropy strings anywhere a secret could hide.
func (c *checker) secrets(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		s := p.Services[sn]
		for _, k := range model.SortedKeys(s.Env) {
			v := s.Env[k]
			path := model.Path("services", sn, "env", k)
			if secretNameRE.MatchString(k) && v != "" {
				c.errorf(path, "move the value into a Kubernetes Secret outside Git and reference it; never write secret values in CUE",
					"env %s looks like a secret and holds a literal value (C18)", k)
			} else if LooksSecret(v) {
				c.errorf(path, "move the value into a Kubernetes Secret outside Git and reference it; never write secret values in CUE",
					"env %s holds a high-entropy string that looks like a credential (C18)", k)
			}
		}
	}
	if p.SSO != nil && p.GitOps.Argo() && !p.GitOps.UsesFlux() {
		c.warnf("gitops.engine", "resolve ${"+p.SSO.ClientSecret.SecretRef.Key+"} at sync time with a plugin such as argocd-vault-plugin, or sync the ASM target with Flux (engine: \"flux\" or \"both\")",
			"Argo CD does not substitute the SSO secret placeholders in ASMSecurityPolicy %s (C18)", p.SSO.PolicyName)
	}
	if p.SSO != nil && LooksSecret(p.SSO.ClientID) {
		c.warnf("sso.clientID", "client IDs are public; ignore this if the value is really the client ID",
			"sso.clientID looks like a secret value")
	}
}

func quote(s string) string { return model.Path(s) }
