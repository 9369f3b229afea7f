package diag

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"cuelang.org/go/cue/token"
)

// Severity of a diagnostic. Warnings are printed but do not fail generation.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Pos is a position in a CUE file, with File relative to the repository root.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) IsValid() bool { return p.File != "" }

func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// FromToken converts a CUE position, making the file relative to root.
func FromToken(root string, tp token.Pos) Pos {
	if !tp.IsValid() || tp.Filename() == "" {
		return Pos{}
	}
	f := tp.Filename()
	if root != "" && filepath.IsAbs(f) {
		if rel, err := filepath.Rel(root, f); err == nil {
			f = rel
		}
	}
	return Pos{File: filepath.ToSlash(f), Line: tp.Line(), Col: tp.Column()}
}

// Diagnostic is one finding.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	// Path is the CUE path of the offending value, e.g. services."ai-backend".port.
	Path    string
	Message string
	Hint    string
	// Env is the environment the finding applies to; empty when it applies to all.
	Env string
	// AlsoSet lists the other places in the user's files that write the
	// same field (a list or value set in two files): "also set at".
	AlsoSet []Pos
	// Also lists further positions (e.g. the schema constraint that failed).
	Also []Pos
	// Rule is the ID of the check that produced the finding (see
	// docs/checks.md), empty for CUE and validation errors.
	Rule string
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	if d.Env != "" {
		b.WriteString("[env " + d.Env + "] ")
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	b.WriteString(d.Message)
	if d.Rule != "" {
		b.WriteString(" [" + d.Rule + "]")
	}
	for _, a := range d.AlsoSet {
		b.WriteString("\n    also set at " + a.String())
	}
	for _, a := range d.Also {
		b.WriteString("\n    see " + a.String())
	}
	if d.Hint != "" {
		b.WriteString("\n    hint: " + d.Hint)
	}
	return b.String()
}

// List is a set of diagnostics; it is an error when it holds any Error.
type List []Diagnostic

func (l List) Error() string {
	var b strings.Builder
	for i, d := range l.Sorted() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// HasErrors reports whether l holds a diagnostic of severity Error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors of l.
func (l List) Errors() List { return l.filter(Error) }

// Warnings returns only the warnings of l.
func (l List) Warnings() List { return l.filter(Warning) }

func (l List) filter(s Severity) List {
	var out List
	for _, d := range l {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Sorted returns l sorted by file, line, column, path and message, with
// exact duplicates removed (a finding shared by all environments is
// reported once).
func (l List) Sorted() List {
	out := append(List(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Env != b.Env {
			return a.Env < b.Env
		}
		return a.Message < b.Message
	})
	var dedup List
	for i, d := range out {
		if i > 0 && d.String() == out[i-1].String() {
			continue
		}
		dedup = append(dedup, d)
	}
	return dedup
}

// MergeEnvs folds findings that differ only in their environment: one
// that holds in every environment of envs loses its Env tag, so it is
// reported once.
func MergeEnvs(l List, envs []string) List {
	type key struct {
		pos           Pos
		path, message string
		sev           Severity
	}
	count := map[key]int{}
	for _, d := range l {
		if d.Env != "" {
			count[key{d.Pos, d.Path, d.Message, d.Severity}]++
		}
	}
	var out List
	for _, d := range l {
		if d.Env != "" && count[key{d.Pos, d.Path, d.Message, d.Severity}] == len(envs) {
			d.Env = ""
		}
		out = append(out, d)
	}
	return out.Sorted()
}
