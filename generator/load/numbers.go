package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// checkNumbers reports every integer of v that does not fit the Go model
// (int64), at the position of the value in the user's files, instead of
// failing the decoding later with an internal error.
func checkNumbers(v cue.Value, path string, root string) diag.List {
	var l diag.List
	switch v.IncompleteKind() {
	case cue.IntKind:
		if _, err := v.Int64(); err != nil {
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: diag.FromToken(root, v.Pos()), Path: path,
				Message: fmt.Sprintf("%v does not fit in a 64-bit integer", v),
				Hint:    "use a value between -9223372036854775808 and 9223372036854775807 (most fields accept far less)"})
		}
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			return nil
		}
		for it.Next() {
			sel := it.Selector()
			label := sel.Unquoted()
			if !sel.IsString() {
				label = sel.String()
			}
			child := model.Path(label)
			if path != "" {
				child = path + "." + child
			}
			l = append(l, checkNumbers(it.Value(), child, root)...)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return nil
		}
		for i := 0; it.Next(); i++ {
			l = append(l, checkNumbers(it.Value(), path+fmt.Sprintf("[%d]", i), root)...)
		}
	}
	return l
}

// decodeError turns a JSON decoding error of a validated value into a
// positioned input error where it can (a number the Go model cannot hold);
// ok is false for a genuine disagreement between schema and Go model.
func decodeError(err error, ix Index) (diag.List, bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || !strings.HasPrefix(te.Value, "number") {
		return nil, false
	}
	path := te.Field
	return diag.List{{Severity: diag.Error, Pos: ix.Lookup(path), Path: path,
		Message: fmt.Sprintf("%s does not fit the field (a %s)", te.Value, te.Type),
		Hint:    "use a smaller whole number"}}, true
}
