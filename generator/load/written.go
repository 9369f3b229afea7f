package load

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/aimesh/aimesh/generator/diag"
)

// writtenIndex finds where the platform's own files write a field's
// value literally. CUE cites only some of the places that set a value (a
// list length conflict names one of the two lists, a value beyond the Go
// model none): a message names them all ("also set at").
type writtenIndex struct {
	sources map[string][]byte // the platform package's files by absolute path
	once    sync.Once
	files   []*ast.File // parsed sources in file name order
}

func (w *writtenIndex) add(abs string, src []byte) {
	if w.sources == nil {
		w.sources = map[string][]byte{}
	}
	w.sources[abs] = src
}

func (w *writtenIndex) parse() {
	names := make([]string, 0, len(w.sources))
	for n := range w.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if f, err := parser.ParseFile(n, w.sources[n]); err == nil {
			w.files = append(w.files, f)
		}
	}
}

// at returns the positions of the values written at path (CUE path
// spelling, with list indexes as .0 or [0]: services."ai-backend".calls,
// sso.claims.0.claim) in the platform's files, in file and source order.
// Only a value written literally under nested field labels (a: b: c: 1,
// a: {b: c: 1}) or list elements is found; struct values are left out (a
// struct is the sum of its fields, not a value set in one place).
func (w *writtenIndex) at(path, root string) []written {
	sels, ok := selectors(path)
	if !ok || len(sels) == 0 {
		return nil
	}
	w.once.Do(w.parse)
	var found []writtenAt
	for _, f := range w.files {
		writtenIn(f.Decls, sels, &found)
	}
	var out []written
	for _, f := range found {
		if f.block {
			continue // a block of fields is not a value
		}
		if p := diag.FromToken(root, f.value); p.IsValid() {
			out = append(out, written{value: p, label: diag.FromToken(root, f.label)})
		}
	}
	return out
}

// writesWithin reports whether the platform's files write path or a
// struct it belongs in (any of its ancestors but the root).
func (w *writtenIndex) writesWithin(path string) bool {
	sels, ok := selectors(path)
	if !ok {
		return true // unknown: leave the position alone
	}
	w.once.Do(w.parse)
	for n := len(sels); n > 0; n-- {
		var found []writtenAt
		for _, f := range w.files {
			writtenIn(f.Decls, sels[:n], &found)
		}
		if len(found) > 0 {
			return true
		}
	}
	return false
}

// written is a value written at a path: its position, and that of its
// field's label (CUE cites the label for a field not allowed).
type written struct{ value, label diag.Pos }

// is reports whether p is the position of w's value or label.
func (w written) is(p diag.Pos) bool { return p == w.value || p == w.label }

// writtenAt is a field written at a path: block says its value is a
// struct literal (fields, not a value).
type writtenAt struct {
	label, value token.Pos
	block        bool
}

// selector is a field label, or a list index when index >= 0.
type selector struct {
	label string
	index int
}

// selectors splits a CUE path into labels (unquoted) and list indexes. A
// selector that is all digits is a list index (CUE quotes a field named
// "0"); ok is false for a path this cannot follow (a definition, a
// pattern).
func selectors(path string) ([]selector, bool) {
	var out []selector
	for i := 0; i < len(path); {
		switch c := path[i]; {
		case c == '.':
			i++
		case c == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(path[i+1 : i+end])
			if err != nil {
				return nil, false
			}
			out = append(out, selector{index: n})
			i += end + 1
		case c == '"':
			j := i + 1
			for j < len(path) && path[j] != '"' {
				if path[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(path) {
				return nil, false
			}
			label, err := strconv.Unquote(path[i : j+1])
			if err != nil {
				return nil, false
			}
			out = append(out, selector{label: label, index: -1})
			i = j + 1
		default:
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			label := path[i:j]
			if strings.HasPrefix(label, "#") || strings.HasPrefix(label, "_") {
				return nil, false
			}
			if n, err := strconv.Atoi(label); err == nil && n >= 0 {
				out = append(out, selector{index: n})
			} else {
				out = append(out, selector{label: label, index: -1})
			}
			i = j
		}
	}
	return out, true
}

// writtenIn appends to found the values that decls write at sels.
func writtenIn(decls []ast.Decl, sels []selector, found *[]writtenAt) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Field:
			if sels[0].index >= 0 {
				continue
			}
			name, _, err := ast.LabelName(d.Label)
			if err != nil || name != sels[0].label {
				continue
			}
			writtenValue(d.Label.Pos(), d.Value, sels[1:], found)
		case *ast.EmbedDecl:
			if st, ok := d.Expr.(*ast.StructLit); ok {
				writtenIn(st.Elts, sels, found)
			}
		}
	}
}

// writtenValue appends to found the values x (of the field labelled at
// label) writes at sels: x itself when sels is empty.
func writtenValue(label token.Pos, x ast.Expr, sels []selector, found *[]writtenAt) {
	if len(sels) == 0 {
		_, isStruct := x.(*ast.StructLit)
		*found = append(*found, writtenAt{label: label, value: x.Pos(), block: isStruct})
		return
	}
	switch x := x.(type) {
	case *ast.ParenExpr:
		writtenValue(label, x.X, sels, found)
	case *ast.BinaryExpr:
		if x.Op == token.AND {
			writtenValue(label, x.X, sels, found)
			writtenValue(label, x.Y, sels, found)
		}
	case *ast.StructLit:
		writtenIn(x.Elts, sels, found)
	case *ast.ListLit:
		if i := sels[0].index; i >= 0 && i < len(x.Elts) {
			if _, open := x.Elts[i].(*ast.Ellipsis); !open {
				writtenValue(x.Elts[i].Pos(), x.Elts[i], sels[1:], found)
			}
		}
	}
}
