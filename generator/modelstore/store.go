package modelstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Expectation is what the platform declares for one model (built by the
// caller from the CUE model).
type Expectation struct {
	Model string // model name, for messages
	// Format is the KServe modelFormat name: "onnx", "tensorflow",
	// "pytorch", "keras", "tensorrt", "openvino_ir", "sklearn", ...
	Format string
	// Path is the storage path relative to the store root, e.g.
	// "pytorch/style-transfer/".
	Path string
	// Inputs and Outputs are the declared tensors; Shape entries -1 are
	// dynamic. An empty DataType or a nil Shape is not checked.
	Inputs, Outputs []Tensor
}

// Finding is one disagreement between the store and a declaration.
type Finding struct {
	Model   string
	Field   string // e.g. "inputs[0].name", "path"
	Message string // one line, lowercase start, no trailing period
	Hint    string // what to do
}

// Files the serving runtimes treat specially next to model data.
const (
	tritonConfig    = "config.pbtxt"
	modelMeshSchema = "_schema.json"
	savedModelDir   = "model.savedmodel" // Triton: <n>/model.savedmodel/
	onnxModelName   = "model.onnx"       // Triton: <n>/model.onnx
)

// CheckStore checks the model store mirrored at root against the
// declarations. Paths in findings are relative to root, so the result does
// not depend on where the store is mirrored. Findings are sorted by model,
// field and message.
func CheckStore(root string, exps []Expectation) []Finding {
	var out []Finding
	for _, e := range exps {
		c := checker{root: root, exp: e}
		c.check()
		out = append(out, c.findings...)
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

type checker struct {
	root     string
	exp      Expectation
	findings []Finding
}

func (c *checker) add(field, hint, format string, args ...any) {
	c.findings = append(c.findings, Finding{
		Model:   c.exp.Model,
		Field:   field,
		Message: fmt.Sprintf(format, args...),
		Hint:    hint,
	})
}

// rel shows p relative to the store root, with a trailing slash for dirs.
func (c *checker) rel(p string, dir bool) string {
	r, err := filepath.Rel(c.root, p)
	if err != nil {
		r = p
	}
	r = filepath.ToSlash(r)
	if dir && r != "." {
		r += "/"
	}
	return r
}

func (c *checker) check() {
	p := strings.TrimSpace(c.exp.Path)
	if p == "" {
		c.add("path", "set the model's storage path, relative to the model store root",
			"storage path is empty")
		return
	}
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		c.add("path", "use a path relative to the model store root, without a leading / or any .. element",
			"storage path %q is not inside the model store", p)
		return
	}
	full := filepath.Join(c.root, filepath.FromSlash(p))
	st, err := os.Stat(full)
	if errors.Is(err, fs.ErrNotExist) {
		c.add("path", fmt.Sprintf("upload the model to %q in the model store or correct the model's storage path", p),
			"storage path %q does not exist in the model store", p)
		return
	}
	if err != nil {
		c.add("path", "check the permissions of the model store mirror",
			"cannot read storage path %q: %s", p, errText(err))
		return
	}
	switch strings.ToLower(strings.TrimSpace(c.exp.Format)) {
	case "onnx":
		c.checkONNX(full, st)
	case "tensorflow":
		c.checkSavedModel(full, st)
	}
}

// versionDir returns the directory the runtime loads from dir: like the
// ModelMesh Triton adapter, when dir has subdirectories and all of them are
// positive integers, the largest version; otherwise dir itself.
func versionDir(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return dir
	}
	best, bestDir := 0, ""
	for _, e := range ents {
		if !isDir(filepath.Join(dir, e.Name())) {
			continue
		}
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			return dir
		}
		if n > best {
			best, bestDir = n, e.Name()
		}
	}
	if bestDir == "" {
		return dir
	}
	return filepath.Join(dir, bestDir)
}

// isDir and isFile follow symbolic links.
func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// modelEntries lists dir without the files runtimes keep beside model data.
func modelEntries(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.Name() == tritonConfig || e.Name() == modelMeshSchema {
			continue
		}
		names = append(names, e.Name())
	}
	return names
}

func hasSavedModel(dir string) bool {
	return isFile(filepath.Join(dir, "saved_model.pb")) || isFile(filepath.Join(dir, "saved_model.pbtxt"))
}

func (c *checker) checkSavedModel(full string, st fs.FileInfo) {
	p := c.exp.Path
	if !st.IsDir() {
		c.add("path", "point the storage path at the SavedModel directory that holds saved_model.pb and variables/",
			"storage path %q is a file, not a tensorflow SavedModel directory", p)
		return
	}
	v := versionDir(full)
	dir := ""
	switch {
	case hasSavedModel(v):
		dir = v
	case hasSavedModel(filepath.Join(v, savedModelDir)):
		dir = filepath.Join(v, savedModelDir)
	default:
		// A directory holding a single directory is looked into, as the
		// ModelMesh Triton adapter does.
		if ents := modelEntries(v); len(ents) == 1 && hasSavedModel(filepath.Join(v, ents[0])) {
			dir = filepath.Join(v, ents[0])
		}
	}
	if dir == "" {
		c.add("path", fmt.Sprintf("copy the whole SavedModel export (saved_model.pb and variables/) to %q, directly or under a version directory such as 1/ or 1/model.savedmodel/", p),
			"no saved_model.pb in %q", c.rel(v, true))
		return
	}
	vars := filepath.Join(dir, "variables")
	if !isDir(vars) {
		c.add("path", "copy the variables/ directory that was exported next to saved_model.pb",
			"tensorflow SavedModel %q has no variables/ directory", c.rel(dir, true))
	}
}

func (c *checker) checkONNX(full string, st fs.FileInfo) {
	p := c.exp.Path
	file := ""
	if !st.IsDir() {
		if !strings.EqualFold(filepath.Ext(full), ".onnx") {
			c.add("path", "point the storage path at the .onnx file or at the directory that holds it",
				"storage path %q is a file without the .onnx extension", p)
			return
		}
		file = full
	} else {
		v := versionDir(full)
		if tdir := filepath.Join(v, onnxModelName); isDir(tdir) {
			// Triton: model.onnx may be a directory holding model.onnx and
			// its external data.
			file = filepath.Join(tdir, onnxModelName)
			if !isFile(file) {
				c.add("path", "put the model in model.onnx inside that directory",
					"no model.onnx in %q", c.rel(tdir, true))
				return
			}
		} else {
			var onnx []string
			for _, name := range modelEntries(v) {
				if strings.EqualFold(path.Ext(name), ".onnx") && isFile(filepath.Join(v, name)) {
					onnx = append(onnx, name)
				}
			}
			switch {
			case len(onnx) == 0:
				c.add("path", fmt.Sprintf("upload the exported .onnx file to %q (one .onnx file, or 1/model.onnx)", p),
					"no .onnx file in %q", c.rel(v, true))
				return
			case len(onnx) == 1:
				file = filepath.Join(v, onnx[0])
			case slices.Contains(onnx, onnxModelName):
				file = filepath.Join(v, onnxModelName)
			default:
				c.add("path", "keep one .onnx file in the directory, or name the one to serve model.onnx",
					"%d .onnx files in %q (%s): the runtime cannot tell which one to load", len(onnx), c.rel(v, true), strings.Join(onnx, ", "))
				return
			}
		}
	}
	sig, err := readONNX(file)
	if err != nil {
		c.add("path", "re-export the model to ONNX and upload it again; the file may be truncated or not an ONNX model",
			"cannot read model file %q: %s", c.rel(file, false), errText(err))
		return
	}
	c.compare("input", "inputs", c.exp.Inputs, sig.Inputs, c.rel(file, false))
	c.compare("output", "outputs", c.exp.Outputs, sig.Outputs, c.rel(file, false))
}

// compare checks declared tensors against the model file's, by name.
func (c *checker) compare(kind, plural string, declared, actual []Tensor, file string) {
	byName := map[string]Tensor{}
	var names []string
	for _, t := range actual {
		byName[t.Name] = t
		names = append(names, strconv.Quote(t.Name))
	}
	seen := map[string]bool{}
	for i, d := range declared {
		at := fmt.Sprintf("%s[%d]", plural, i)
		if seen[d.Name] {
			c.add(at+".name", fmt.Sprintf("remove the duplicate %s", kind),
				"%s %q is declared twice", kind, d.Name)
			continue
		}
		seen[d.Name] = true
		t, ok := byName[d.Name]
		if !ok {
			has := "the file has no " + plural
			if len(names) > 0 {
				has = fmt.Sprintf("the file has %s %s", plural, strings.Join(names, ", "))
			}
			c.add(at+".name", fmt.Sprintf("declare the %s under the name the model file uses, or re-export the model with %s name %q", kind, kind, d.Name),
				"%s %q is not in model file %q; %s", kind, d.Name, file, has)
			continue
		}
		if d.DataType != "" && !strings.EqualFold(d.DataType, t.DataType) {
			fileType := t.DataType
			if fileType == "" {
				fileType = "a non-tensor type"
			}
			c.add(at+".datatype", fmt.Sprintf("declare datatype %s, or re-export the model with %s %q as %s", orNone(t.DataType), kind, d.Name, strings.ToUpper(d.DataType)),
				"%s %q datatype: model file has %s, CUE declares %s", kind, d.Name, fileType, d.DataType)
		}
		if d.Shape == nil || t.Shape == nil {
			continue // rank unknown on one side
		}
		if len(d.Shape) != len(t.Shape) {
			c.add(at+".shape", fmt.Sprintf("declare a shape of rank %d such as %s (-1 for a dynamic dimension)", len(t.Shape), shapeText(t.Shape)),
				"%s %q rank: model file has %d %s, CUE declares %d %s", kind, d.Name, len(t.Shape), shapeText(t.Shape), len(d.Shape), shapeText(d.Shape))
			continue
		}
		for j := range d.Shape {
			fv, dv := t.Shape[j], d.Shape[j]
			if fv < 0 || dv < 0 || fv == dv {
				continue
			}
			c.add(fmt.Sprintf("%s.shape[%d]", at, j), fmt.Sprintf("declare %d for dim %d, or re-export the model with dim %d = %d", fv, j, j, dv),
				"%s %q dim %d: model file has %d, CUE declares %d", kind, d.Name, j, fv, dv)
		}
	}
	if kind != "input" {
		return // undeclared outputs are not read; they do no harm
	}
	for _, t := range actual {
		if seen[t.Name] {
			continue
		}
		c.add(plural, fmt.Sprintf("declare input %q (%s %s): the service must send it", t.Name, orNone(t.DataType), shapeText(t.Shape)),
			"model file %q has input %q that the CUE does not declare", file, t.Name)
	}
}

func orNone(dt string) string {
	if dt == "" {
		return "non-tensor"
	}
	return dt
}

func shapeText(s []int64) string {
	if s == nil {
		return "[unknown rank]"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// errText drops the absolute path an fs error carries, so that messages
// do not depend on where the store is mirrored.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func compareFindings(a, b Finding) int {
	if a.Model != b.Model {
		return strings.Compare(a.Model, b.Model)
	}
	if n := naturalCompare(a.Field, b.Field); n != 0 {
		return n
	}
	if a.Message != b.Message {
		return strings.Compare(a.Message, b.Message)
	}
	return strings.Compare(a.Hint, b.Hint)
}

// naturalCompare orders strings with runs of digits compared as numbers,
// so that inputs[2] sorts before inputs[10].
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if n := strings.Compare(na, nb); n != 0 {
				return n
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
