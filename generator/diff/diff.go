package diff

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Op is the kind of a field change.
type Op string

const (
	// Added: the field or list item exists only in the head version.
	Added Op = "added"
	// Removed: the field or list item exists only in the base version.
	Removed Op = "removed"
	// Changed: the value differs.
	Changed Op = "changed"
	// Reordered: a list matched by name holds the same names in another
	// order; From and To are the names.
	Reordered Op = "reordered"
)

// Change is one field-level difference of an object.
type Change struct {
	// Path is the YAML path of the field: keys joined by dots, list items
	// as [index] or [name=…] (keys that are not plain identifiers are
	// quoted: metadata.labels["app.kubernetes.io/name"]).
	Path string `json:"path"`
	Op   Op     `json:"op"`
	// From and To are the base and head values (absent for Added and
	// Removed respectively). Sensitive values are replaced by "***".
	From any `json:"from,omitempty"`
	To   any `json:"to,omitempty"`
	// Masked is set when From and To were hidden.
	Masked bool `json:"masked,omitempty"`
}

// ObjectDiff is a changed object.
type ObjectDiff struct {
	Object  ObjectID `json:"object"`
	Changes []Change `json:"changes"`
}

// SectionDiff holds the differences of one env/target. Added, Removed and
// Changed are sorted by kind, namespace, name and group.
type SectionDiff struct {
	Section
	Added   []ObjectID   `json:"added"`
	Removed []ObjectID   `json:"removed"`
	Changed []ObjectDiff `json:"changed"`
}

// Empty reports whether the section has no difference.
func (s SectionDiff) Empty() bool {
	return len(s.Added) == 0 && len(s.Removed) == 0 && len(s.Changed) == 0
}

// Report is the comparison of two versions.
type Report struct {
	// Base and Head name the versions (a git ref, "working tree", a
	// directory).
	Base string `json:"base"`
	Head string `json:"head"`
	// Sections lists every compared env/target, sorted by env then
	// target, including those without a difference.
	Sections []SectionDiff `json:"sections"`
}

// HasDifferences reports whether any section differs.
func (r *Report) HasDifferences() bool {
	for _, s := range r.Sections {
		if !s.Empty() {
			return true
		}
	}
	return false
}

// Options tune Compare.
type Options struct {
	// Base and Head are copied into the report.
	Base, Head string
	// Envs restricts the comparison to these environments; empty means
	// all. An environment in neither version is an error.
	Envs []string
}

// Compare reports the differences between base and head.
func Compare(base, head *Manifests, opts Options) (*Report, error) {
	keep := func(string) bool { return true }
	if len(opts.Envs) > 0 {
		want := map[string]bool{}
		for _, e := range opts.Envs {
			want[e] = true
		}
		have := map[string]bool{}
		for _, m := range []*Manifests{base, head} {
			for _, e := range m.Envs() {
				have[e] = true
			}
		}
		for _, e := range opts.Envs {
			if !have[e] {
				return nil, fmt.Errorf("environment %q is in neither version", e)
			}
		}
		keep = func(e string) bool { return want[e] }
	}
	all := map[Section]bool{}
	for _, m := range []*Manifests{base, head} {
		for s := range m.Sections {
			if keep(s.Env) {
				all[s] = true
			}
		}
	}
	r := &Report{Base: opts.Base, Head: opts.Head, Sections: []SectionDiff{}}
	for s := range all {
		r.Sections = append(r.Sections, compareSection(s, base.Sections[s], head.Sections[s]))
	}
	sort.Slice(r.Sections, func(i, j int) bool { return r.Sections[i].Section.less(r.Sections[j].Section) })
	return r, nil
}

func compareSection(s Section, a, b map[ObjectID]map[string]any) SectionDiff {
	d := SectionDiff{Section: s, Added: []ObjectID{}, Removed: []ObjectID{}, Changed: []ObjectDiff{}}
	for id, ab := range a {
		bb, ok := b[id]
		if !ok {
			d.Removed = append(d.Removed, id)
			continue
		}
		if ch := Objects(id, ab, bb); len(ch) > 0 {
			d.Changed = append(d.Changed, ObjectDiff{Object: id, Changes: ch})
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			d.Added = append(d.Added, id)
		}
	}
	sortIDs(d.Added)
	sortIDs(d.Removed)
	sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].Object.Less(d.Changed[j].Object) })
	return d
}

func sortIDs(ids []ObjectID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
}

// Objects returns the field differences between two versions of the
// object id, masked, in a deterministic order (map keys sorted, list
// items in base order then added items in head order).
func Objects(id ObjectID, a, b map[string]any) []Change {
	w := walker{id: id}
	w.value(nil, a, b)
	return w.out
}

type segKind int

const (
	segKey segKind = iota
	segIndex
	segName
)

// segment is one step of a path: a map key, a list index, or a list item
// addressed by its name (key holds the name).
type segment struct {
	kind  segKind
	key   string
	index int
}

var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)
var plainName = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]+$`)

// pathString spells a path: spec.containers[name=app].ports[0].
func pathString(p []segment) string {
	var b strings.Builder
	for _, s := range p {
		switch s.kind {
		case segKey:
			if plainKey.MatchString(s.key) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(s.key)
			} else {
				b.WriteString("[" + strconv.Quote(s.key) + "]")
			}
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case segName:
			if plainName.MatchString(s.key) {
				b.WriteString("[name=" + s.key + "]")
			} else {
				b.WriteString("[name=" + strconv.Quote(s.key) + "]")
			}
		}
	}
	if b.Len() == 0 {
		return "."
	}
	return b.String()
}

type walker struct {
	id  ObjectID
	out []Change
}

func (w *walker) emit(path []segment, op Op, from, to any) {
	c := Change{Path: pathString(path), Op: op}
	if op != Reordered && sensitive(w.id, path) {
		c.Masked = true
		if op != Added {
			from = Masked
		}
		if op != Removed {
			to = Masked
		}
		c.From, c.To = from, to
	} else {
		c.From, c.To = maskValue(w.id, path, from), maskValue(w.id, path, to)
	}
	w.out = append(w.out, c)
}

func child(path []segment, s segment) []segment {
	return append(path[:len(path):len(path)], s)
}

func (w *walker) value(path []segment, a, b any) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			w.maps(path, av, bv)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			w.lists(path, av, bv)
			return
		}
	default:
		if _, ok := b.(map[string]any); !ok {
			if _, ok := b.([]any); !ok && scalarEqual(a, b) {
				return
			}
		}
	}
	w.emit(path, Changed, a, b)
}

func (w *walker) maps(path []segment, a, b map[string]any) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := child(path, segment{kind: segKey, key: k})
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inA:
			w.emit(p, Added, nil, bv)
		case !inB:
			w.emit(p, Removed, av, nil)
		default:
			w.value(p, av, bv)
		}
	}
}

// names returns the "name" of every item of l when every item is a map
// with a distinct non-empty string name.
func names(l []any) ([]string, bool) {
	out := make([]string, len(l))
	seen := map[string]bool{}
	for i, it := range l {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := m["name"].(string)
		if !ok || n == "" || seen[n] {
			return nil, false
		}
		seen[n] = true
		out[i] = n
	}
	return out, true
}

func (w *walker) lists(path []segment, a, b []any) {
	an, okA := names(a)
	bn, okB := names(b)
	if okA && okB && len(a)+len(b) > 0 {
		w.named(path, a, b, an, bn)
		return
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		w.value(child(path, segment{kind: segIndex, index: i}), a[i], b[i])
	}
	for i := n; i < len(a); i++ {
		w.emit(child(path, segment{kind: segIndex, index: i}), Removed, a[i], nil)
	}
	for i := n; i < len(b); i++ {
		w.emit(child(path, segment{kind: segIndex, index: i}), Added, nil, b[i])
	}
}

func (w *walker) named(path []segment, a, b []any, an, bn []string) {
	bi := make(map[string]int, len(bn))
	for i, n := range bn {
		bi[n] = i
	}
	ai := make(map[string]int, len(an))
	for i, n := range an {
		ai[n] = i
	}
	var commonA, commonB []string
	for i, n := range an {
		p := child(path, segment{kind: segName, key: n})
		j, ok := bi[n]
		if !ok {
			w.emit(p, Removed, a[i], nil)
			continue
		}
		commonA = append(commonA, n)
		w.value(p, a[i], b[j])
	}
	for j, n := range bn {
		if _, ok := ai[n]; ok {
			commonB = append(commonB, n)
			continue
		}
		w.emit(child(path, segment{kind: segName, key: n}), Added, nil, b[j])
	}
	for i := range commonA {
		if commonA[i] != commonB[i] {
			w.emit(path, Reordered, toAny(commonA), toAny(commonB))
			break
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// scalarEqual compares JSON scalars; numbers compare by value (2 == 2.0).
func scalarEqual(a, b any) bool {
	if a == b {
		return true
	}
	an, okA := number(a)
	bn, okB := number(b)
	if okA && okB {
		return an.Cmp(bn) == 0
	}
	return false
}

func number(v any) (*big.Float, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	return f, err == nil
}
