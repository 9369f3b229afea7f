package model

import (
	"path"
	"strings"
)

// UnsafeRelPath says why p cannot be used as a relative path inside a
// directory ("" when it can): empty, absolute, a "." or ".." segment, an
// empty segment, a backslash or a control character.
func UnsafeRelPath(p string) string {
	switch {
	case p == "":
		return "is empty"
	case strings.HasPrefix(p, "/"):
		return "is absolute"
	case strings.Contains(p, "\\"):
		return "contains a backslash"
	}
	if why := UnsafeArg(p, ""); why != "" {
		return why
	}
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "..":
			return "leaves its directory (\"..\")"
		case ".", "":
			return "is not normalised"
		}
	}
	if path.Clean(p) != p {
		return "is not normalised"
	}
	return ""
}

// UnsafeArg says why s cannot be passed as one container argument (""
// when it can): control characters, whitespace, quotes, backslashes, "$"
// or one of the extra characters.
func UnsafeArg(s, extra string) string {
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			return "contains a control character"
		case r == ' ' || r == '\u00a0':
			return "contains whitespace"
		case strings.ContainsRune("\"'`\\$", r):
			return "contains a quote, backslash or \"$\""
		case extra != "" && strings.ContainsRune(extra, r):
			return "contains " + string(r)
		}
	}
	return ""
}
