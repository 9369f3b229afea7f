package load

import (
	"bytes"
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"github.com/aimesh/aimesh/generator/diag"
)

// placeholder is what Flux's postBuild substitution replaces in every
// object of a Kustomization that substitutes ("${VAR}", "${VAR:=x}"…).
// aimesh writes such placeholders only for the SSO secretRef keys; one in
// a value of the platform would be replaced, or fail the sync, at sync
// time, so it is refused in every string of the platform (labels too).
const placeholder = "${"

// checkPlaceholders reports every string of v (data, the JSON of v, is a
// cheap test that there is none) holding a "${", at the value as the user
// wrote it.
func (s *setup) checkPlaceholders(v cue.Value, data []byte, ix Index) diag.List {
	if !bytes.Contains(data, []byte(placeholder)) {
		return nil
	}
	return s.placeholdersIn(v, "", ix)
}

func (s *setup) placeholdersIn(v cue.Value, path string, ix Index) diag.List {
	report := func(v cue.Value, path, what string) diag.Diagnostic {
		d := diag.Diagnostic{Severity: diag.Error, Path: path,
			Message: fmt.Sprintf("%s holds %q: Flux substitutes ${...} in the generated objects at sync time", what, placeholder),
			Hint:    `remove the "${": the only placeholders in the output are the ones aimesh writes for the sso secretRef keys`}
		d.Pos = s.numberPos(v, path, ix)
		s.placeWritten(&d)
		return d
	}
	var l diag.List
	switch v.IncompleteKind() {
	case cue.StringKind:
		if str, err := v.String(); err == nil && strings.Contains(str, placeholder) {
			l = append(l, report(v, path, "the value"))
		}
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			return nil
		}
		for it.Next() {
			label, child := fieldPath(path, it.Selector())
			if strings.Contains(label, placeholder) {
				l = append(l, report(it.Value(), child, "the name"))
				continue
			}
			l = append(l, s.placeholdersIn(it.Value(), child, ix)...)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return nil
		}
		for i := 0; it.Next(); i++ {
			l = append(l, s.placeholdersIn(it.Value(), path+fmt.Sprintf("[%d]", i), ix)...)
		}
	}
	return l
}
