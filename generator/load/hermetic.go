package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/mod/modconfig"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/schemas"
)

// Limits of what aimesh reads from a CUE directory: the input is an
// untrusted pull request.
const (
	// MaxFileBytes is the largest file aimesh reads.
	MaxFileBytes = 4 << 20
	// MaxTotalBytes bounds all files of one directory tree together.
	MaxTotalBytes = 32 << 20
	// MaxFiles bounds the number of files in one directory tree.
	MaxFiles = 4096
)

// SupportedLanguageVersion is the newest CUE language version the CUE
// that aimesh embeds evaluates (cue.mod/module.cue language.version).
const SupportedLanguageVersion = "v0.17.1"

// MinLanguageVersion is the oldest CUE language version that evaluates the
// aimesh schema: older ones do not know its @experiment(explicitopen).
const MinLanguageVersion = "v0.15.0"

// vetted is a CUE directory tree whose files were checked and read once:
// CUE is given these bytes (load.Config.Overlay), never the files again.
type vetted struct {
	overlay map[string]load.Source
	bytes   map[string][]byte
	// syntax holds each file parsed once (with comments), for the checks
	// of vet and prepare; nil for a file that does not parse, whose
	// syntax error the loader reports.
	syntax map[string]*ast.File
}

// importRef is an import of a non-standard package, to be resolved
// against the module.
type importRef struct {
	path string
	pos  diag.Pos
}

// config returns the load configuration that reads only the vetted bytes
// and never the network or the process environment: no module registry,
// no tags, no tool files.
func (v *vetted) config(dir string) *load.Config {
	return &load.Config{
		Dir:     dir,
		Overlay: v.overlay,
		Env:     []string{},
		Registry: &modconfig.LazyRegistry{New: func() (modconfig.CachedRegistry, error) {
			return nil, errors.New("aimesh loads no CUE module dependencies: keep every package inside the platform module")
		}},
	}
}

// vet checks every file below dir (the platform's CUE module) before CUE
// reads any of it, and returns their bytes. Only regular files are
// accepted; a symbolic link must resolve to a regular file inside dir;
// devices, FIFOs and sockets, files over MaxFileBytes, non-UTF-8 text,
// .cue files without a package clause, @embed / @extern attributes,
// tool/* imports and @tag attributes are errors with the file's position.
func vet(dir, root string) (*vetted, error) {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	v := &vetted{overlay: map[string]load.Source{}, bytes: map[string][]byte{}, syntax: map[string]*ast.File{}}
	var l diag.List
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return filepath.ToSlash(p)
	}
	bad := func(p, msg, hint string) {
		l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: rel(p)}, Message: msg, Hint: hint})
	}
	total, count := 0, 0
	var imports []importRef
	module := ""
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			bad(p, "cannot read: "+errText(err), "make the directory readable")
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir // CUE ignores these directories too
			}
			return nil
		}
		name := d.Name()
		isCUE := strings.HasSuffix(name, ".cue")
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil // CUE ignores hidden files
		}
		if !isCUE {
			return nil // not read by CUE (and @embed is refused)
		}
		count++
		if count > MaxFiles {
			return fmt.Errorf("%s holds more than %d files; aimesh reads at most %d", rel(dir), MaxFiles, MaxFiles)
		}
		data, msg, hint := readVetted(p, realDir)
		if msg != "" {
			bad(p, msg, hint)
			return nil
		}
		total += len(data)
		if total > MaxTotalBytes {
			return fmt.Errorf("the .cue files below %s exceed %d MiB together; aimesh reads at most that", rel(dir), MaxTotalBytes>>20)
		}
		if pos, nul, ok := invalidUTF8(data); !ok {
			msg, hint := "the file is not valid UTF-8", "CUE files are UTF-8 text: re-save the file as UTF-8 or remove the stray bytes at this position"
			if nul {
				msg, hint = "the file holds a NUL byte", "CUE text cannot hold NUL (U+0000): remove it; a file full of NULs was likely saved as UTF-16: re-save it as UTF-8"
			}
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: rel(p), Line: pos.Line, Col: pos.Col},
				Message: msg, Hint: hint})
			return nil
		}
		inCueMod := filepath.Base(filepath.Dir(p)) == "cue.mod"
		// One parse serves every check below and prepare's.
		f, err := parser.ParseFile(p, data, parser.ParseComments)
		if err == nil {
			v.syntax[p] = f
			l = append(l, vetSyntax(f, rel(p), inCueMod)...)
			if inCueMod {
				module = moduleName(f)
			}
		} else {
			// Syntax errors are reported by the loader, with positions;
			// the imports before the error are still vetted.
			f, err = parser.ParseFile(p, data, parser.ImportsOnly)
		}
		if err == nil {
			for imp := range f.ImportSpecs() {
				ip := strings.Trim(imp.Path.Value, `"`)
				first, _, _ := strings.Cut(ip, "/")
				if strings.Contains(first, ".") {
					pp := imp.Pos()
					imports = append(imports, importRef{ip, diag.Pos{File: rel(p), Line: pp.Line(), Col: pp.Column()}})
				}
			}
		}
		v.overlay[p] = load.FromBytes(data)
		v.bytes[p] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	l = append(l, checkImports(dir, module, imports, v)...)
	if len(l) > 0 {
		return nil, l.Sorted()
	}
	return v, nil
}

// moduleName is the module: field of cue.mod/module.cue without its major
// version suffix.
func moduleName(f *ast.File) string {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if n, _, _ := ast.LabelName(fd.Label); n == "module" {
			if lit, ok := fd.Value.(*ast.BasicLit); ok {
				m := strings.Trim(lit.Value, `"`)
				m, _, _ = strings.Cut(m, "@")
				return m
			}
		}
	}
	return ""
}

// checkImports names every imported package that is neither in the
// standard library, nor inside the platform module, nor the aimesh schema
// module (served by aimesh from its embedded copy, vendored in cue.mod/pkg
// for cue vet): aimesh never downloads modules, so CUE would only say
// "import failed".
func checkImports(dir, module string, imports []importRef, v *vetted) diag.List {
	var l diag.List
	for _, imp := range imports {
		pkg, _, _ := strings.Cut(imp.path, ":")
		pkg, _, _ = strings.Cut(pkg, "@")
		if pkg == schemas.Module {
			// The major version is checked by prepare.
			continue
		}
		if module != "" && (pkg == module || strings.HasPrefix(pkg, module+"/")) {
			sub := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")))
			found := false
			for f := range v.overlay {
				if filepath.Dir(f) == sub {
					found = true
					break
				}
			}
			if found {
				continue
			}
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: imp.pos,
				Message: fmt.Sprintf("import %q: package not found: no .cue files in %s", imp.path, filepath.ToSlash(strings.TrimPrefix(pkg, module+"/"))),
				Hint:    "create the package directory inside the platform module, or fix the import path"})
			continue
		}
		l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: imp.pos,
			Message: fmt.Sprintf("import %q: package not found: it is neither in CUE's standard library, nor inside the platform module %q, nor the aimesh schema %s, and aimesh never downloads modules", imp.path, module, schemas.ImportPath),
			Hint:    "remove the import, or copy the package into the platform module"})
	}
	return l
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readVetted reads p if it is (or links to) a regular file inside realDir
// of at most MaxFileBytes. The checks are made on the opened file, so a
// file swapped after the check is not read.
func readVetted(p, realDir string) ([]byte, string, string) {
	info, err := os.Lstat(p)
	if err != nil {
		return nil, "cannot read: " + errText(err), "make the file readable"
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, "symbolic link that does not resolve: " + errText(err), "remove the link or commit the file itself"
		}
		if !strings.HasPrefix(target, realDir+string(filepath.Separator)) {
			return nil, "symbolic link to " + target + ", outside the platform directory; aimesh reads only files inside it",
				"commit the file itself inside the platform directory instead of a link"
		}
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "cannot read: " + errText(err), "make the file readable"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "cannot read: " + errText(err), "make the file readable"
	}
	if !st.Mode().IsRegular() {
		return nil, "not a regular file (" + kind(st.Mode()) + "); aimesh reads only regular files",
			"replace it with a regular .cue file or remove it"
	}
	if st.Size() > MaxFileBytes {
		return nil, fmt.Sprintf("file of %d bytes; aimesh reads files of at most %d MiB", st.Size(), MaxFileBytes>>20),
			"split the platform into smaller files"
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, "cannot read: " + errText(err), "make the file readable"
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Sprintf("file larger than %d MiB; aimesh reads files of at most that size", MaxFileBytes>>20),
			"split the platform into smaller files"
	}
	return data, "", ""
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	default:
		return "irregular file"
	}
}

// invalidUTF8 returns the position of the first byte that is not UTF-8
// or is NUL, and whether it is NUL (CUE's scanner refuses it, but the
// byte is valid UTF-8: the message says which).
func invalidUTF8(data []byte) (pos diag.Pos, nul, ok bool) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if (r == utf8.RuneError && size <= 1) || r == 0 {
			return diag.Pos{Line: line, Col: col}, r == 0, false
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += size
		}
		i += size
	}
	return diag.Pos{}, false, true
}

// MaxSyntaxDepth bounds how deep the syntax of a platform file nests
// (fields in fields, lists, expressions), counted in syntax nodes: the
// reference platform's deepest is about 20, CUE's parser stops at 10,000
// nested expressions but not at nested fields, and CUE evaluates a chain
// of n nested fields in time that grows with n² (200,000 take a minute).
const MaxSyntaxDepth = 1000

// vetSyntax checks one parsed file and refuses what could read outside the
// platform or make the output depend on the environment of the run.
func vetSyntax(f *ast.File, rel string, inCueMod bool) diag.List {
	var l diag.List
	pos := func(n ast.Node) diag.Pos {
		p := n.Pos()
		if !p.IsValid() {
			return diag.Pos{File: rel}
		}
		return diag.Pos{File: rel, Line: p.Line(), Col: p.Column()}
	}
	if inCueMod {
		return vetModuleFile(f, rel)
	}
	if f.PackageName() == "" {
		l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: rel, Line: 1, Col: 1},
			Message: "the file has no package clause, so CUE would silently ignore it",
			Hint:    "start the file with the package clause of the other files (package platform in the example)"})
	}
	for imp := range f.ImportSpecs() {
		path := strings.Trim(imp.Path.Value, `"`)
		if path == "tool" || strings.HasPrefix(path, "tool/") {
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: pos(imp),
				Message: fmt.Sprintf("import %q: tool packages (commands, files, environment, network) are not allowed in a platform", path),
				Hint:    "remove the import; a platform is plain data, evaluated the same on every machine"})
		}
	}
	depth, tooDeep := 0, false
	ast.Walk(f, func(n ast.Node) bool {
		if depth++; depth > MaxSyntaxDepth {
			if !tooDeep {
				tooDeep = true
				l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: pos(n),
					Message: fmt.Sprintf("the value nests more than %d levels deep here; CUE's evaluation time grows with the square of the depth (a chain of 200,000 fields takes a minute)", MaxSyntaxDepth),
					Hint:    "flatten the value: the schema's deepest field is about 10 levels down, so this depth is not a platform"})
			}
			return false
		}
		a, ok := n.(*ast.Attribute)
		if !ok {
			return true
		}
		key, _ := a.Split()
		switch key {
		case "embed", "extern":
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: pos(a),
				Message: "@" + key + " is not allowed: aimesh reads only the platform's .cue files",
				Hint:    "write the value in CUE instead of embedding a file"})
		case "tag":
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: pos(a),
				Message: "@tag is not allowed: the output must not depend on command-line tags",
				Hint:    "give the field a value in CUE (per environment under environments.<env> if it differs)"})
		}
		return true
	}, func(ast.Node) { depth-- })
	return l
}

// vetModuleFile checks cue.mod/module.cue: a language version that is
// malformed, newer than the embedded CUE or older than the schema needs is
// refused with its position, and dependencies are not
// allowed (aimesh never fetches modules).
func vetModuleFile(f *ast.File, rel string) diag.List {
	var l diag.List
	for _, d := range f.Decls {
		fd, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, _ := ast.LabelName(fd.Label)
		switch name {
		case "language":
			st, ok := fd.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, e := range st.Elts {
				vf, ok := e.(*ast.Field)
				if !ok {
					continue
				}
				if n, _, _ := ast.LabelName(vf.Label); n != "version" {
					continue
				}
				lit, ok := vf.Value.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				ver := strings.Trim(lit.Value, `"`)
				p := lit.Pos()
				at := diag.Pos{File: rel, Line: p.Line(), Col: p.Column()}
				hint := fmt.Sprintf("set language: version: %q (the CUE aimesh embeds)", SupportedLanguageVersion)
				switch {
				case versionParts(ver) == nil:
					l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: at,
						Message: fmt.Sprintf("language version %q is not a version of the form vMAJOR.MINOR.PATCH", ver), Hint: hint})
				case newerVersion(ver, SupportedLanguageVersion):
					l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: at,
						Message: fmt.Sprintf("language version %s is newer than the CUE embedded in aimesh, which supports language versions up to %s", ver, SupportedLanguageVersion),
						Hint:    fmt.Sprintf("set language: version: %q (or older), or upgrade aimesh", SupportedLanguageVersion)})
				case newerVersion(MinLanguageVersion, ver):
					l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: at,
						Message: fmt.Sprintf("language version %s is older than %s, the first that evaluates the aimesh schema (its @experiment(explicitopen))", ver, MinLanguageVersion),
						Hint:    hint})
				}
			}
		case "deps":
			p := fd.Pos()
			l = append(l, diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: rel, Line: p.Line(), Col: p.Column()},
				Message: "module dependencies are not supported: aimesh never downloads CUE modules",
				Hint:    "remove deps and keep every package the platform imports inside the platform module"})
		}
	}
	return l
}

// newerVersion compares two "vMAJOR.MINOR.PATCH[-pre]" versions.
func newerVersion(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	if pa == nil || pb == nil {
		return false // malformed: CUE reports it
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] > pb[i]
		}
	}
	return false
}

func versionParts(v string) []int {
	v, ok := strings.CutPrefix(v, "v")
	if !ok {
		return nil
	}
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return nil
	}
	out := make([]int, 3)
	for i, s := range parts {
		n := 0
		if s == "" || len(s) > 9 {
			return nil
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return nil
			}
			n = n*10 + int(c-'0')
		}
		out[i] = n
	}
	return out
}

// sortedPaths is the overlay's files in order (for tests).
func (v *vetted) sortedPaths() []string {
	var out []string
	for p := range v.overlay {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// positionOf finds the field at path (CUE path spelling, e.g.
// services."ai-backend".replicas) in the vetted files, the deepest prefix
// of it that is written literally; errors CUE reports without a position
// (a structural cycle) get it.
func (v *vetted) positionOf(path, root string) diag.Pos {
	sels := splitPath(path)
	best, bestDepth := diag.Pos{}, 0
	for _, file := range v.sortedPaths() {
		if strings.Contains(filepath.ToSlash(file), "/cue.mod/") {
			continue // the module file and vendored packages, not the user's fields
		}
		data, ok := v.bytes[file]
		if !ok {
			continue
		}
		f, err := parser.ParseFile(file, data)
		if err != nil {
			continue
		}
		decls := f.Decls
		for depth := 0; depth < len(sels); depth++ {
			var next []ast.Decl
			found := false
			for _, d := range decls {
				fd, ok := d.(*ast.Field)
				if !ok {
					continue
				}
				name, _, _ := ast.LabelName(fd.Label)
				if name != sels[depth] {
					continue
				}
				found = true
				if depth+1 > bestDepth {
					bestDepth = depth + 1
					best = diag.FromToken(root, fd.Pos())
				}
				if st, ok := fd.Value.(*ast.StructLit); ok {
					next = append(next, st.Elts...)
				}
			}
			if !found {
				break
			}
			decls = next
		}
	}
	return best
}

// splitPath splits a CUE path at dots outside quotes and unquotes labels.
func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		case c == '[' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
			for i < len(p) && p[i] != ']' {
				i++
			}
			if i+1 < len(p) && p[i+1] == '.' {
				i++
			}
			continue
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// MaxEvalTime bounds one evaluation of the platform: an input whose
// comprehensions or disjunctions explode is an error, not a hung CI job.
var MaxEvalTime = 60 * time.Second

// MaxEvalMemory bounds the heap while the platform is evaluated: an input
// that generates millions of values (list.Range(0, 30000000, 1) takes
// 8.7 GB in 60 s) is an error, not a process the kernel kills without a
// word, or a CI runner brought down. The default is three quarters of
// the memory the process may use (the machine's, or its cgroup's limit),
// at most 8 GiB: evaluating 10,000 models takes about 1.3 GiB.
var MaxEvalMemory = defaultEvalMemory()

// memoryPoll is how often the heap is measured during an evaluation.
const memoryPoll = 25 * time.Millisecond

func defaultEvalMemory() uint64 {
	limit := uint64(8 << 30)
	if avail := availableMemory(); avail > 0 && avail/4*3 < limit {
		limit = avail / 4 * 3
	}
	return limit
}

// bounded runs f within MaxEvalTime and MaxEvalMemory. CUE evaluation
// cannot be cancelled: past either bound the evaluation goroutine is
// abandoned (the CLI exits right after reporting).
func bounded(opts Options, f func(Options) (*Result, error)) (*Result, error) {
	type result struct {
		r   *Result
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := f(opts)
		ch <- result{r, err}
	}()
	maxTime, maxMemory := MaxEvalTime, MaxEvalMemory
	if opts.MaxEvalTime > 0 {
		maxTime = opts.MaxEvalTime
	}
	if opts.MaxEvalMemory > 0 {
		maxMemory = opts.MaxEvalMemory
	}
	timer := time.NewTimer(maxTime)
	defer timer.Stop()
	poll := time.NewTicker(memoryPoll)
	defer poll.Stop()
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for {
		select {
		case res := <-ch:
			return res.r, res.err
		case <-timer.C:
			return nil, tooCostly(opts, fmt.Sprintf("evaluating the platform took longer than %s", maxTime), "--max-eval-time")
		case <-poll.C:
			metrics.Read(heap)
			if heap[0].Value.Kind() == metrics.KindUint64 && heap[0].Value.Uint64() > maxMemory {
				return nil, tooCostly(opts, fmt.Sprintf("evaluating the platform took more than %s of memory", byteSize(maxMemory)), "--max-eval-memory")
			}
		}
	}
}

// tooCostly is the error of an evaluation past its bounds: it points at
// the places in the platform that can multiply values, since CUE cannot
// say where it spends its time or memory.
func tooCostly(opts Options, message, flag string) diag.List {
	dir := opts.PlatformDir
	if dir == "" {
		dir = "cue"
	}
	raise := "; a platform of tens of thousands of models may need more: raise the bound with " + flag
	d := diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: filepath.ToSlash(dir) + "/"},
		Message: message,
		Hint:    "look for a comprehension or disjunction that multiplies values (1,000 models take about a second and 150 MiB)" + raise}
	if s := multipliers(filepath.Join(opts.Root, dir), filepath.ToSlash(dir)); len(s) > 0 {
		d.Pos, d.Also = s[0], s[1:min(len(s), 10)]
		d.Message += "; values can multiply at the comprehensions and generating calls (list.Range, list.Repeat, strings.Repeat) at this and the positions below"
		d.Hint = "bound what they generate (a range of thousands of elements, or comprehensions nested over each other, can take minutes), or write the values out" + raise
	}
	return diag.List{d}
}

// byteSize spells n in the largest binary unit that keeps one decimal.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// multipliers returns the positions of the comprehensions and of the
// calls that generate values (list.Range, list.Repeat, strings.Repeat) in
// the platform's own files (dir, shown as rel), in file and source order.
// It reads the files as the loader does (readVetted) and parses them.
func multipliers(dir, rel string) []diag.Pos {
	files, err := readCUEFiles(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []diag.Pos
	for _, n := range names {
		f, err := parser.ParseFile(n, files[n])
		if err != nil {
			continue
		}
		at := func(p token.Pos) {
			out = append(out, diag.Pos{File: rel + "/" + n, Line: p.Line(), Col: p.Column()})
		}
		ast.Walk(f, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.Comprehension:
				at(x.Pos())
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
					name, _, _ := ast.LabelName(sel.Sel)
					if pkg, ok := sel.X.(*ast.Ident); ok {
						switch pkg.Name + "." + name {
						case "list.Range", "list.Repeat", "strings.Repeat":
							at(x.Pos())
						}
					}
				}
			}
			return true
		}, nil)
	}
	return out
}
