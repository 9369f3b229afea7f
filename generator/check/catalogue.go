package check

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
)

// families orders the catalogue and says what each family covers. A new
// family gets a line here and a file of its own.
var families = []struct{ name, about string }{
	{"schema", "shapes the CUE schema enforces before any Go code runs"},
	{"validation", "every rendered object, checked before anything is written"},
	{"references", "every name points at something defined"},
	{"runtimes", "every model gets exactly one serving runtime"},
	{"capacity", "requests, responses and models fit what carries them"},
	{"tiers", "tier routing is complete and cannot be spoofed; headers have one meaning"},
	{"exposure", "gateways and what they expose"},
	{"secrets", "no credential reaches Git; what runs is what was reviewed"},
	{"objects", "rules on the rendered objects of one environment"},
	{"safety", "untrusted input: aimesh reads only the platform, never loses a file it did not write, and never turns a value into a path or argument that escapes"},
	{"identity", "the OIDC login and the GitOps wiring work with the identity provider and the clusters"},
	{"kubernetes", "rendered objects pass the API server's own rules (names, labels, ports, quantities, selectors)"},
	{"istio", "rendered Istio objects pass upstream Istio's validation and the rules its webhook does not enforce"},
}

// Markdown renders the catalogue as docs/checks.md. cases maps a rule ID
// to the golden txtar files whose expected output names it.
func Markdown(cases map[string][]string) []byte {
	var b bytes.Buffer
	b.WriteString(`# Checks

<!-- Generated from the rule values in generator/check by
     "AIMESH_UPDATE=1 go test ./generator/check"; CI fails when it is stale. -->

Every rule aimesh enforces, the failure it prevents, and the txtar cases
that pin its message and position. Every finding of a Go rule ends with the
rule's ID in brackets, e.g. ` + "`[AM0101]`" + `. Errors stop generation (exit 1,
nothing written); warnings are printed and generation goes on. "Cn" refers
to the checks of ` + "`../shared/reference/target-resources.md`" + `; "IST…" to Istio
analyzers.

Scopes: *platform* rules run once on the platform as written; *environment*
rules on each environment after its overrides are applied (a finding shared
by all environments is reported once); *rendered objects* rules on the
objects of each environment; *elsewhere* rules are enforced by the package
named. *Invariant* rules guard the renderers: a platform the other rules
accept cannot trigger them, so unit tests cover them.

`)
	byFamily := map[string][]*Rule{}
	for _, r := range Rules() {
		byFamily[r.Family] = append(byFamily[r.Family], r)
	}
	for _, f := range families {
		rules := byFamily[f.name]
		if len(rules) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s.\n\n", f.name, upperFirst(f.about))
		b.WriteString("| ID | rule | severity | scope | prevents | cases |\n|---|---|---|---|---|---|\n")
		for _, r := range rules {
			scope := r.Scope.String()
			if r.Scope == Elsewhere {
				scope = "`" + r.Where + "`"
			}
			if r.Invariant {
				scope += " (invariant)"
			}
			prevents := r.Prevents
			if r.Refs != "" {
				prevents += " (" + r.Refs + ")"
			}
			sev := "error"
			if r.Severity == diag.Warning {
				sev = "warning"
			}
			var cs []string
			for _, c := range append(append([]string(nil), r.Cases...), cases[r.ID]...) {
				cs = append(cs, "`"+c+"`")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.ID, r.Name, sev, scope,
				strings.ReplaceAll(prevents, "|", `\|`), strings.Join(cs, ", "))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FamilyNames lists the known families in catalogue order.
func FamilyNames() []string {
	var out []string
	for _, f := range families {
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}
