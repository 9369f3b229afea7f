package diff

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aimesh/aimesh/generator/emit"
)

// Limits of what aimesh diff --dirs reads from an overlays directory: the
// directory may come from someone else (a pull request). They are the
// loader's limits (load.MaxFileBytes, load.MaxFiles, load.MaxTotalBytes)
// scaled to rendered trees, which are larger than the CUE they come from
// (10,000 models render to 3,388 files, 126 MiB; no object the API server
// stores exceeds 1.5 MiB).
const (
	// MaxOverlayFileBytes is the largest file diff --dirs reads.
	MaxOverlayFileBytes = 16 << 20
	// MaxOverlayBytes bounds the files of one directory together.
	MaxOverlayBytes = 256 << 20
	// MaxOverlayFiles bounds the number of files of one directory.
	MaxOverlayFiles = 32768
)

// readOverlays reads the files of an overlays directory that Render
// builds: regular files at least three levels deep (<env>/<target>/…),
// outside top-level directories whose name starts with "." and outside
// .aimesh-* directories, without aimesh's ownership manifests (the files
// emit.ReadDir reads, among them the ones Render uses). Files, bytes and
// file sizes are bounded by the MaxOverlay limits.
func readOverlays(dir string) (emit.Tree, error) {
	t := emit.Tree{}
	count, total := 0, int64(0)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), ".aimesh-") || (!strings.Contains(rel, "/") && strings.HasPrefix(rel, "."))) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == emit.ManifestName || strings.Count(rel, "/") < 2 {
			return nil // not read by Render
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Skipped, it would reach kustomize as a missing file.
			return fmt.Errorf("%s: a symbolic link; aimesh diff does not follow links (one could point outside the directory), and aimesh never writes one: replace it by the file", rel)
		}
		if !d.Type().IsRegular() {
			return nil // not read by Render
		}
		if count++; count > MaxOverlayFiles {
			return fmt.Errorf("%s holds more than %d files; aimesh diff reads at most %d", dir, MaxOverlayFiles, MaxOverlayFiles)
		}
		data, err := readRegular(p, rel)
		if err != nil {
			return err
		}
		if total += int64(len(data)); total > MaxOverlayBytes {
			return fmt.Errorf("the files below %s exceed %d MiB together; aimesh diff reads at most that", dir, MaxOverlayBytes>>20)
		}
		t[rel] = data
		return nil
	})
	return t, err
}

// readRegular reads p if it is a regular file of at most
// MaxOverlayFileBytes; the checks are made on the opened file.
func readRegular(p, rel string) ([]byte, error) {
	// O_NONBLOCK: a file swapped for a FIFO must not block the open.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file; aimesh diff reads only regular files", rel)
	}
	if st.Size() > MaxOverlayFileBytes {
		return nil, fmt.Errorf("%s: file of %d bytes; aimesh diff reads files of at most %d MiB", rel, st.Size(), MaxOverlayFileBytes>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxOverlayFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxOverlayFileBytes {
		return nil, fmt.Errorf("%s: file larger than %d MiB; aimesh diff reads files of at most that size", rel, MaxOverlayFileBytes>>20)
	}
	return data, nil
}

// Bounds of the expansion of YAML aliases in one file: kustomize (kyaml)
// copies the node an alias refers to for every alias, so a few lines of
// nested aliases ("billion laughs") expand to billions of nodes. A file
// may expand to at most aliasFactor times the nodes written in it plus
// aliasSlack, and aliases may add at most aliasMaxAdded nodes.
const (
	aliasFactor   = 10
	aliasSlack    = 10_000
	aliasMaxAdded = 1_000_000
)

// checkAliases refuses a YAML file whose aliases expand beyond the bounds
// above, or refer to a node that contains them (an endless expansion,
// which overflows kyaml's stack). The nodes are counted on the parse trees
// of go.yaml.in/yaml/v3 (the parser kyaml uses), which keep aliases as
// references, with the expansion of each anchored node remembered: the
// cost is linear in the size of the file. The file is read both as one
// YAML stream and cut into documents as kyaml's reader cuts it (at every
// line starting with "---", each document parsed on its own), so that
// neither reading escapes the count. A file without "&" has no anchor,
// hence no alias, and is not parsed. What does not parse is left to
// kustomize, which reports it if it reads it.
func checkAliases(data []byte) error {
	if bytes.IndexByte(data, '&') < 0 {
		return nil
	}
	if err := checkExpansion(parseDocs(data)); err != nil {
		return err
	}
	var docs []*yaml.Node
	for _, part := range kyamlDocuments(data) {
		docs = append(docs, parseDocs(part)...)
	}
	return checkExpansion(docs)
}

// kyamlSeparator is where kyaml's kio.ByteReader cuts a file into
// documents, after replacing CRLF line ends by LF.
var kyamlSeparator = regexp.MustCompile(`\n---.*\n`)

func kyamlDocuments(data []byte) [][]byte {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	var out [][]byte
	prev := 0
	for _, loc := range kyamlSeparator.FindAllIndex(data, -1) {
		out = append(out, data[prev:loc[0]])
		prev = loc[1]
	}
	return append(out, data[prev:])
}

// parseDocs parses the documents of a YAML stream up to the first error.
func parseDocs(data []byte) []*yaml.Node {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return docs // io.EOF, or a syntax error: the documents before it count
		}
		docs = append(docs, &n)
	}
}

// checkExpansion applies the bounds to the documents of one file.
func checkExpansion(docs []*yaml.Node) error {
	var written int64
	for _, d := range docs {
		written += countWritten(d)
	}
	e := expansion{
		memo:  map[*yaml.Node]int64{},
		open:  map[*yaml.Node]bool{},
		limit: min(aliasFactor*written+aliasSlack, written+aliasMaxAdded),
	}
	var expanded int64
	for _, d := range docs {
		if expanded += e.size(d); expanded > e.limit {
			break
		}
	}
	if a := e.cycle; a != nil {
		return fmt.Errorf("line %d: the YAML alias *%s refers to a node that contains it, an endless expansion; aimesh-written overlays never use YAML aliases", a.Line, a.Value)
	}
	if expanded > e.limit {
		return fmt.Errorf("YAML aliases expand the file's %d nodes to more than %d; aimesh-written overlays never use YAML aliases that expand like this", written, e.limit)
	}
	return nil
}

// countWritten is the number of nodes of n as written: an alias is one.
func countWritten(n *yaml.Node) int64 {
	c := int64(1)
	for _, ch := range n.Content {
		c += countWritten(ch)
	}
	return c
}

// expansion counts the nodes of a YAML tree with every alias replaced by
// a copy of the node it refers to, up to limit (a count above limit is
// limit+1).
type expansion struct {
	memo  map[*yaml.Node]int64 // expanded size of anchored nodes
	open  map[*yaml.Node]bool  // anchored nodes being counted
	limit int64
	cycle *yaml.Node // an alias to a node that contains it
}

func (e *expansion) size(n *yaml.Node) int64 {
	if n.Kind == yaml.AliasNode {
		switch {
		case n.Alias == nil:
			return 1
		case e.open[n.Alias]:
			e.cycle = n
			return e.limit + 1
		}
		if c, ok := e.memo[n.Alias]; ok {
			return c
		}
		return e.size(n.Alias)
	}
	if n.Anchor != "" {
		if c, ok := e.memo[n]; ok {
			return c
		}
		e.open[n] = true
		defer delete(e.open, n)
	}
	c := int64(1)
	for _, ch := range n.Content {
		if c += e.size(ch); c > e.limit {
			c = e.limit + 1
			break
		}
	}
	if n.Anchor != "" {
		e.memo[n] = c
	}
	return c
}

// kustomizationNames are the file names kustomize reads as a kustomization.
var kustomizationNames = map[string]bool{"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true}

// checkLocalOnly refuses a kustomization that names anything kustomize
// would fetch instead of reading from the tree: a git repository (a URL
// scheme, "git::", "user@host:" or "github.com/…", which kustomize clones
// by running git) or a remote file (an http(s) URL, which it downloads),
// and Helm charts (pulled from their repository). A directory given to
// diff --dirs may come from a pull request, and aimesh never writes such
// references. Every field that names a file or a kustomization root is
// checked: resources, components, bases, patches and generators alike.
func checkLocalOnly(data []byte) error {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil // not a mapping: kustomize reports it
	}
	for _, k := range []string{"helmCharts", "helmChartInflationGenerator", "helmGlobals"} {
		if _, ok := doc[k]; ok {
			return fmt.Errorf("the kustomization inflates Helm charts (%s), which kustomize pulls from their repository; aimesh diff --dirs builds local trees only, as aimesh writes them", k)
		}
	}
	var refs []any
	for _, k := range []string{"resources", "components", "bases", "crds", "configurations", "generators", "transformers", "validators", "patchesStrategicMerge"} {
		refs = append(refs, list(doc[k])...)
	}
	for _, k := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, e := range list(doc[k]) {
			if m, ok := e.(map[string]any); ok {
				refs = append(refs, m["path"])
			}
		}
	}
	if m, ok := doc["openapi"].(map[string]any); ok {
		refs = append(refs, m["path"])
	}
	for _, k := range []string{"configMapGenerator", "secretGenerator"} {
		for _, e := range list(doc[k]) {
			if m, ok := e.(map[string]any); ok {
				for _, f := range list(m["files"]) {
					if s, ok := f.(string); ok {
						_, after, found := strings.Cut(s, "=") // key=path
						if found {
							f = after
						}
					}
					refs = append(refs, f)
				}
				refs = append(refs, list(m["envs"])...)
				refs = append(refs, m["env"])
			}
		}
	}
	for _, r := range refs {
		if s, ok := r.(string); ok && !strings.Contains(s, "\n") && remoteRef(s) {
			return fmt.Errorf("the kustomization refers to %q, which kustomize would fetch over the network (git clone or HTTP); aimesh diff --dirs builds local trees only, as aimesh writes them", s)
		}
	}
	return nil
}

// list is v as a list (nil when it is not one).
func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// remoteRef reports whether a file or root reference has the form of one
// kustomize's loader fetches (sigs.k8s.io/kustomize/api/internal/git's
// NewRepoSpecFromURL and loader.IsRemoteFile): a scheme or "::"
// (git::https://…), a user name before the host (git@github.com:…), or a
// github.com path without a scheme. Anything with a ":" or an "@" is
// refused, which covers them all and no path aimesh writes. A multi-line
// string is an inline patch or configuration, not a reference.
func remoteRef(s string) bool {
	s = strings.TrimSpace(s)
	return strings.ContainsAny(s, ":@") || s == "github.com" || strings.HasPrefix(s, "github.com/")
}
