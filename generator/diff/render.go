package diff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Section is one environment and target: the directory <env>/<target> of
// an overlays tree.
type Section struct {
	Env    string `json:"env"`
	Target string `json:"target"`
}

func (s Section) String() string { return s.Env + "/" + s.Target }

func (s Section) less(t Section) bool {
	if s.Env != t.Env {
		return s.Env < t.Env
	}
	return s.Target < t.Target
}

// ObjectID pairs objects across versions. The API version is not part of
// it: a version bump shows as a change of the apiVersion field.
type ObjectID struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind namespace/name", or "Kind name" for cluster-scoped
// objects.
func (id ObjectID) String() string {
	if id.Namespace == "" {
		return id.Kind + " " + id.Name
	}
	return id.Kind + " " + id.Namespace + "/" + id.Name
}

// Less orders objects by kind, namespace, name and group, as every report does.
func (id ObjectID) Less(o ObjectID) bool {
	if id.Kind != o.Kind {
		return id.Kind < o.Kind
	}
	if id.Namespace != o.Namespace {
		return id.Namespace < o.Namespace
	}
	if id.Name != o.Name {
		return id.Name < o.Name
	}
	return id.Group < o.Group
}

// Manifests is one rendered version of the platform: the objects of every
// section, keyed by ObjectID. Bodies are JSON values (map[string]any,
// []any, string, json.Number, bool, nil).
type Manifests struct {
	Sections map[Section]map[ObjectID]map[string]any
}

// Envs returns the environments of m, sorted.
func (m *Manifests) Envs() []string {
	seen := map[string]bool{}
	var out []string
	for s := range m.Sections {
		if !seen[s.Env] {
			seen[s.Env] = true
			out = append(out, s.Env)
		}
	}
	sort.Strings(out)
	return out
}

// Render builds every <env>/<target> directory of t. A directory holding
// a kustomization.yaml is built with kustomize; any other is read as
// plain (multi-document) YAML files. Files less than three levels deep
// are ignored. A file whose YAML aliases expand beyond a bound
// (checkAliases) is refused before anything is built.
func Render(t emit.Tree) (*Manifests, error) {
	fs := filesys.MakeFsInMemory()
	sections := map[Section]bool{}
	for _, p := range t.Paths() {
		parts := strings.SplitN(p, "/", 3)
		if len(parts) < 3 || parts[0] == "" || parts[1] == "" || strings.HasPrefix(parts[0], ".") {
			continue
		}
		if err := checkAliases(t[p]); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if kustomizationNames[path.Base(p)] {
			if err := checkLocalOnly(t[p]); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		sections[Section{parts[0], parts[1]}] = true
		if err := fs.WriteFile("/"+p, t[p]); err != nil {
			return nil, err
		}
	}
	keys := make([]Section, 0, len(sections))
	for s := range sections {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	m := &Manifests{Sections: map[Section]map[ObjectID]map[string]any{}}
	ko := krusty.MakeDefaultOptions()
	// Order is irrelevant to a comparison by ObjectID; "unspecified" keeps
	// kustomize from logging that sortOptions overrides the CLI default.
	ko.Reorder = krusty.ReorderOptionUnspecified
	k := krusty.MakeKustomizer(ko)
	for _, s := range keys {
		var bodies []map[string]any
		var err error
		if _, ok := t[s.String()+"/kustomization.yaml"]; ok {
			bodies, err = build(k, fs, s)
		} else {
			bodies, err = plain(t, s)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		objs := map[ObjectID]map[string]any{}
		for _, b := range bodies {
			id := idOf(b)
			if id.Kind == "" || id.Name == "" {
				return nil, fmt.Errorf("%s: an object lacks kind or metadata.name", s)
			}
			if _, dup := objs[id]; dup {
				return nil, fmt.Errorf("%s: %s (group %q) appears twice", s, id, id.Group)
			}
			objs[id] = b
		}
		m.Sections[s] = objs
	}
	return m, nil
}

func build(k *krusty.Kustomizer, fs filesys.FileSystem, s Section) ([]map[string]any, error) {
	rm, err := k.Run(fs, "/"+s.String())
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, r := range rm.Resources() {
		body, err := r.Map()
		if err != nil {
			return nil, err
		}
		n, err := normalize(body)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// plain reads every .yaml/.yml file of a section without kustomize.
func plain(t emit.Tree, s Section) ([]map[string]any, error) {
	var out []map[string]any
	for _, p := range t.Paths() {
		if !strings.HasPrefix(p, s.String()+"/") {
			continue
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			continue
		}
		docs, err := splitDocs(t[p])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, docs...)
	}
	return out, nil
}

func splitDocs(data []byte) ([]map[string]any, error) {
	var out []map[string]any
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(j))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("a YAML document is not a mapping")
		}
		if list, ok := m["items"].([]any); ok && strings.HasSuffix(str(m["kind"]), "List") {
			for _, it := range list {
				if im, ok := it.(map[string]any); ok {
					out = append(out, im)
				}
			}
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// normalize turns a decoded object into plain JSON values, numbers as
// json.Number, so both versions compare alike whatever decoded them: what
// a JSON round trip with UseNumber gives (roundTrip). A body of plain
// values is converted in place — the caller's body is consumed — which
// costs neither the round trip nor a second copy of every object of both
// versions (at 10,000 models, gigabytes).
func normalize(body map[string]any) (map[string]any, error) {
	if plainJSON(body) {
		numbersInPlace(body)
		return body, nil
	}
	return roundTrip(body)
}

// plainJSON reports whether v holds only values a JSON round trip keeps
// as they are, numbers aside: maps with valid UTF-8 keys, lists, valid
// UTF-8 strings, bools, nil, Go numbers and valid json.Numbers.
func plainJSON(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if !utf8.ValidString(k) || !plainJSON(c) {
				return false
			}
		}
		return true
	case []any:
		for _, c := range v {
			if !plainJSON(c) {
				return false
			}
		}
		return true
	case string:
		return utf8.ValidString(v)
	case bool, nil, int, int32, int64:
		return true
	case float64:
		return !math.IsInf(v, 0) && !math.IsNaN(v)
	case json.Number:
		return json.Valid([]byte(v))
	}
	return false
}

// numbersInPlace replaces the Go numbers of a plainJSON value by
// json.Number spelled as encoding/json spells them.
func numbersInPlace(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if n, ok := jsonNumber(c); ok {
				v[k] = n
			} else {
				numbersInPlace(c)
			}
		}
	case []any:
		for i, c := range v {
			if n, ok := jsonNumber(c); ok {
				v[i] = n
			} else {
				numbersInPlace(c)
			}
		}
	}
}

func jsonNumber(v any) (json.Number, bool) {
	switch v := v.(type) {
	case int:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), true
	case float64:
		b, _ := json.Marshal(v) // finite: checked by plainJSON
		return json.Number(b), true
	}
	return "", false
}

// roundTrip is normalize through encoding/json.
func roundTrip(body map[string]any) (map[string]any, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func str(v any) string { s, _ := v.(string); return s }

func idOf(body map[string]any) ObjectID {
	md, _ := body["metadata"].(map[string]any)
	group, _, found := strings.Cut(str(body["apiVersion"]), "/")
	if !found {
		group = "" // core API: "v1"
	}
	return ObjectID{Group: group, Kind: str(body["kind"]), Namespace: str(md["namespace"]), Name: str(md["name"])}
}

// RenderDir renders an overlays directory on disk (holding
// <env>/<target>/…). What it reads is bounded (MaxOverlayFileBytes,
// MaxOverlayFiles, MaxOverlayBytes): the directory may be someone else's.
func RenderDir(dir string) (*Manifests, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	t, err := readOverlays(dir)
	if err != nil {
		return nil, err
	}
	return Render(t)
}

// CompileError is a version that does not compile; Err is usually a
// diag.List.
type CompileError struct {
	Version string
	Err     error
}

func (e *CompileError) Error() string { return e.Version + ": " + e.Err.Error() }
func (e *CompileError) Unwrap() error { return e.Err }

// FromResult takes the objects of a compilation directly, without
// building its kustomizations: aimesh's overlays are plain rendered
// resources that kustomize passes through unchanged, so the object set of
// <env>/<target> is the compiled objects of that env and target
// (TestFromResultMatchesKrusty proves it on the reference app). Unlike a
// kustomize build, whose cost grows with the square of the resources of a
// root, this is linear. The bodies are normalised in place.
func FromResult(res *compile.Result) (*Manifests, error) {
	m := &Manifests{Sections: map[Section]map[ObjectID]map[string]any{}}
	for env, objs := range res.Objects {
		if err := m.add(env, objs); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Manifests) add(env string, objs []object.Object) error {
	for _, o := range objs {
		s := Section{Env: env, Target: string(o.Target)}
		sec := m.Sections[s]
		if sec == nil {
			sec = map[ObjectID]map[string]any{}
			m.Sections[s] = sec
		}
		b, err := normalize(o.Body)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", s, o.ID(), err)
		}
		id := idOf(b)
		if _, dup := sec[id]; dup {
			return fmt.Errorf("%s: %s (group %q) appears twice", s, id, id.Group)
		}
		sec[id] = b
	}
	return nil
}

// Version is one side of a diff: a platform loaded and checked whose
// environments are compiled one at a time (Env), so that comparing two
// versions holds one environment of each in memory, not all of them.
type Version struct {
	Name    string
	res     *load.Result
	cleanup func()
}

// Close removes the version's temporary checkout, if any.
func (v *Version) Close() {
	if v != nil && v.cleanup != nil {
		v.cleanup()
		v.cleanup = nil
	}
}

// Envs returns the version's environment names, sorted.
func (v *Version) Envs() []string { return v.res.Platform.EnvNames() }

// Env compiles one environment (rendering, checks and validation, no
// files) and returns its sections. When the environment does not
// compile, the error is what compiling every environment reports, so the
// findings read as aimesh generate prints them (common ones folded).
func (v *Version) Env(env string) (*Manifests, error) {
	objs, err := compile.Render(v.res, env)
	if err != nil {
		if _, all := compile.Objects(v.res, nil); all != nil {
			err = all
		}
		return nil, &CompileError{Version: v.Name, Err: err}
	}
	m := &Manifests{Sections: map[Section]map[ObjectID]map[string]any{}}
	if err := m.add(env, objs); err != nil {
		return nil, err
	}
	return m, nil
}

func loadVersion(name string, opts load.Options, cleanup func()) (*Version, error) {
	res, err := load.Load(opts)
	if err == nil {
		_, err = compile.Check(res)
	}
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, &CompileError{Version: name, Err: err}
	}
	return &Version{Name: name, res: res, cleanup: cleanup}, nil
}

// LoadWorktree loads and checks the platform described by opts.
func LoadWorktree(opts load.Options) (*Version, error) {
	return loadVersion("working tree", opts, nil)
}

// LoadRef loads and checks the platform as it is at the git ref: the
// platform and schema directories of opts are extracted from the
// repository holding opts.Root into a temporary directory, removed by
// Close; the working tree and the index are not touched.
func LoadRef(opts load.Options, ref string) (*Version, error) {
	root := opts.Root
	if root == "" {
		root = "."
	}
	platform, schemas := opts.PlatformDir, opts.SchemaDir
	if platform == "" {
		platform = "cue"
	}
	tmp, err := newTemp()
	if err != nil {
		return nil, err
	}
	cleanup := func() {
		os.RemoveAll(tmp)
		temps.Delete(tmp)
	}
	// The schema is aimesh's own unless --schemas names a directory of the
	// repository; the platform's module (cue.mod) comes with the platform.
	dirs := []string{platform}
	if schemas != "" {
		dirs = append(dirs, schemas)
	}
	if err := Checkout(root, ref, tmp, dirs...); err != nil {
		cleanup()
		return nil, err
	}
	o := opts
	o.Root = tmp
	o.PlatformDir, o.SchemaDir = platform, schemas
	return loadVersion(ref, o, cleanup)
}

// CompareVersions compares two loaded versions environment by
// environment: both versions of one environment are compiled (in
// parallel), compared and dropped before the next. The report is what
// Compare gives for the two whole versions.
func CompareVersions(base, head *Version, opts Options) (*Report, error) {
	seen := map[string]bool{}
	var envs []string
	for _, v := range []*Version{base, head} {
		for _, e := range v.Envs() {
			if !seen[e] {
				seen[e] = true
				envs = append(envs, e)
			}
		}
	}
	sort.Strings(envs)
	for _, e := range opts.Envs {
		if !seen[e] {
			return nil, fmt.Errorf("environment %q is in neither version", e)
		}
	}
	r := &Report{Base: opts.Base, Head: opts.Head, Sections: []SectionDiff{}}
	for _, env := range envs {
		if len(opts.Envs) > 0 && !slices.Contains(opts.Envs, env) {
			continue
		}
		var ms [2]*Manifests
		var errs [2]error
		var wg sync.WaitGroup
		for i, v := range []*Version{base, head} {
			if !slices.Contains(v.Envs(), env) {
				ms[i] = &Manifests{Sections: map[Section]map[ObjectID]map[string]any{}}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ms[i], errs[i] = v.Env(env)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			return nil, err
		}
		er, err := Compare(ms[0], ms[1], Options{Base: opts.Base, Head: opts.Head})
		if err != nil {
			return nil, err
		}
		r.Sections = append(r.Sections, er.Sections...)
	}
	sort.Slice(r.Sections, func(i, j int) bool { return r.Sections[i].Section.less(r.Sections[j].Section) })
	return r, nil
}

// Checkout writes the directories dirs (relative to root) as they are at
// the git ref into dst. It reads git objects only (git ls-tree and git
// cat-file), so neither the working tree, the index nor .gitattributes
// filters play a part. Symbolic links and submodules are skipped.
//
// The ref is untrusted input (a pull request): only the files the loader
// reads are written — .cue files, except those whose name, or the name of
// a directory they are in, starts with "." or "_" — and the loader's limits (load.MaxFileBytes,
// load.MaxFiles, load.MaxTotalBytes per directory) are applied to the
// sizes git lists, before any content is read. Contents are streamed from
// git one file at a time.
func Checkout(root, ref, dst string, dirs ...string) error {
	if strings.HasPrefix(ref, "-") {
		return fmt.Errorf("invalid git ref %q", ref)
	}
	commit, err := git(root, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return fmt.Errorf("git ref %q does not name a commit in %s", ref, root)
	}
	prefix, err := git(root, nil, "rev-parse", "--show-prefix")
	if err != nil {
		return err
	}
	tree := strings.TrimSpace(string(commit)) + ":" + strings.TrimSpace(string(prefix))
	ds := make([]string, len(dirs))
	for i, d := range dirs {
		ds[i] = filepath.ToSlash(filepath.Clean(d))
	}
	blobs, err := listBlobs(root, ref, tree, ds)
	if err != nil {
		return err
	}
	err = tempWrite(func() error {
		for _, d := range ds {
			if err := os.MkdirAll(filepath.Join(dst, filepath.FromSlash(d)), 0o755); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return catBlobs(root, blobs, func(b blob, data []byte) error {
		return tempWrite(func() error {
			target := filepath.Join(dst, filepath.FromSlash(b.name))
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		})
	})
}

// blob is a file to check out: its path, object name and size.
type blob struct {
	name, oid string
	size      int64
}

// maxTreeEntry bounds one record of git ls-tree (mode, type, object,
// size and path).
const maxTreeEntry = 64 << 10

// listBlobs lists, with git ls-tree, the files below the directories ds
// of tree that the loader reads, and refuses what it would refuse. Each
// directory must hold something at the ref.
func listBlobs(root, ref, tree string, ds []string) ([]blob, error) {
	args := append([]string{"ls-tree", "-r", "-z", "-l", "--full-tree", tree, "--"}, ds...)
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git ls-tree: %w", err)
	}
	fail := func(err error) ([]blob, error) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	var blobs []blob
	found := make([]bool, len(ds))
	count := make([]int, len(ds))
	total := make([]int64, len(ds))
	r := bufio.NewReaderSize(out, maxTreeEntry)
	for {
		rec, err := r.ReadSlice(0)
		if err == io.EOF && len(rec) == 0 {
			break
		}
		if err == bufio.ErrBufferFull {
			return fail(fmt.Errorf("git ls-tree: an entry of %s at %s is longer than %d KiB", strings.Join(ds, ", "), ref, maxTreeEntry>>10))
		}
		if err != nil && err != io.EOF {
			return fail(fmt.Errorf("git ls-tree: %w", err))
		}
		meta, name, ok := strings.Cut(strings.TrimSuffix(string(rec), "\x00"), "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta) // mode type object size
		if len(f) != 4 || f[1] != "blob" || f[0] == "120000" {
			continue
		}
		clean := path.Clean(name)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fail(fmt.Errorf("git ls-tree: unsafe path %q", name))
		}
		in, rel := -1, ""
		for i, d := range ds {
			sub, ok := strings.CutPrefix(clean, d+"/")
			if d == "." {
				sub, ok = clean, true
			}
			if ok {
				found[i] = true
				if in < 0 {
					in, rel = i, sub
				}
			}
		}
		if in < 0 || !loaderReads(rel) {
			continue
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || size < 0 {
			return fail(fmt.Errorf("git ls-tree: unexpected entry %q", meta))
		}
		if size > load.MaxFileBytes {
			return fail(fmt.Errorf("%s at %s: file of %d bytes; aimesh reads files of at most %d MiB", clean, ref, size, load.MaxFileBytes>>20))
		}
		if count[in]++; count[in] > load.MaxFiles {
			return fail(fmt.Errorf("%s at %s holds more than %d .cue files; aimesh reads at most %d", ds[in], ref, load.MaxFiles, load.MaxFiles))
		}
		if total[in] += size; total[in] > load.MaxTotalBytes {
			return fail(fmt.Errorf("the .cue files below %s at %s exceed %d MiB together; aimesh reads at most that", ds[in], ref, load.MaxTotalBytes>>20))
		}
		blobs = append(blobs, blob{name: clean, oid: f[2], size: size})
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("listing %s at %s: git ls-tree: %s", strings.Join(ds, ", "), ref, msg)
	}
	for i, d := range ds {
		if !found[i] {
			return nil, fmt.Errorf("%s does not exist at %s", d, ref)
		}
	}
	return blobs, nil
}

// loaderReads reports whether the loader reads a file at rel (slash
// separated, relative to the directory it loads): a .cue file, not in a
// directory and not itself named with a leading "." or "_", which CUE
// ignores (load.vet).
func loaderReads(rel string) bool {
	if !strings.HasSuffix(rel, ".cue") {
		return false
	}
	for _, e := range strings.Split(rel, "/") {
		if strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_") {
			return false
		}
	}
	return true
}

// catBlobs streams the contents of blobs from one git cat-file --batch
// and hands each to write, in order. Only one file is held in memory at a
// time; its size is the one listBlobs checked.
func catBlobs(root string, blobs []blob, write func(blob, []byte) error) error {
	if len(blobs) == 0 {
		return nil
	}
	var in strings.Builder
	for _, b := range blobs {
		in.WriteString(b.oid)
		in.WriteByte('\n')
	}
	cmd := exec.Command("git", "-C", root, "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	fail := func(err error) error {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	r := bufio.NewReader(out)
	var buf []byte
	for _, b := range blobs {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return fail(fmt.Errorf("git cat-file: %s: %w", b.name, err))
		}
		header := strings.TrimSpace(string(line))
		f := strings.Fields(header) // object type size
		if len(f) != 3 || f[0] != b.oid || f[1] != "blob" || f[2] != strconv.FormatInt(b.size, 10) {
			return fail(fmt.Errorf("git cat-file: unexpected header %q for %s", header, b.name))
		}
		if int64(cap(buf)) < b.size+1 {
			buf = make([]byte, b.size+1)
		}
		data := buf[:b.size+1] // content and LF
		if _, err := io.ReadFull(r, data); err != nil {
			return fail(fmt.Errorf("git cat-file: %s: %w", b.name, err))
		}
		if err := write(b, data[:b.size]); err != nil {
			return fail(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("git cat-file: %s", msg)
	}
	return nil
}

func git(dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

// The temporary checkouts of loaded versions (LoadRef) not yet closed
// are in temps. Every write below a temporary checkout (tempWrite) holds
// tempMu for reading and is refused once closing is set; RemoveTemp sets
// closing holding tempMu for writing, so it waits for the writes under way
// and, once it returns, nothing is written any more: the directories it
// removed are not recreated by a checkout still running.
var (
	tempMu  sync.RWMutex
	closing bool
	temps   sync.Map
)

// ErrInterrupted is returned by Checkout and LoadRef once RemoveTemp has
// been called.
var ErrInterrupted = errors.New("interrupted: temporary checkouts removed")

// tempWrite runs write, which creates files or directories below a
// temporary checkout, unless RemoveTemp has been called.
func tempWrite(write func() error) error {
	tempMu.RLock()
	defer tempMu.RUnlock()
	if closing {
		return ErrInterrupted
	}
	return write()
}

// newTemp creates and registers a temporary checkout directory.
func newTemp() (string, error) {
	var tmp string
	err := tempWrite(func() error {
		var err error
		if tmp, err = os.MkdirTemp("", "aimesh-diff-"); err == nil {
			temps.Store(tmp, true)
		}
		return err
	})
	return tmp, err
}

// RemoveTemp removes the temporary checkouts of loaded versions and stops
// the checkouts under way: once it returns, nothing is written below a
// temporary checkout any more (Checkout and LoadRef return
// ErrInterrupted). The CLI calls it when interrupted (SIGINT, SIGTERM)
// before exiting.
func RemoveTemp() {
	tempMu.Lock()
	defer tempMu.Unlock()
	closing = true
	temps.Range(func(k, _ any) bool {
		os.RemoveAll(k.(string))
		temps.Delete(k)
		return true
	})
}
