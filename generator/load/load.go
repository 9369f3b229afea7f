package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// Options say where the platform and the schemas are.
type Options struct {
	// Root is the repository root; positions are reported relative to it.
	Root string
	// PlatformDir is the user's CUE package, relative to Root (default "cue").
	PlatformDir string
	// SchemaDir is the schema module, relative to Root (default "schemas").
	SchemaDir string
	// Files, when set, lists the platform's .cue files (relative to
	// PlatformDir) in the order to load them. The result does not depend on
	// the order; tests use it to prove that.
	Files []string
}

func (o Options) withDefaults() Options {
	if o.PlatformDir == "" {
		o.PlatformDir = "cue"
	}
	if o.SchemaDir == "" {
		o.SchemaDir = "schemas"
	}
	if o.Root == "" {
		o.Root = "."
	}
	if abs, err := filepath.Abs(o.Root); err == nil {
		o.Root = abs
	}
	return o
}

// Result is a validated, decoded platform.
type Result struct {
	Platform  *model.Platform
	Positions Index
	Root      string
}

// Index maps CUE paths (model.Path spelling) to the position of the value
// in the user's files.
type Index map[string]diag.Pos

// Lookup returns the position of path, or of its nearest ancestor that has
// one (a value filled in by a schema default has no user position).
func (ix Index) Lookup(path string) diag.Pos {
	for p := path; ; p = model.Parent(p) {
		if pos, ok := ix[p]; ok && pos.IsValid() {
			return pos
		}
		if p == "" {
			return diag.Pos{}
		}
	}
}

// Load evaluates, validates and decodes the platform. A returned error is a
// diag.List (invalid input) or a plain error (the files could not be read).
func Load(opts Options) (*Result, error) {
	return bounded(opts, load1)
}

func load1(opts Options) (*Result, error) {
	opts = opts.withDefaults()
	ctx := cuecontext.New()

	schemaDir := filepath.Join(opts.Root, opts.SchemaDir)
	schema, err := build(ctx, schemaDir, nil, opts.Root)
	if err != nil {
		return nil, err
	}
	platformDir := filepath.Join(opts.Root, opts.PlatformDir)
	user, err := build(ctx, platformDir, opts.Files, opts.Root)
	if err != nil {
		return nil, err
	}
	def := schema.LookupPath(cue.ParsePath("#Platform"))
	if !def.Exists() {
		return nil, fmt.Errorf("%s: no #Platform definition", opts.SchemaDir)
	}
	ix := Index{}
	index(ix, user, "", opts.Root)
	v := def.Unify(user)
	if err := v.Validate(cue.Concrete(true), cue.Final(), cue.All()); err != nil {
		return nil, withIndex(fromCUE(err, opts.Root, platformDir), ix)
	}
	if l := checkNumbers(v, "", opts.Root); len(l) > 0 {
		return nil, withIndex(l, ix)
	}
	data, err := v.MarshalJSON()
	if err != nil {
		return nil, withIndex(fromCUE(err, opts.Root, platformDir), ix)
	}
	var p model.Platform
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		if l, ok := decodeError(err, ix); ok {
			return nil, withIndex(l, ix)
		}
		// The schema and the Go model disagree: a bug in aimesh, not in the input.
		return nil, fmt.Errorf("internal: schema and Go model disagree: %w", err)
	}
	return &Result{Platform: &p, Positions: ix, Root: opts.Root}, nil
}

func build(ctx *cue.Context, dir string, files []string, root string) (cue.Value, error) {
	if _, err := os.Stat(dir); err != nil {
		return cue.Value{}, fmt.Errorf("CUE directory %s not found: run aimesh in the repository root or pass --root DIR", dir)
	}
	args := []string{"."}
	if len(files) > 0 {
		args = files
	}
	// Read only vetted bytes (hermetic.go): no TOCTOU, no network, no env.
	vf, err := vet(dir, root)
	if err != nil {
		return cue.Value{}, err
	}
	insts := load.Instances(args, vf.config(dir))
	if len(insts) != 1 {
		return cue.Value{}, fmt.Errorf("%s: expected one CUE package, found %d", dir, len(insts))
	}
	if err := insts[0].Err; err != nil {
		l := fromCUE(err, root, dir)
		rel, _ := filepath.Rel(root, dir)
		for i := range l {
			if !l[i].Pos.IsValid() {
				// Package-level errors (mixed package clauses, no files)
				// have no position: point at the directory.
				l[i].Pos = diag.Pos{File: filepath.ToSlash(rel) + "/"}
				l[i].Hint = "every .cue file in " + filepath.ToSlash(rel) + "/ must declare the same package (package platform in the example)"
			}
		}
		return cue.Value{}, l
	}
	v := ctx.BuildInstance(insts[0])
	// Err returns only the first error; Validate(All) reports every one.
	if err := v.Validate(cue.All()); err != nil {
		// Errors without a position (a structural cycle) get the position
		// of their path in the user's files.
		l := fromCUE(err, root, dir)
		for i := range l {
			if !l[i].Pos.IsValid() {
				l[i].Pos = vf.positionOf(l[i].Path, root)
			}
		}
		return cue.Value{}, l.Sorted()
	}
	return v, nil
}

// withIndex gives diagnostics that CUE reported without a position (an
// empty disjunction, cue#2507) the position of their path in the user's
// files.
func withIndex(l diag.List, ix Index) diag.List {
	for i := range l {
		if !l[i].Pos.IsValid() {
			l[i].Pos = ix.Lookup(l[i].Path)
		}
		// Point into the user's files, never only at schemas/ (a list
		// length mismatch reports the schema's list).
		if user := ix.Lookup(l[i].Path); user.IsValid() && l[i].Pos.IsValid() && user != l[i].Pos && !inUserFiles(l[i], ix) {
			l[i].Also = append([]diag.Pos{l[i].Pos}, l[i].Also...)
			l[i].Pos = user
		}
	}
	return l.Sorted()
}

// inUserFiles reports whether d's position is in the directory of the
// user's files (the directory of the indexed positions).
func inUserFiles(d diag.Diagnostic, ix Index) bool {
	user := ix.Lookup(d.Path)
	return filepath.Dir(d.Pos.File) == filepath.Dir(user.File)
}

// index records the position of every field of v under its model.Path.
func index(ix Index, v cue.Value, path string, root string) {
	if pos := diag.FromToken(root, v.Pos()); pos.IsValid() {
		ix[path] = pos
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			return
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
			index(ix, it.Value(), child, root)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return
		}
		for i := 0; it.Next(); i++ {
			index(ix, it.Value(), path+fmt.Sprintf("[%d]", i), root)
		}
	}
}

// fromCUE converts CUE errors to diagnostics, every error at once. The
// primary position is the first one inside the user's platform directory;
// the others (typically the schema constraint) follow as "see".
func fromCUE(err error, root, userDir string) diag.List {
	userRel, _ := filepath.Rel(root, userDir)
	userRel = filepath.ToSlash(userRel) + "/"
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		var poss []diag.Pos
		seen := map[diag.Pos]bool{}
		for _, tp := range append([]token.Pos{e.Position()}, cueerrors.Positions(e)...) {
			p := diag.FromToken(root, tp)
			if p.IsValid() && !seen[p] {
				seen[p] = true
				poss = append(poss, p)
			}
		}
		sort.SliceStable(poss, func(i, j int) bool {
			ui, uj := strings.HasPrefix(poss[i].File, userRel), strings.HasPrefix(poss[j].File, userRel)
			if ui != uj {
				return ui
			}
			return false
		})
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		path := strings.TrimPrefix(cuePath(e.Path()), "#Platform.")
		if secretPathRE.MatchString(path) {
			// Never echo a secret value into logs.
			msg = quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
				if strings.HasPrefix(q, `"^`) {
					return q
				}
				return `"***"`
			})
		}
		d := diag.Diagnostic{Severity: diag.Error, Path: path, Message: msg, Hint: hintFor(path, msg, len(poss) > 1)}
		if len(poss) > 0 {
			d.Pos = poss[0]
			d.Also = poss[1:]
		}
		out = append(out, d)
	}
	// "N errors in empty disjunction:" only announces the errors of the
	// disjuncts that follow it: drop it when they are reported.
	paths := map[string]int{}
	for _, d := range out {
		paths[d.Path]++
	}
	var kept diag.List
	for _, d := range out {
		if strings.Contains(d.Message, "errors in empty disjunction") && paths[d.Path] > 1 {
			continue
		}
		kept = append(kept, d)
	}
	return kept.Sorted()
}

var (
	secretPathRE = regexp.MustCompile(`(?i)secret`)
	quotedRE     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

func cuePath(sels []string) string {
	var b strings.Builder
	for _, s := range sels {
		if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "#") && b.Len() == 0 {
			b.WriteString(s)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func hintFor(path, msg string, hasSchemaPos bool) string {
	if secretPathRE.MatchString(path) {
		return "reference a Kubernetes Secret kept outside Git, e.g. secretRef: {name: \"oidc\", key: \"OIDC_CLIENT_SECRET\"}; never write secret values in CUE"
	}
	if !hasSchemaPos {
		switch {
		case strings.Contains(msg, "not terminated"), strings.Contains(msg, "expected"), strings.Contains(msg, "illegal"), strings.Contains(msg, "missing"):
			return "fix the CUE syntax at this position"
		}
	}
	switch {
	case strings.Contains(msg, "field not allowed") && hasSchemaPos:
		return "remove the field or fix its spelling; the schema position above lists the allowed fields"
	case strings.Contains(msg, "field not allowed"):
		return "remove the field or fix its spelling (see schemas/ for the allowed fields)"
	case strings.Contains(msg, "incompatible list lengths"):
		return "the list has a different number of elements than the schema allows (at least one for inputs and outputs): add or remove elements"
	case strings.Contains(msg, "structural cycle"):
		return "the value refers to itself: break the cycle by referring to a different field"
	case strings.Contains(msg, "incomplete value"), strings.Contains(msg, "non-concrete"):
		return "give the field a concrete value"
	case strings.Contains(msg, "does not match"), strings.Contains(msg, "invalid value"), strings.Contains(msg, "out of bound"):
		return "change the value so it satisfies the schema constraint shown above"
	case strings.Contains(msg, "conflicting values") && hasSchemaPos:
		return "the values at the positions above disagree: keep one, or use a value of the type the schema expects"
	case hasSchemaPos:
		return "fix the value at this position; see the schema position above"
	default:
		return "fix the value at this position"
	}
}
