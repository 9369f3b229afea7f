package check

import (
	"fmt"
	"github.com/aimesh/aimesh/generator/parallel"
	"sort"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Scope says what a rule looks at, and so when it runs.
type Scope int

const (
	// OnPlatform rules run once, on the platform as written (before
	// environment overrides are applied).
	OnPlatform Scope = iota
	// OnEnvironment rules run on each environment's resolved platform.
	OnEnvironment
	// OnObjects rules run on the rendered objects of each environment.
	OnObjects
	// Elsewhere marks rules enforced outside this package (the CUE schema,
	// the loader, the validator, the writer); they are listed here so that
	// docs/checks.md is one catalogue of everything aimesh refuses.
	Elsewhere
)

func (s Scope) String() string {
	switch s {
	case OnPlatform:
		return "platform"
	case OnEnvironment:
		return "environment"
	case OnObjects:
		return "rendered objects"
	}
	return "elsewhere"
}

// Rule is one check, described as data: the catalogue in docs/checks.md
// is generated from these values, and every finding a rule reports carries
// its ID.
type Rule struct {
	// ID is stable and appears in every finding ("AM0101"). The hundreds
	// group families (see families).
	ID string
	// Name is a short kebab-case name.
	Name string
	// Family groups rules; one file per family (references.go, tiers.go…).
	Family string
	// Severity is the default severity of a finding.
	Severity diag.Severity
	// Prevents says which failure at sync or run time the rule prevents.
	Prevents string
	// Refs names the field reference's checks (C1–C20) or upstream
	// analyzers the rule corresponds to.
	Refs  string
	Scope Scope
	// Where names the package or file that enforces an Elsewhere rule.
	Where string
	// Invariant marks an object rule that a platform accepted by the
	// earlier rules cannot trigger (the renderers derive both sides from
	// one value); it guards the renderers and is covered by unit tests
	// rather than a txtar case.
	Invariant bool
	// Cases names golden txtar cases (without .txtar) for rules whose
	// findings carry no rule ID (Elsewhere rules). Cases of Go rules are
	// found by their [ID] in the expected output.
	Cases []string

	platform func(c *Ctx, p *model.Platform)
	objects  func(c *Ctx, objs []object.Object)
}

var catalogue []*Rule

// rule registers r in the catalogue. Each family file declares its rules
// as package-level values built with rule.
func rule(r Rule) *Rule {
	switch {
	case r.Scope == Elsewhere && (r.platform != nil || r.objects != nil):
		panic("check: rule " + r.ID + " is enforced elsewhere but has a function")
	case (r.Scope == OnPlatform || r.Scope == OnEnvironment) && r.platform == nil,
		r.Scope == OnObjects && r.objects == nil:
		panic("check: rule " + r.ID + " has no function for its scope")
	}
	p := &r
	catalogue = append(catalogue, p)
	return p
}

// Rules returns every rule, sorted by ID.
func Rules() []*Rule {
	out := append([]*Rule(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func rulesOf(s Scope) []*Rule {
	var out []*Rule
	for _, r := range Rules() {
		if r.Scope == s {
			out = append(out, r)
		}
	}
	return out
}

// Ctx is what a rule's function reports through.
type Ctx struct {
	rule *Rule
	ix   load.Index
	// R is the resolved environment for OnEnvironment and OnObjects rules,
	// nil for OnPlatform rules.
	R   *model.Resolved
	env string
	out *diag.List
}

// Report records a finding of the rule's severity at the CUE path (an
// environment override of the path is preferred when one exists).
func (c *Ctx) Report(path, hint, format string, args ...any) {
	c.ReportAs(c.rule.Severity, path, hint, format, args...)
}

// At is the CUE path a finding about path is reported at: an environment
// override of it when one exists. Rules that report below path (a list
// element, a field of it) start from At(path).
func (c *Ctx) At(path string) string {
	if c.R != nil {
		return c.R.At(path)
	}
	return path
}

// ReportAs records a finding with an explicit severity (for rules whose
// severity the platform configures, such as memory fit).
func (c *Ctx) ReportAs(sev diag.Severity, path, hint, format string, args ...any) {
	path = c.At(path)
	*c.out = append(*c.out, diag.Diagnostic{
		Severity: sev, Pos: c.ix.Lookup(path), Path: path, Env: c.env,
		Message: fmt.Sprintf(format, args...), Hint: hint, Rule: c.rule.ID,
	})
}

// ReportObject records a finding on a rendered object, at the CUE position
// of the value the object was rendered from.
func (c *Ctx) ReportObject(o object.Object, hint, format string, args ...any) {
	*c.out = append(*c.out, diag.Diagnostic{
		Severity: c.rule.Severity, Pos: c.ix.Lookup(o.Origin), Path: o.Origin, Env: c.env,
		Message: fmt.Sprintf(format, args...), Hint: hint, Rule: c.rule.ID,
	})
}

func runPlatform(rules []*Rule, ix load.Index, r *model.Resolved, p *model.Platform, env string) diag.List {
	var out diag.List
	for _, rl := range rules {
		rl.platform(&Ctx{rule: rl, ix: ix, R: r, env: env, out: &out}, p)
	}
	return out
}

// Platform runs the OnPlatform rules on the base platform and the
// OnEnvironment rules on each resolved environment. Findings common to
// every environment are reported once, without an environment tag.
func Platform(res *load.Result) diag.List {
	return Environments(res, ResolveAll(res.Platform))
}

// ResolveAll resolves every environment of p, in parallel; an environment
// that does not resolve has no entry (its errors are the rules').
func ResolveAll(p *model.Platform) map[string]*model.Resolved {
	names := p.EnvNames()
	rs := make([]*model.Resolved, len(names))
	parallel.For(len(names), func(i int) { rs[i], _ = p.Resolve(names[i]) })
	out := map[string]*model.Resolved{}
	for i, r := range rs {
		if r != nil {
			out[names[i]] = r
		}
	}
	return out
}

// Environments is Platform on environments resolved beforehand
// (ResolveAll): the rules of the base platform and of each environment run
// in parallel, and their findings are merged in a fixed order.
func Environments(res *load.Result, resolved map[string]*model.Resolved) diag.List {
	p := res.Platform
	names := p.EnvNames()
	found := make([]diag.List, len(names)+1)
	parallel.For(len(names)+1, func(i int) {
		if i == 0 {
			found[0] = runPlatform(rulesOf(OnPlatform), res.Positions, nil, p, "")
			return
		}
		env := names[i-1]
		if r := resolved[env]; r != nil {
			found[i] = runPlatform(rulesOf(OnEnvironment), res.Positions, r, &r.Platform, env)
		}
	})
	var out diag.List
	for _, l := range found {
		out = append(out, l...)
	}
	return diag.MergeEnvs(out, names)
}

// Resolved runs the OnEnvironment rules on one resolved environment.
func Resolved(ix load.Index, r *model.Resolved) diag.List {
	return runPlatform(rulesOf(OnEnvironment), ix, r, &r.Platform, "").Sorted()
}

// Objects runs the OnObjects rules on the rendered objects of one
// environment.
func Objects(ix load.Index, env string, objs []object.Object) diag.List {
	var out diag.List
	for _, rl := range rulesOf(OnObjects) {
		rl.objects(&Ctx{rule: rl, ix: ix, env: env, out: &out}, objs)
	}
	return out.Sorted()
}

// MemoryFit runs only the ModelMesh sizing rule on p (vet --models calls it
// with model sizes read from the model store).
func MemoryFit(ix load.Index, p *model.Platform) diag.List {
	return runPlatform([]*Rule{ModelMeshMemoryFit}, ix, nil, p, "").Sorted()
}
