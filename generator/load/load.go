package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

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
	// MaxEvalTime and MaxEvalMemory, when not zero, replace the bounds
	// of the evaluation (the package's MaxEvalTime and MaxEvalMemory):
	// for platforms larger than the defaults allow.
	MaxEvalTime   time.Duration
	MaxEvalMemory uint64
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
		// A package with errors of its own (a user definition that closes
		// a service) still has the positions of what it could evaluate.
		if plain, _ := buildPackage(cuecontext.New(), platformDir, setup.files, setup.indexOverlay, setup, vf); plain.value.Exists() {
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
	// A "${" in any string would be Flux's to substitute at sync time.
	if l := setup.checkPlaceholders(v, data, ix); len(l) > 0 {
		return nil, withIndex(l, ix)
	}
	var p model.Platform
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		// A number the Go model cannot hold (beyond int64, or an int32 of
		// the Kubernetes API the schema bounds only from below): walk the
		// value for every such number, by CUE path.
		if l, ok := setup.decodeError(err, v, ix); ok {
			return nil, withIndex(l, ix)
		}
		// The schema and the Go model disagree: a bug in aimesh, not in the input.
		return nil, fmt.Errorf("internal: schema and Go model disagree: %w", err)
	}
	return &Result{Platform: &p, Positions: ix, Root: opts.Root, Warnings: setup.warnings}, nil
}

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
		// The value goes along with the errors, for the position index.
		return built{inst: insts[0], value: v}, l.Sorted()
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
			_, child := fieldPath(path, it.Selector())
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
		// A built-in's failure ("error in call to strings.Repeat") carries
		// its reason as the wrapped error: say it.
		if cause := errors.Unwrap(e); cause != nil {
			var reasons []string
			if ce, ok := cause.(cueerrors.Error); ok {
				f, a := ce.Msg() // without the path, already said
				reasons = append(reasons, fmt.Sprintf(f, a...))
			}
			for _, c := range append(reasons, cause.Error()) {
				if c != "" && !strings.Contains(msg, c) {
					msg += ": " + c
					break
				}
			}
		}
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
			if d.Path == "" && s.isUser(d.Pos) {
				// An explicit _|_ comes without a path: name the field.
				d.Path = s.written.pathAt(s.root, d.Pos)
			}
		}
		out = append(out, d)
	}
	out = s.explainDefinition(explainKeys(out))
	// "conflicting values D and V" of a field with a default D only
	// repeats that V broke the field's constraint, when CUE also says so.
	broken := map[string]bool{}
	for _, d := range out {
		if constraintMsg(d.Message) {
			broken[d.Path] = true
		}
	}
	out = keep(out, func(d diag.Diagnostic) bool {
		return !broken[d.Path] || !strings.HasPrefix(d.Message, "conflicting values")
	})
	// A list length conflict that CUE cites in the schema only is the
	// schema default's disjunct failing (calls: *[], scopes: *["openid",
	// "profile"]) when the field has an error of its own.
	schemaList := func(d diag.Diagnostic) bool { return listLengths(d.Message) && !s.isUser(d.Pos) }
	all := out
	out = nil
	for i, d := range all {
		if !schemaList(d) || !otherErrorAt(all, i, schemaList) {
			out = append(out, d)
		}
	}
	// "N errors in empty disjunction:" only announces the errors of the
	// disjuncts that follow it: drop it when they are reported at its
	// path, or when one error below it is all that explains it.
	out = keep(out, func(d diag.Diagnostic) bool {
		return !announcement(d) || errorsAt(out, d.Path) == 0 && errorsBelow(out, d.Path) != 1
	})
	// Once placed, two errors about the same places are one.
	seen := map[string]bool{}
	placed := out
	out = nil
	for _, d := range placed {
		s.placeWritten(&d)
		s.placeMissing(&d)
		key := append([]string{d.Path, d.Message}, d.Pos.String())
		for _, p := range d.AlsoSet {
			key = append(key, p.String())
		}
		slices.Sort(key[2:])
		if k := strings.Join(key, "\x00"); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	// The elements of two lists of different lengths conflict too: that is
	// the same finding as the lists'.
	var lists []string
	for _, d := range out {
		if listLengths(d.Message) && len(d.AlsoSet) > 0 {
			lists = append(lists, d.Path)
		}
	}
	out = keep(out, func(d diag.Diagnostic) bool {
		return !strings.HasPrefix(d.Message, "conflicting values") ||
			!slices.ContainsFunc(lists, func(p string) bool { return below(d.Path, p) })
	})
	return out.Sorted()
}

// keep returns the diagnostics of l for which ok holds.
func keep(l diag.List, ok func(diag.Diagnostic) bool) diag.List {
	var out diag.List
	for _, d := range l {
		if ok(d) {
			out = append(out, d)
		}
	}
	return out
}

// announcement reports whether d is CUE's "N errors in empty
// disjunction:", which only announces the errors that follow it.
func announcement(d diag.Diagnostic) bool {
	return strings.Contains(d.Message, "errors in empty disjunction")
}

// listWrittenTwice reports whether path is inside a list element and the
// innermost such list is written in more than one place.
func (s *setup) listWrittenTwice(path string) bool {
	sels, ok := selectors(path)
	if !ok {
		return false
	}
	for i := len(sels) - 1; i > 0; i-- {
		if sels[i].index < 0 {
			continue
		}
		labels := make([]any, i)
		for j, sel := range sels[:i] {
			if sel.index >= 0 {
				labels[j] = sel.index
			} else {
				labels[j] = sel.label
			}
		}
		return len(s.written.at(model.Path(labels...), s.root)) > 1
	}
	return false
}

// listLengths reports whether a CUE message is two lists of different
// lengths unified.
func listLengths(msg string) bool { return strings.Contains(msg, "incompatible list lengths") }

// below reports whether path is a field or element inside parent.
func below(path, parent string) bool {
	return strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

// errorsAt and errorsBelow count the errors of l at path and inside it,
// the announcements of empty disjunctions left out.
func errorsAt(l diag.List, path string) int {
	return countErrors(l, func(p string) bool { return p == path })
}

func errorsBelow(l diag.List, path string) int {
	return countErrors(l, func(p string) bool { return below(p, path) })
}

func countErrors(l diag.List, at func(string) bool) int {
	n := 0
	for _, o := range l {
		if at(o.Path) && !announcement(o) {
			n++
		}
	}
	return n
}

// otherErrorAt reports whether l holds an error other than l[i] at its path
// or below it; neither the announcement of an empty disjunction nor an
// error for which skip holds counts.
func otherErrorAt(l diag.List, i int, skip func(diag.Diagnostic) bool) bool {
	for j, o := range l {
		if j == i || announcement(o) || skip(o) {
			continue
		}
		if o.Path == l[i].Path || below(o.Path, l[i].Path) {
			return true
		}
	}
	return false
}

// placeMissing points a field that the schema requires and no file of
// the platform sets at the embedding of schemas.#Platform, where the
// requirement comes from: CUE cites the package clause of some file for
// a missing top-level field (or the fields of a missing block), which
// says nothing about what to do.
func (s *setup) placeMissing(d *diag.Diagnostic) {
	if !strings.Contains(d.Message, "incomplete value") || d.Path == "" || !s.embed.IsValid() {
		return
	}
	if len(s.written.at(d.Path, s.root)) > 0 {
		return // written, but not concrete: "give the field a concrete value"
	}
	if d.Pos.IsValid() && s.isUser(d.Pos) && s.written.pathAt(s.root, d.Pos) != "" || s.written.writesWithin(d.Path) {
		// A block the field belongs in is written: CUE cites it, or the
		// position index finds it.
		d.Hint = "the schema requires " + d.Path + ", and the block it belongs in does not set it: add it there"
		return
	}
	if d.Pos.IsValid() && !s.isUser(d.Pos) {
		d.Also = append([]diag.Pos{d.Pos}, d.Also...) // the schema's constraint
	}
	d.Pos = s.embed
	d.Hint = "the schema embedded here requires " + d.Path + ", and no file of the platform sets it: add it"
}

// placeWritten points d at the value the user wrote at d's path when CUE
// cited only the schema (or nothing), and names the other places that
// write the same field ("also set at"): CUE cites only one of two lists of
// different lengths. The hint of a value set in two places says that CUE
// does not let one place override the other.
func (s *setup) placeWritten(d *diag.Diagnostic) {
	written := s.written.at(d.Path, s.root)
	if len(written) == 0 {
		return
	}
	if !d.Pos.IsValid() || !s.isUser(d.Pos) {
		if d.Pos.IsValid() {
			d.Also = append([]diag.Pos{d.Pos}, d.Also...)
		}
		d.Pos = written[0].value
	}
	for _, w := range written {
		if w.is(d.Pos) || slices.Contains(d.AlsoSet, w.value) {
			continue
		}
		d.AlsoSet = append(d.AlsoSet, w.value)
		d.Also = slices.DeleteFunc(d.Also, w.is)
	}
	if secretPathRE.MatchString(d.Path) {
		return
	}
	switch {
	case listLengths(d.Message) && len(d.AlsoSet) == 0 && strings.Contains(d.Message, "(0 and ") && slices.ContainsFunc(d.Also, func(p diag.Pos) bool { return !s.isUser(p) }):
		d.Hint = "the list is empty but the schema (the position above) needs at least one element: add one"
	case len(d.AlsoSet) == 0:
	case listLengths(d.Message):
		d.Hint = "this list is set in more than one place (the positions above), to lists of different lengths: CUE does not merge, append or override lists, it requires every value of a field to be the same list; write the whole list in one place and delete the others"
	case strings.HasPrefix(d.Message, "conflicting values") && s.listWrittenTwice(d.Path):
		d.Hint = "the list that holds this element is written in more than one place (its elements at the positions above differ): CUE unifies two lists element by element, it does not append or override them; write the whole list in one place and delete the others"
	case strings.HasPrefix(d.Message, "conflicting values"):
		d.Hint = "the field is set to different values in more than one place (the positions above): CUE does not let one file override another; keep one value and delete the others"
	}
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
		return "the list has a different length than another value of this field (the positions above: a schema constraint, or a list set elsewhere): CUE does not merge, append or override lists, so write the whole list in one place"
	case strings.Contains(msg, "errors in empty disjunction"):
		return "the value matches none of the forms the schema allows for this field; the errors below say why each form fails: fix the value for the form you mean"
	case strings.HasPrefix(msg, "error in call to ") && strings.Contains(strings.TrimPrefix(msg, "error in call to "), ": "):
		return "the built-in function cannot work on these arguments (the reason follows its name): change the arguments"
	case strings.HasPrefix(msg, "error in call to "):
		// CUE drops the reason when the failing call is reached
		// through another field's expression.
		return "the built-in function cannot work on these arguments, and CUE gives no reason here: check that counts and sizes are within its limits (strings.Repeat takes a count of at most 1,000,000), then change the arguments"
	case strings.Contains(msg, "structural cycle"):
		return "the value refers to itself: break the cycle by referring to a different field"
	case strings.Contains(msg, "mismatched types null and struct"), strings.Contains(msg, "mismatched types struct and null"):
		return "null is not an empty or absent struct in CUE: to leave the field out, delete it (an optional field is simply not written); to set it, write a struct"
	case strings.Contains(msg, "explicit error (_|_ literal)"):
		return "_|_ is CUE's explicit error (bottom): replace it with a value, or remove the field"
	case strings.Contains(msg, "field is required but not present"):
		return "give the field a value (a field declared with \"!:\" must be set somewhere in the platform), or declare it optional with \"?:\""
	case strings.Contains(msg, "mismatched types float and int"), strings.Contains(msg, "mismatched types int and float"):
		return "the schema wants a whole number: write it without a decimal point or exponent (1000, not 1e3 or 2.0)"
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

// fieldPath returns the label of a field as the user wrote it and its CUE
// path below path (model.Path spelling, as the position index keys it).
func fieldPath(path string, sel cue.Selector) (label, child string) {
	label = sel.Unquoted()
	if !sel.IsString() {
		label = sel.String()
	}
	child = model.Path(label)
	if path != "" {
		child = path + "." + child
	}
	return label, child
}
