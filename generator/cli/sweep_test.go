package cli

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"github.com/google/go-cmp/cmp"
)

// The kinds of literal value a field of the reference platform can hold.
type valueKind string

const (
	kString valueKind = "string"
	kInt    valueKind = "int" // ints and floats
	kBool   valueKind = "bool"
	kList   valueKind = "list"
	kStruct valueKind = "struct"
)

// A mutation replaces the text of a literal value (or, with del, removes
// the whole field). text computes the replacement from the original text
// of the value and, for lists, the text of its first element.
type mutation struct {
	name string
	kind valueKind // "" for a mutation of any field
	text string    // the replacement; see the special values below
	del  bool
}

// Special replacement texts computed from the value.
const dupFirst = "<dup-first>" // the list with its first element duplicated

// mutations is the table of the sweep: named replacements by kind of value.
var mutations = []mutation{
	{name: "str-empty", kind: kString, text: `""`},
	{name: "str-space", kind: kString, text: `" "`},
	{name: "str-upper", kind: kString, text: `"UPPER_Case"`},
	{name: "str-long", kind: kString, text: `"` + strings.Repeat("a", 300) + `"`},
	{name: "str-nonascii", kind: kString, text: `"ü"`},
	{name: "str-newline", kind: kString, text: `"a\nb"`},
	{name: "str-traversal", kind: kString, text: `"../../etc/passwd"`},
	{name: "str-dollar", kind: kString, text: `"${X}"`},
	{name: "str-star", kind: kString, text: `"*"`},
	{name: "str-int", kind: kString, text: `123`},
	{name: "str-null", kind: kString, text: `null`},
	{name: "int-zero", kind: kInt, text: `0`},
	{name: "int-minus1", kind: kInt, text: `-1`},
	{name: "int-int32max+1", kind: kInt, text: `2147483648`},
	{name: "int-int64max+1", kind: kInt, text: `9223372036854775808`},
	{name: "int-float", kind: kInt, text: `1.5`},
	{name: "int-string", kind: kInt, text: `"1"`},
	{name: "int-null", kind: kInt, text: `null`},
	{name: "bool-string", kind: kBool, text: `"true"`},
	{name: "bool-int", kind: kBool, text: `1`},
	{name: "bool-null", kind: kBool, text: `null`},
	{name: "list-empty", kind: kList, text: `[]`},
	{name: "list-dup-first", kind: kList, text: dupFirst},
	{name: "list-null-elem", kind: kList, text: `[null]`},
	{name: "list-null", kind: kList, text: `null`},
	{name: "struct-empty", kind: kStruct, text: `{}`},
	{name: "struct-null", kind: kStruct, text: `null`},
	{name: "delete", del: true},
}

// positionExceptions lists the mutations (by "file:path/mutation", or
// "*/mutation" for every field) whose refusal need not name a
// cue/FILE:LINE:COL position, with the reason. Empty: every refusal of a
// mutated value names a position.
var positionExceptions = map[string]string{}

// lineExceptions lists the value mutations (by "file:path/mutation")
// refused at a position other than the line of the value, with the reason.
var lineExceptions = map[string]string{}

var ruleFinding = regexp.MustCompile(`\[AM[0-9]{4}\]`)

// position is the "cue/FILE:LINE:" prefix of the positions of the value
// of l in src, the file with a value (not a delete) mutation applied.
func (l literal) position(src []byte) string {
	return fmt.Sprintf("%s:%d:", l.file, 1+bytes.Count(src[:l.start], []byte("\n")))
}

// A literal found in the reference platform: where its value is, in which
// file, under which path.
type literal struct {
	file       string // cue/NAME.cue
	path       string // services.ai-backend.port, models.x.inputs[0].name
	kind       valueKind
	start, end int // byte offsets of the value
	// fieldStart, fieldEnd: the bytes removed by the delete mutation (the
	// field and a trailing comma); fieldEnd == 0 if the field cannot be
	// deleted on its own (a shorthand a: b: c, a list element).
	fieldStart, fieldEnd int
	// firstElem: the text of the first element of a list literal.
	firstElem string
}

func (l literal) id() string { return l.file + ":" + l.path }

// A run of the sweep: one mutation of one literal.
type sweepRun struct {
	lit literal
	mut mutation
}

func (r sweepRun) name() string { return r.lit.id() + "/" + r.mut.name }

// userFiles reads the reference platform's .cue files that hold fields (not
// the ones that only embed the schema).
func userFiles(t *testing.T, root string) map[string][]byte {
	paths, err := filepath.Glob(filepath.Join(root, "cue", "*.cue"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cue/*.cue: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(p, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if _, ok := d.(*ast.Field); ok {
				out["cue/"+filepath.Base(p)] = src
				break
			}
		}
	}
	return out
}

// literals walks a file's syntax tree and returns every field whose value
// is a literal, and every scalar element of a list literal.
func literals(t *testing.T, name string, src []byte) []literal {
	f, err := parser.ParseFile(name, src)
	if err != nil {
		t.Fatal(err)
	}
	var out []literal
	var stack []ast.Node
	// pathOf names the node n (a Field or a list element) from the stack
	// of its ancestors.
	pathOf := func(n ast.Node) string {
		chain := append(append([]ast.Node{}, stack...), n)
		var b strings.Builder
		for i, a := range chain {
			switch a := a.(type) {
			case *ast.Field:
				label, _, err := ast.LabelName(a.Label)
				if err != nil {
					label = fmt.Sprintf("%T", a.Label)
				}
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(label)
			case *ast.ListLit:
				if i+1 < len(chain) {
					for j, e := range a.Elts {
						if e == chain[i+1] {
							fmt.Fprintf(&b, "[%d]", j)
						}
					}
				}
			}
		}
		return b.String()
	}
	add := func(n ast.Node, value ast.Expr, field *ast.Field) {
		l := literal{file: name, path: pathOf(n)}
		switch v := value.(type) {
		case *ast.BasicLit:
			switch v.Kind {
			case token.STRING:
				if strings.HasPrefix(v.Value, `"""`) || strings.HasPrefix(v.Value, "#") {
					return
				}
				l.kind = kString
			case token.INT, token.FLOAT:
				l.kind = kInt
			case token.TRUE, token.FALSE:
				l.kind = kBool
			default:
				return
			}
		case *ast.ListLit:
			l.kind = kList
			if len(v.Elts) > 0 {
				e := v.Elts[0]
				l.firstElem = string(src[e.Pos().Offset():e.End().Offset()])
			}
		case *ast.StructLit:
			l.kind = kStruct
		default:
			return // a reference, an expression
		}
		l.start, l.end = value.Pos().Offset(), value.End().Offset()
		if field != nil && deletable(stack) {
			l.fieldStart, l.fieldEnd = field.Pos().Offset(), field.End().Offset()
			rest := src[l.fieldEnd:]
			if i := bytes.IndexFunc(rest, func(r rune) bool { return r != ' ' && r != '\t' }); i >= 0 && rest[i] == ',' {
				l.fieldEnd += i + 1
			}
		}
		out = append(out, l)
	}
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			add(n, n.Value, n)
		case *ast.BasicLit:
			if len(stack) > 0 {
				if _, inList := stack[len(stack)-1].(*ast.ListLit); inList {
					add(n, n, nil)
				}
			}
		}
		stack = append(stack, n)
		return true
	}, func(ast.Node) { stack = stack[:len(stack)-1] })
	return out
}

// deletable reports whether a field whose ancestors are stack can be
// removed on its own: it sits in a file or in a struct with braces.
func deletable(stack []ast.Node) bool {
	if len(stack) == 0 {
		return false
	}
	switch p := stack[len(stack)-1].(type) {
	case *ast.File:
		return true
	case *ast.StructLit:
		return p.Lbrace.IsValid()
	}
	return false
}

// apply returns src with the mutation applied, and whether the mutation
// applies to the literal at all.
func (r sweepRun) apply(src []byte) ([]byte, bool) {
	l, m := r.lit, r.mut
	start, end, text := l.start, l.end, m.text
	switch {
	case m.del:
		if l.fieldEnd == 0 {
			return nil, false
		}
		start, end, text = l.fieldStart, l.fieldEnd, ""
	case m.kind != l.kind:
		return nil, false
	case text == dupFirst:
		if l.firstElem == "" {
			return nil, false
		}
		text = "[" + l.firstElem + ", " + string(src[start+1:end])
	}
	out := append(append(append([]byte{}, src[:start]...), text...), src[end:]...)
	return out, true
}

// sweepRuns lists the runs: every applicable (literal, mutation) with
// AIMESH_SWEEP=full, else a deterministic sample of one or two mutations
// a literal, rotating through the mutations of each kind so that every
// mutation of the table appears.
func sweepRuns(t *testing.T, files map[string][]byte, full bool) (runs []sweepRun, nlit int) {
	var lits []literal
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lits = append(lits, literals(t, n, files[n])...)
	}
	rotation := map[valueKind]int{}
	for _, l := range lits {
		var applicable []sweepRun
		for _, m := range mutations {
			r := sweepRun{l, m}
			if _, ok := r.apply(files[l.file]); ok {
				applicable = append(applicable, r)
			}
		}
		if full {
			runs = append(runs, applicable...)
			continue
		}
		// One mutation from a point that advances with each literal of the
		// kind, so that the sample goes round the kind's mutations; a field
		// (not a list element) in three, chosen by a stable hash of its
		// path, gets the next mutation too. About 350 runs, 50 s on 2 cores.
		n := len(applicable)
		k := rotation[l.kind]
		rotation[l.kind]++
		runs = append(runs, applicable[k%n])
		h := fnv.New32a()
		h.Write([]byte(l.id()))
		if n > 1 && !strings.HasSuffix(l.path, "]") && h.Sum32()%3 == 0 {
			runs = append(runs, applicable[(k+1)%n])
			rotation[l.kind]++
		}
	}
	return runs, len(lits)
}

// TestFieldMutations is a systematic sweep of the reference platform: each
// field holding a literal gets mutated (wrong values, wrong types, null,
// deleted) and generate --all must either accept it or refuse it by the
// contract for bad input: exit 1, a cue/FILE:LINE:COL position, no crash
// or internal error, no file changed. Accepted mutations are logged (-v).
// AIMESH_SWEEP=full runs every mutation of every field (make sweep).
func TestFieldMutations(t *testing.T) {
	root := repoRoot(t)
	files := userFiles(t, root)
	full := os.Getenv("AIMESH_SWEEP") == "full"
	if testing.Short() && !full {
		t.Skip("-short")
	}
	runs, nlit := sweepRuns(t, files, full)
	if nlit < 50 {
		t.Fatalf("found %d literals in the reference platform, want over 50 (is the walk broken?)", nlit)
	}
	// Every mutation of the table is exercised, in the sample too.
	seen := map[string]bool{}
	for _, r := range runs {
		seen[r.mut.name] = true
	}
	for _, m := range mutations {
		if !seen[m.name] {
			t.Errorf("mutation %s is never run", m.name)
		}
	}
	t.Logf("%d literals, %d mutations, %d runs (full=%v)", nlit, len(mutations), len(runs), full)

	var accepted []string
	for _, r := range runs {
		t.Run(r.name(), func(t *testing.T) {
			src, _ := r.apply(files[r.lit.file])
			if _, err := parser.ParseFile(r.lit.file, src); err != nil {
				t.Fatalf("the mutation does not parse (a bug of the sweep): %v", err)
			}
			work := t.TempDir()
			for _, d := range []string{"cue", "schemas", "overlays"} {
				if err := copyTree(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(work, r.lit.file), src, 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshotDir(t, work)
			var stdout, stderr bytes.Buffer
			code, panicked := runRecovered(work, &stdout, &stderr)
			out := stderr.String()
			if panicked != "" {
				t.Fatalf("panic: %s\nstderr: %s", panicked, out)
			}
			if m := crashRE.FindString(out + stdout.String()); m != "" {
				t.Errorf("crash or internal error (%q) in:\n%s", m, out)
			}
			switch code {
			case 0:
				accepted = append(accepted, r.name())
				t.Logf("accepted")
			case 1:
				exempt := positionExceptions[r.name()] != "" || positionExceptions["*/"+r.mut.name] != ""
				if !positionRE.MatchString(out) && !exempt {
					t.Errorf("no cue/FILE:LINE:COL position in:\n%s", out)
				}
				// A changed value is refused at that value: one of the
				// positions names its line. A finding of a check rule
				// ([AMnnnn]) is placed where the rule says, which may be
				// the other end of a relation (a model's size is refused at
				// the runtime's memory); golden/checks pins those.
				if !r.mut.del && !ruleFinding.MatchString(out) && !exempt && lineExceptions[r.name()] == "" {
					if at := r.lit.position(src); !strings.Contains(out, at) {
						t.Errorf("no position at the mutated value (%s) in:\n%s", at, out)
					}
				}
				if d := cmp.Diff(before, snapshotDir(t, work)); d != "" {
					t.Errorf("files changed:\n%s", d)
				}
			default:
				t.Errorf("exit %d, want 0 or 1\nstdout: %s\nstderr: %s", code, stdout.String(), out)
			}
		})
	}
	t.Logf("%d of %d mutations accepted:\n\t%s", len(accepted), len(runs), strings.Join(accepted, "\n\t"))
}

// runRecovered runs generate --all in dir and turns a panic into a message.
// A panic on another goroutine (the loader runs on one of its own) cannot
// be recovered: it ends the test binary, and go test -v names the run in
// its last "=== RUN" line.
func runRecovered(dir string, stdout, stderr *bytes.Buffer) (code int, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	return MainIn(dir, []string{"generate", "--all"}, stdout, stderr), ""
}
