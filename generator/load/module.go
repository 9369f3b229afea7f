package load

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/load"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/schemas"
)

// VendorPath is where a platform module carries the schema module, relative
// to the module root: the cue.mod/pkg location that cue (v0.17 and later)
// still resolves without a registry.
var VendorPath = filepath.Join("cue.mod", "pkg", filepath.FromSlash(schemas.Module))

// setup is how one platform is loaded: which files, the in-memory schema,
// and how positions are shown.
type setup struct {
	root      string
	userRel   string // platform directory relative to root, with a trailing slash
	files     []string
	vendorDir string // absolute cue.mod/pkg/aimesh.dev/schemas of the platform's module
	// schemaShown is how positions inside vendorDir are printed: the
	// vendored copy, or the --schemas directory when one is given.
	schemaShown string
	overlay     map[string]load.Source
	// indexOverlay is overlay with the #Platform embedding replaced by the
	// bare package name: evaluating it gives the user's own fields only,
	// whose positions the index records.
	indexOverlay map[string]load.Source
	// embed is the position of the schemas.#Platform embedding: CUE cites
	// it in conflicts, but it never says anything the schema position
	// does not.
	embed    diag.Pos
	warnings diag.List
	// docs explains schema constraints by their doc comments (schemadoc.go).
	docs schemaDocs
	// written finds where the platform's own files set a field (written.go).
	written writtenIndex
}

// display returns the root-relative, slash-separated spelling of abs.
func (s *setup) display(abs string) string {
	if rel, err := filepath.Rel(s.root, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(abs)
}

// pos converts a CUE position, printing schema positions as schemaShown.
func (s *setup) pos(p diag.Pos) diag.Pos {
	vendor := s.display(s.vendorDir) + "/"
	if s.vendorDir != "" && strings.HasPrefix(p.File, vendor) {
		p.File = s.schemaShown + "/" + strings.TrimPrefix(p.File, vendor)
	}
	return p
}

// isUser reports whether p is in the user's platform files (not in the
// module's cue.mod).
func (s *setup) isUser(p diag.Pos) bool {
	return strings.HasPrefix(p.File, s.userRel) && !strings.Contains(p.File, "cue.mod/")
}

// prepare finds the platform's module, checks that the platform imports a
// schema major version this aimesh supports, and builds the overlay: the
// vetted files (vf) with this aimesh's schema served at the module's
// vendored location.
func prepare(opts Options, platformDir string, vf *vetted) (*setup, error) {
	s := &setup{root: opts.Root, files: opts.Files}
	s.userRel = s.display(platformDir) + "/"
	names := opts.Files
	if len(names) == 0 {
		entries, err := os.ReadDir(platformDir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() && strings.HasSuffix(n, ".cue") && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)

	var (
		embedFile  string
		embedSrc   []byte
		embedStart int
		embedEnd   int
		embedName  string
		imported   bool
		embedOpen  bool
		parseError bool
		importPos  diag.Pos // the first import of the schema
	)
	for _, n := range names {
		abs := filepath.Join(platformDir, n)
		src, ok := vf.bytes[abs]
		if !ok {
			continue // not a file CUE reads (vet refused what it must)
		}
		s.written.add(abs, src)
		f := vf.syntax[abs]
		if f == nil {
			// The loader reports syntax errors with their positions.
			parseError = true
			continue
		}
		local := ""
		for spec := range f.ImportSpecs() {
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				continue
			}
			mod, major, _ := strings.Cut(path, "@")
			if mod != schemas.Module {
				continue
			}
			if major != "" && major != schemas.Major {
				p := diag.FromToken(s.root, spec.Path.Pos())
				return nil, diag.List{{
					Severity: diag.Error,
					Pos:      p,
					Message:  fmt.Sprintf("this platform is written for %s; this aimesh supports %s (schema %s) only", path, schemas.ImportPath, schemas.Version()),
					Hint:     installHint(major),
				}}
			}
			if !imported {
				importPos = diag.FromToken(s.root, spec.Path.Pos())
			}
			imported = true
			local = schemas.Module[strings.LastIndex(schemas.Module, "/")+1:]
			if spec.Name != nil {
				local = spec.Name.Name
			}
		}
		if local == "" {
			continue
		}
		for _, d := range f.Decls {
			e, ok := d.(*ast.EmbedDecl)
			if !ok {
				continue
			}
			sel, ok := e.Expr.(*ast.SelectorExpr)
			if !ok {
				continue
			}
			x, ok := sel.X.(*ast.Ident)
			if name, _, _ := ast.LabelName(sel.Sel); !ok || x.Name != local || name != "#Platform" {
				continue
			}
			embedFile, embedSrc, embedName = abs, src, local
			embedOpen = explicitOpen(f)
			embedStart, embedEnd = sel.Pos().Offset(), sel.End().Offset()
			s.embed = diag.FromToken(s.root, sel.Pos())
		}
	}
	if !parseError {
		switch {
		case !imported:
			return nil, diag.List{{
				Severity: diag.Error,
				Pos:      diag.Pos{File: s.userRel},
				Message:  "the platform does not import the aimesh schema " + schemas.ImportPath,
				Hint:     "add a file such as " + s.userRel + "schema.cue with: @experiment(explicitopen) package platform; import \"" + schemas.ImportPath + "\"; schemas.#Platform (aimesh init writes it)",
			}}
		case embedFile == "":
			return nil, diag.List{{
				Severity: diag.Error,
				Pos:      importPos,
				Message:  "the platform imports " + schemas.ImportPath + " but does not embed schemas.#Platform",
				Hint:     "write schemas.#Platform on a line of its own in the file that imports the schema, so cue vet checks the platform as aimesh does",
			}}
		case !embedOpen:
			return nil, diag.List{{
				Severity: diag.Error,
				Pos:      s.embed,
				Message:  "schemas.#Platform is embedded without @experiment(explicitopen): the embedding does not close the platform, so misspelt fields would pass",
				Hint:     "put @experiment(explicitopen) on the first line of " + s.display(embedFile) + ", before the package clause",
			}}
		}
	}

	modRoot := ""
	for d := platformDir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil && fi.IsDir() {
			modRoot = d
			break
		}
		if d == opts.Root || d == filepath.Dir(d) || !strings.HasPrefix(d, opts.Root) {
			break
		}
	}
	if modRoot == "" {
		return nil, diag.List{{
			Severity: diag.Error,
			Pos:      diag.Pos{File: s.userRel},
			Message:  "no CUE module: cue.mod/module.cue not found in " + s.userRel + " or above",
			Hint:     "create " + s.userRel + "cue.mod/module.cue (module: \"example.com/platform@v0\", language: version: \"v0.17.1\"), or start from aimesh init",
		}}
	}
	s.vendorDir = filepath.Join(modRoot, VendorPath)
	s.schemaShown = s.display(s.vendorDir)

	served := schemas.Files()
	if opts.SchemaDir != "" {
		dir := filepath.Join(opts.Root, opts.SchemaDir)
		var err error
		if served, err = readCUEFiles(dir); err != nil || len(served) == 0 {
			return nil, fmt.Errorf("schema directory %s: no .cue files (--schemas names the directory holding platform.cue)", dir)
		}
		s.schemaShown = s.display(dir)
	}
	onDisk := map[string][]byte{}
	for p, data := range vf.bytes {
		if filepath.Dir(p) == s.vendorDir {
			onDisk[filepath.Base(p)] = data
		}
	}
	if len(onDisk) == 0 && !strings.HasPrefix(s.vendorDir, platformDir+string(filepath.Separator)) {
		// The module root is above the platform directory: its vendored
		// copy was not among the vetted files.
		onDisk, _ = readCUEFiles(s.vendorDir)
	}
	s.docs = schemaDocs{files: served}
	s.overlay = map[string]load.Source{}
	for p, src := range vf.overlay {
		s.overlay[p] = src
	}
	for n, data := range served {
		s.overlay[filepath.Join(s.vendorDir, n)] = load.FromBytes(data)
	}
	for n := range onDisk {
		if _, ok := served[n]; !ok {
			// A file of an older vendored copy: neutralised, not deleted.
			s.overlay[filepath.Join(s.vendorDir, n)] = load.FromString("package schemas\n")
		}
	}
	if err := s.compareVendored(onDisk, served, opts.SchemaDir != ""); err != nil {
		return nil, err
	}

	s.indexOverlay = map[string]load.Source{}
	for k, v := range s.overlay {
		s.indexOverlay[k] = v
	}
	if embedFile != "" {
		// Same length, so every other position in the file stays put.
		repl := embedName + strings.Repeat(" ", embedEnd-embedStart-len(embedName))
		src := append(append(append([]byte{}, embedSrc[:embedStart]...), repl...), embedSrc[embedEnd:]...)
		s.indexOverlay[embedFile] = load.FromBytes(src)
	}
	return s, nil
}

// compareVendored refuses a vendored schema newer than this aimesh and
// warns when the vendored copy is not the schema aimesh checks against.
func (s *setup) compareVendored(onDisk, served map[string][]byte, override bool) error {
	shown := s.display(s.vendorDir)
	if len(onDisk) == 0 {
		s.warnings = append(s.warnings, diag.Diagnostic{
			Severity: diag.Warning,
			Pos:      diag.Pos{File: shown + "/"},
			Message:  "the schema module is not vendored: cue vet and editors cannot resolve " + schemas.ImportPath,
			Hint:     "run aimesh init --vendor-schema to copy the schema of this aimesh (" + schemas.Version() + ") there",
		})
		return nil
	}
	have, want := schemas.ParseVersion(onDisk["version.cue"]), schemas.ParseVersion(served["version.cue"])
	if newer(have, want) {
		return diag.List{{
			Severity: diag.Error,
			Pos:      diag.Pos{File: shown + "/version.cue"},
			Message:  fmt.Sprintf("the platform vendors schema %s, newer than this aimesh's %s", have, want),
			Hint:     "upgrade aimesh (go install github.com/aimesh/aimesh/cmd/aimesh@latest) or vendor the older schema with aimesh init --vendor-schema",
		}}
	}
	if override || equalFiles(onDisk, served) {
		return nil
	}
	what := "differs from the schema built into this aimesh (" + want + ")"
	if have != "" && have != want {
		what = "is schema " + have + "; this aimesh checks against " + want
	}
	s.warnings = append(s.warnings, diag.Diagnostic{
		Severity: diag.Warning,
		Pos:      diag.Pos{File: shown + "/"},
		Message:  "the vendored schema " + what + ": cue vet and editors check against the vendored copy",
		Hint:     "run aimesh init --vendor-schema to replace the vendored copy with this aimesh's schema",
	})
	return nil
}

// newer reports whether version a (vMAJOR.MINOR.PATCH) is later than b.
func newer(a, b string) bool {
	pa, pb := semver(a), semver(b)
	if pa == nil || pb == nil {
		return false
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] > pb[i]
		}
	}
	return false
}

func semver(v string) []int {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) != 3 {
		return nil
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out[i] = n
	}
	return out
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for n, d := range a {
		if !bytes.Equal(d, b[n]) {
			return false
		}
	}
	return true
}

// readCUEFiles reads the .cue files directly in dir, with the checks of
// readVetted (regular files inside dir, bounded in size).
func readCUEFiles(dir string) (map[string][]byte, error) {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".cue") {
			data, msg, _ := readVetted(filepath.Join(dir, e.Name()), realDir)
			if msg != "" {
				return nil, fmt.Errorf("%s: %s", filepath.Join(dir, e.Name()), msg)
			}
			out[e.Name()] = data
		}
	}
	return out, nil
}

// installHint says which aimesh supports schema major version major.
func installHint(major string) string {
	n, err := strconv.Atoi(strings.TrimPrefix(major, "v"))
	if err != nil || !strings.HasPrefix(major, "v") {
		return "import " + schemas.ImportPath
	}
	pkg := "github.com/aimesh/aimesh/cmd/aimesh@" + major
	if n >= 2 {
		pkg = fmt.Sprintf("github.com/aimesh/aimesh/v%d/cmd/aimesh@latest", n)
	}
	return fmt.Sprintf("aimesh %s.x reads %s@%s platforms: go install %s (aimesh's major version is the schema's)", major, schemas.Module, major, pkg)
}

// explicitOpen reports whether f enables the explicitopen experiment, under
// which embedding a definition closes the struct it is embedded in.
func explicitOpen(f *ast.File) bool {
	for _, d := range f.Decls {
		a, ok := d.(*ast.Attribute)
		if !ok {
			continue
		}
		if k, body := a.Split(); k == "experiment" && strings.Contains(body, "explicitopen") {
			return true
		}
	}
	return false
}
