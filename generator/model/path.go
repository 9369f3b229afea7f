package model

import (
	"regexp"
	"strconv"
	"strings"
)

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// Path builds a CUE path string from labels, quoting labels that are not
// identifiers and writing list indexes as [i]: Path("services", "ai-backend",
// "port") is `services."ai-backend".port`. The loader indexes positions
// under the same spelling.
func Path(labels ...any) string {
	var b strings.Builder
	for _, l := range labels {
		switch l := l.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(l) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			if identRE.MatchString(l) {
				b.WriteString(l)
			} else {
				b.WriteString(strconv.Quote(l))
			}
		default:
			panic("model.Path: label must be string or int")
		}
	}
	return b.String()
}

// Parent returns the path without its last label, or "" at the root.
func Parent(p string) string {
	inQuote := false
	last := -1
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case (c == '.' || c == '[') && !inQuote:
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return p[:last]
}
