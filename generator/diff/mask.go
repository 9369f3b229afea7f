package diff

import "regexp"

// Masked is what a report shows instead of a sensitive value.
const Masked = "***"

// SensitiveKey matches the field keys (and list item names) whose values
// are never shown.
var SensitiveKey = regexp.MustCompile(`(?i)secret|password|token`)

// sensitive reports whether the value at path in the object id is masked:
// anything below data or stringData of a core Secret, and anything below
// a key or a name-addressed list item that matches SensitiveKey.
func sensitive(id ObjectID, path []segment) bool {
	if id.Group == "" && id.Kind == "Secret" && len(path) > 0 && path[0].kind == segKey &&
		(path[0].key == "data" || path[0].key == "stringData") {
		return true
	}
	for _, s := range path {
		if (s.kind == segKey || s.kind == segName) && SensitiveKey.MatchString(s.key) {
			return true
		}
	}
	return false
}

// maskValue returns a copy of v, found at path in the object id, in which
// every sensitive value is replaced by Masked. It is applied to the
// subtrees a report prints whole (an added field, a changed list).
func maskValue(id ObjectID, path []segment, v any) any {
	if v == nil {
		return nil
	}
	if sensitive(id, path) {
		return Masked
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, c := range v {
			out[k] = maskValue(id, append(path[:len(path):len(path)], segment{kind: segKey, key: k}), c)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			seg := segment{kind: segIndex, index: i}
			if m, ok := c.(map[string]any); ok {
				if n, ok := m["name"].(string); ok && n != "" {
					seg = segment{kind: segName, key: n}
				}
			}
			out[i] = maskValue(id, append(path[:len(path):len(path)], seg), c)
		}
		return out
	}
	return v
}
