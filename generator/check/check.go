package check

import (
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

func names[V any](m map[string]V) string { return strings.Join(model.SortedKeys(m), ", ") }

func quote(s string) string { return model.Path(s) }
