package load

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// A map of the platform whose keys the schema constrains with a pattern
// ([N=#Name]: …). CUE refuses a key that does not match the pattern as a
// "field not allowed" of whatever the user wrote inside it
// (environments.UPPER.clusters), which reads as if clusters were
// misspelled. keyRule names what the key itself must be.
type keyRule struct {
	// at matches the labels before the key; "*" matches any label.
	at   []string
	re   *regexp.Regexp
	max  int
	what string
}

var (
	nameKeyRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	envVarRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameWhat  = "a DNS-1123 label: lowercase letters, digits and \"-\", starting and ending with a letter or digit, at most 63 characters"
)

var keyRules = []keyRule{
	{at: []string{"environments"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"services"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"services", "*", "variants"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"services", "*", "env"}, re: envVarRE, what: "an environment variable name: letters, digits and \"_\", not starting with a digit"},
	{at: []string{"models"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"gateways"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"tiers", "classes"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"environments", "*", "services"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"environments", "*", "services", "*", "variants"}, re: nameKeyRE, max: 63, what: nameWhat},
	{at: []string{"environments", "*", "gateways"}, re: nameKeyRE, max: 63, what: nameWhat},
}

// badKey returns the path of the outermost key on path that its map's
// pattern refuses, the key, and what the key must be.
func badKey(path string) (keyPath, key, what string, ok bool) {
	sels, ok := selectors(path)
	if !ok {
		return "", "", "", false
	}
	for i, sel := range sels {
		if sel.index >= 0 {
			return "", "", "", false
		}
		for _, r := range keyRules {
			if len(r.at) != i || !matchLabels(r.at, sels[:i]) {
				continue
			}
			if r.re.MatchString(sel.label) && (r.max == 0 || len([]rune(sel.label)) <= r.max) {
				continue
			}
			labels := make([]any, i+1)
			for j := range labels {
				labels[j] = sels[j].label
			}
			return model.Path(labels...), sel.label, r.what, true
		}
	}
	return "", "", "", false
}

func matchLabels(at []string, sels []selector) bool {
	for i, a := range at {
		if sels[i].index >= 0 || a != "*" && a != sels[i].label {
			return false
		}
	}
	return true
}

// explainKeys rewrites the "field not allowed" errors that a refused key
// causes into one error about the key, and drops the repeats.
func explainKeys(l diag.List) diag.List {
	done := map[string]bool{}
	var out diag.List
	for _, d := range l {
		if !strings.Contains(d.Message, "field not allowed") {
			out = append(out, d)
			continue
		}
		keyPath, key, what, ok := badKey(d.Path)
		if !ok {
			out = append(out, d)
			continue
		}
		if done[keyPath] {
			continue
		}
		done[keyPath] = true
		d.Path = keyPath
		d.Message = fmt.Sprintf("the key %q is not allowed here: it must be %s", key, what)
		d.Hint = "rename the key (the schema accepts no other spelling, so everything written under it is refused)"
		out = append(out, d)
	}
	return out
}
