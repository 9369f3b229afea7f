package load

import (
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// userDefinition returns the name and position of the first definition
// (#Foo: …) that the platform's own files declare, if any. A definition
// unified with a service or any other schema struct closes it to the
// definition's own fields, so CUE then refuses fields that are spelled
// right ("field not allowed"), sometimes citing only the schema.
func (w *writtenIndex) userDefinition(root string) (string, diag.Pos, bool) {
	w.once.Do(w.parse)
	for _, f := range w.files {
		if name, pos, ok := definitionIn(f.Decls); ok {
			return name, diag.FromToken(root, pos), true
		}
	}
	return "", diag.Pos{}, false
}

func definitionIn(decls []ast.Decl) (string, token.Pos, bool) {
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if id, ok := f.Label.(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
			return id.Name, id.Pos(), true
		}
		if st, ok := f.Value.(*ast.StructLit); ok {
			if name, pos, ok := definitionIn(st.Elts); ok {
				return name, pos, true
			}
		}
	}
	return "", token.Pos{}, false
}

// explainDefinition adds to the "field not allowed" errors of a platform
// that declares a definition of its own what such a definition does, and
// points at the definition when CUE cited no position in the user's files.
func (s *setup) explainDefinition(l diag.List) diag.List {
	name, pos, ok := s.written.userDefinition(s.root)
	if !ok || !pos.IsValid() {
		return l
	}
	for i := range l {
		d := &l[i]
		if !strings.Contains(d.Message, "field not allowed") || strings.HasPrefix(d.Message, "the key ") {
			continue
		}
		if !d.Pos.IsValid() || !s.isUser(d.Pos) || d.Pos.Line == 1 && d.Pos.Col == 1 {
			if d.Pos.IsValid() {
				d.Also = append([]diag.Pos{d.Pos}, d.Also...)
			}
			d.Pos = pos
		} else {
			d.Also = append(d.Also, pos)
		}
		d.Hint = "if the definition " + name + " (declared at " + pos.String() + ") is unified with this struct, it closes the struct to " + name + "'s own fields: share values with a hidden field (_" + strings.TrimPrefix(name, "#") + ") instead of a definition; otherwise " + d.Hint
	}
	return l
}

// pathAt returns the CUE path of the field whose value the platform's
// files write at pos (for an error CUE reports without a path, such as an
// explicit _|_), or "".
func (w *writtenIndex) pathAt(root string, pos diag.Pos) string {
	w.once.Do(w.parse)
	for _, f := range w.files {
		if p, ok := fieldAt(f.Decls, nil, root, pos); ok {
			return p
		}
	}
	return ""
}

func fieldAt(decls []ast.Decl, labels []any, root string, pos diag.Pos) (string, bool) {
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, err := ast.LabelName(f.Label)
		if err != nil {
			continue
		}
		here := append(slices.Clone(labels), name)
		if diag.FromToken(root, f.Value.Pos()) == pos {
			return model.Path(here...), true
		}
		if st, ok := f.Value.(*ast.StructLit); ok {
			if p, ok := fieldAt(st.Elts, here, root, pos); ok {
				return p, true
			}
		}
	}
	return "", false
}
