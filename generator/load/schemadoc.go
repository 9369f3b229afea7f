package load

import (
	"path"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/aimesh/aimesh/generator/diag"
)

// schemaDocs turns a position in the served schema into the doc comment of
// the innermost field or definition written there: CUE's "invalid value …
// (out of bound =~"^…$")" shows the constraint, the comment says what it
// means ("#Host is a bare host name as Istio matches it: …").
type schemaDocs struct {
	files map[string][]byte // served schema files by base name
	once  sync.Once
	spans map[string][]docSpan
}

type docSpan struct {
	from, to int // lines of the field, doc comment excluded
	doc      string
}

// at returns the doc comment of the innermost documented field of file
// (a base name) whose lines hold line, or "".
func (d *schemaDocs) at(file string, line int) string {
	d.once.Do(d.parse)
	best, bestLen := "", -1
	for _, sp := range d.spans[file] {
		if line < sp.from || line > sp.to {
			continue
		}
		if n := sp.to - sp.from; bestLen < 0 || n < bestLen {
			best, bestLen = sp.doc, n
		}
	}
	return best
}

func (d *schemaDocs) parse() {
	d.spans = map[string][]docSpan{}
	for name, src := range d.files {
		f, err := parser.ParseFile(name, src, parser.ParseComments)
		if err != nil {
			continue
		}
		ast.Walk(f, func(n ast.Node) bool {
			fd, ok := n.(*ast.Field)
			if !ok {
				return true
			}
			if doc := docOf(fd); doc != "" {
				d.spans[name] = append(d.spans[name], docSpan{from: fd.Pos().Line(), to: fd.End().Line(), doc: doc})
			}
			return true
		}, nil)
	}
}

// docOf is a field's doc comment as one line.
func docOf(fd *ast.Field) string {
	for _, cg := range ast.Comments(fd) {
		if !cg.Doc {
			continue
		}
		var words []string
		for _, c := range cg.List {
			words = append(words, strings.Fields(strings.TrimPrefix(c.Text, "//"))...)
		}
		return strings.Join(words, " ")
	}
	return ""
}

// hint explains the first of poss that lies in the schema shown as
// shownDir and is documented there.
func (d *schemaDocs) hint(shownDir string, poss []diag.Pos) string {
	for _, p := range poss {
		dir, file := path.Split(p.File)
		if strings.TrimSuffix(dir, "/") != shownDir {
			continue
		}
		if doc := d.at(file, p.Line); doc != "" {
			return doc
		}
	}
	return ""
}
