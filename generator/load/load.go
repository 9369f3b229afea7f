package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/schemas"
)

// Options say where the platform and the schemas are.
type Options struct {
	// Root is the repository root; positions are reported relative to it.
	Root string
	// PlatformDir is the user's CUE package, relative to Root (default "cue").
	PlatformDir string
	// SchemaDir, when set, is a schema package directory (relative to Root)
	// used instead of the schema built into aimesh: for schema development.
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
	// Warnings are findings about the module set-up (a vendored schema copy
	// that differs from the one built into aimesh).
	Warnings diag.List
}

// Index maps CUE paths (model.Path spelling) to the position of the value
// in the user's files. Positions are only needed to report a finding, and
// indexing walks a second build of the whole package, so a loaded
// platform's index is built on the first Lookup. The zero Index is empty.
// It is safe for concurrent use.
type Index struct{ p *positions }

type positions struct {
	once  sync.Once
	build func() map[string]diag.Pos
	m     map[string]diag.Pos
}

// lazyIndex returns an Index built by build on first use.
func lazyIndex(build func() map[string]diag.Pos) Index {
	return Index{&positions{build: build}}
}

// eagerIndex returns an Index of m.
func eagerIndex(m map[string]diag.Pos) Index { return Index{&positions{m: m}} }

func (ix Index) positions() map[string]diag.Pos {
	if ix.p == nil {
		return nil
	}
	ix.p.once.Do(func() {
		if ix.p.build != nil {
			ix.p.m, ix.p.build = ix.p.build(), nil
		}
	})
	return ix.p.m
}

// Lookup returns the position of path, or of its nearest ancestor that has
// one (a value filled in by a schema default has no user position).
func (ix Index) Lookup(path string) diag.Pos {
	m := ix.positions()
	for p := path; ; p = model.Parent(p) {
		if pos, ok := m[p]; ok && pos.IsValid() {
			return pos
		}
		if p == "" {
			return diag.Pos{}
		}
	}
}

// Load evaluates, validates and decodes the platform. A returned error is a
// diag.List (invalid input) or a plain error (the files could not be read).
//
// The platform package imports the schema module (schemas.ImportPath) and
// embeds schemas.#Platform; the import resolves, as for cue vet, to the
// module's cue.mod/pkg/aimesh.dev/schemas, whose content aimesh replaces in
// memory by its own schema (or by --schemas DIR), so the binary always
// checks against the schema it was built with.
func Load(opts Options) (*Result, error) {
	return bounded(opts, load1)
}

func load1(opts Options) (*Result, error) {
	opts = opts.withDefaults()
	platformDir := filepath.Join(opts.Root, opts.PlatformDir)
	if _, err := os.Stat(platformDir); err != nil {
		return nil, fmt.Errorf("CUE directory %s not found: run aimesh in the repository root, pass --root DIR, or start a platform with aimesh init", platformDir)
	}
	// Read only vetted bytes (hermetic.go): no TOCTOU, no network, no env.
	// The vendored schema copy in cue.mod/pkg is vetted like every other
	// file, then replaced in the overlay by the schema aimesh serves.
	vf, err := vet(platformDir, opts.Root)
	if err != nil {
		return nil, err
	}
	setup, err := prepare(opts, platformDir, vf)
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	// The positions come from the package without the schema, where
	// every value's position is the user's, built in a context of its own
	// (a cue.Context is not safe for concurrent use, and the index may be
	// built after load returns).
	positions := func() map[string]diag.Pos {
		ix := map[string]diag.Pos{}
		if plain, err := buildPackage(cuecontext.New(), platformDir, setup.files, setup.indexOverlay, setup, vf); err == nil {
			index(ix, plain.value, "", setup)
		}
		return ix
	}
	user, err := buildPackage(ctx, platformDir, setup.files, setup.overlay, setup, vf)
	if err != nil {
		var l diag.List
		if errors.As(err, &l) {
			// The platform embeds the schema, so schema conflicts show up
			// here already; CUE cites only the schema for some of them (a
			// list length): point at the user's value first.
			return nil, withIndex(l, eagerIndex(positions()))
		}
		return nil, err
	}
	schema, err := importedSchema(ctx, user.inst)
	if err != nil {
		return nil, err
	}
	def := schema.LookupPath(cue.ParsePath("#Platform"))
	if !def.Exists() {
		return nil, fmt.Errorf("%s: no #Platform definition", setup.display(setup.vendorDir))
	}
	ix := lazyIndex(positions)
	// The platform embeds #Platform in a file with
	// @experiment(explicitopen) (checked by prepare), which closes it as
	// def.Unify would; unifying once more would cost a second evaluation
	// of the whole schema (3-4x the load time).
	v := user.value
	if err := v.Validate(cue.Concrete(true), cue.Final(), cue.All()); err != nil {
		return nil, withIndex(fromCUE(err, setup), ix)
	}
	data, err := v.MarshalJSON()
	if err != nil {
		return nil, withIndex(fromCUE(err, setup), ix)
	}
	// An integer beyond int64 has at least 19 digits: walk the value for
	// its path only when the JSON holds such a run of digits.
	if longDigits.Match(data) {
		if l := checkNumbers(v, "", opts.Root); len(l) > 0 {
			return nil, withIndex(l, ix)
		}
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
	return &Result{Platform: &p, Positions: ix, Root: opts.Root, Warnings: setup.warnings}, nil
}

var longDigits = regexp.MustCompile(`[0-9]{19}`)

type built struct {
	inst  *build.Instance
	value cue.Value
}

// buildPackage builds the platform package from overlay, which holds the
// vetted files (vf) with the served schema in place of the vendored copy:
// CUE reads no file itself, neither the network nor the environment.
func buildPackage(ctx *cue.Context, dir string, files []string, overlay map[string]load.Source, s *setup, vf *vetted) (built, error) {
	args := []string{"."}
	if len(files) > 0 {
		args = files
	}
	cfg := vf.config(dir)
	cfg.Overlay = overlay
	insts := load.Instances(args, cfg)
	if len(insts) != 1 {
		return built{}, fmt.Errorf("%s: expected one CUE package, found %d", dir, len(insts))
	}
	if err := insts[0].Err; err != nil {
		l := fromCUE(err, s)
		for i := range l {
			if !l[i].Pos.IsValid() {
				// Package-level errors (mixed package clauses, no files)
				// have no position: point at the directory.
				l[i].Pos = diag.Pos{File: s.userRel}
				l[i].Hint = "every .cue file in " + s.userRel + " must declare the same package (package platform in the example)"
			}
		}
		return built{}, l
	}
	v := ctx.BuildInstance(insts[0])
	// Err returns only the first error; Validate(All) reports every one.
	if err := v.Validate(cue.All()); err != nil {
		// Errors without a position (a structural cycle) get the position
		// of their path in the user's files.
		l := fromCUE(err, s)
		for i := range l {
			if !l[i].Pos.IsValid() {
				l[i].Pos = vf.positionOf(l[i].Path, s.root)
			}
		}
		return built{}, l.Sorted()
	}
	return built{inst: insts[0], value: v}, nil
}

// importedSchema returns the value of the schema package the platform
// imports.
func importedSchema(ctx *cue.Context, inst *build.Instance) (cue.Value, error) {
	for _, imp := range inst.Imports {
		if imp.ImportPath == schemas.ImportPath || imp.ImportPath == schemas.Module {
			v := ctx.BuildInstance(imp)
			if err := v.Err(); err != nil {
				return cue.Value{}, err
			}
			return v, nil
		}
	}
	return cue.Value{}, fmt.Errorf("internal: %s not among the imports", schemas.ImportPath)
}

// withIndex gives diagnostics that CUE reported without a position (an
// empty disjunction, cue#2507) the position of their path in the user's
// files.
func withIndex(l diag.List, ix Index) diag.List {
	for i := range l {
		if !l[i].Pos.IsValid() {
			l[i].Pos = ix.Lookup(l[i].Path)
		}
		// Point into the user's files, never only at the schema (a list
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
func index(ix map[string]diag.Pos, v cue.Value, path string, s *setup) {
	if pos := diag.FromToken(s.root, v.Pos()); pos.IsValid() && s.isUser(pos) {
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
			index(ix, it.Value(), child, s)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return
		}
		for i := 0; it.Next(); i++ {
			index(ix, it.Value(), path+fmt.Sprintf("[%d]", i), s)
		}
	}
}

// fromCUE converts CUE errors to diagnostics, every error at once. The
// primary position is the first one inside the user's platform directory;
// the others (typically the schema constraint) follow as "see".
func fromCUE(err error, s *setup) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		var poss []diag.Pos
		seen := map[diag.Pos]bool{}
		for _, tp := range append([]token.Pos{e.Position()}, cueerrors.Positions(e)...) {
			p := s.pos(diag.FromToken(s.root, tp))
			if p.IsValid() && !seen[p] && p != s.embed {
				seen[p] = true
				poss = append(poss, p)
			}
		}
		sort.SliceStable(poss, func(i, j int) bool {
			ui, uj := s.isUser(poss[i]), s.isUser(poss[j])
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
		d := diag.Diagnostic{Severity: diag.Error, Path: path, Message: msg, Hint: hintFor(path, msg, len(poss) > 1, s.schemaShown)}
		if constraintMsg(msg) && !secretPathRE.MatchString(path) {
			if doc := s.docs.hint(s.schemaShown, poss); doc != "" {
				d.Hint = "the schema says: " + doc + " Change the value to match."
			}
		}
		if len(poss) > 0 {
			d.Pos = poss[0]
			d.Also = poss[1:]
		}
		out = append(out, d)
	}
	// "N errors in empty disjunction:" only announces the errors of the
	// disjuncts that follow it: drop it when they are reported.
	// Likewise "conflicting values D and V" of a field with a default D
	// only repeats that V broke the field's constraint, when CUE also says so.
	paths, broken := map[string]int{}, map[string]bool{}
	for _, d := range out {
		paths[d.Path]++
		if constraintMsg(d.Message) {
			broken[d.Path] = true
		}
	}
	var kept diag.List
	for _, d := range out {
		if strings.Contains(d.Message, "errors in empty disjunction") && paths[d.Path] > 1 {
			continue
		}
		if broken[d.Path] && strings.HasPrefix(d.Message, "conflicting values") {
			continue
		}
		kept = append(kept, d)
	}
	return kept.Sorted()
}

// constraintMsg reports whether a CUE message is a value failing a
// schema constraint (a bound, a pattern, a list built-in).
func constraintMsg(msg string) bool {
	return strings.Contains(msg, "out of bound") || strings.Contains(msg, "does not match") ||
		strings.Contains(msg, "does not satisfy")
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

func hintFor(path, msg string, hasSchemaPos bool, schemaDir string) string {
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
		return "remove the field or fix its spelling (" + schemaDir + "/platform.cue lists the allowed fields)"
	case strings.Contains(msg, "incompatible list lengths"):
		return "two values give this list different lengths (a list written in two places, or against a schema default such as calls: []): CUE does not merge lists, so write the whole list once; inputs and outputs need at least one element"
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
