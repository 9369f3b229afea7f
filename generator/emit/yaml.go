package emit

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
)

// encodeYAML writes a body of JSON values (maps with string keys, lists,
// strings, bools, nil, Go numbers, json.Number) in block style, byte for
// byte what yaml.v2's Marshal writes of yamlValue(body) (numbers mapped
// the same way, without building that copy), without building yaml.v2's
// event queue (which grows with every node of the document: most of what
// generate allocated at scale). It returns false for what it does not
// lay out itself — a string yaml.v2 would fold over lines or write as a
// literal block, a key it would not write as a simple key — and Marshal
// then hands the whole object to yaml.v2. TestEncodeYAMLMatchesYAMLv2 and
// FuzzEncodeYAML compare the two.
func encodeYAML(m map[string]any) ([]byte, bool) {
	w := &yamlWriter{buf: make([]byte, 0, 2048)}
	if len(m) == 0 {
		return []byte("{}\n"), true
	}
	if !w.mapping(m, 0, false) {
		return nil, false
	}
	return w.buf, true
}

// bestWidth is yaml.v2's line width: it breaks a plain or quoted scalar
// at a space once the column passes it.
const bestWidth = 80

type yamlWriter struct {
	buf []byte
	col int // column after the last byte written (runes, as yaml.v2 counts)
}

func (w *yamlWriter) write(s string) {
	w.buf = append(w.buf, s...)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		w.col = utf8.RuneCountInString(s[i+1:])
	} else {
		w.col += utf8.RuneCountInString(s)
	}
}

func (w *yamlWriter) indent(n int) {
	for i := 0; i < n; i++ {
		w.buf = append(w.buf, ' ')
	}
	w.col += n
}

// mapping writes the entries of a non-empty map at indentation ind. When
// inline is set, the first entry continues the current line (after "- ").
func (w *yamlWriter) mapping(m map[string]any, ind int, inline bool) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for i, k := range keys {
		if i > 0 || !inline {
			w.indent(ind)
		}
		key, ok := scalarString(k)
		if !ok || len(key) > 128 || k == "" {
			return false
		}
		w.write(key)
		w.write(":")
		if !w.value(m[k], ind, true) {
			return false
		}
	}
	return true
}

// value writes v after a key (inMap) or after "- ", at indentation ind
// of the key or the dash.
func (w *yamlWriter) value(v any, ind int, inMap bool) bool {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			w.write(" {}\n")
			return true
		}
		if inMap {
			w.write("\n")
			return w.mapping(v, ind+2, false)
		}
		w.write(" ")
		return w.mapping(v, ind+2, true)
	case []any:
		if len(v) == 0 {
			w.write(" []\n")
			return true
		}
		if inMap {
			// yaml.v2 writes a list inside a mapping without indenting it.
			w.write("\n")
			return w.sequence(v, ind, false)
		}
		w.write(" ")
		return w.sequence(v, ind+2, true)
	}
	s, ok := scalar(v)
	if !ok {
		return false
	}
	if strings.ContainsAny(s, " \t") && w.col+1+utf8.RuneCountInString(s) > bestWidth {
		return false // yaml.v2 may break the line at a space
	}
	w.write(" ")
	w.write(s)
	w.write("\n")
	return true
}

// sequence writes the items of a non-empty list, dashes at indentation
// ind; when inline is set, the first dash continues the current line.
func (w *yamlWriter) sequence(l []any, ind int, inline bool) bool {
	for i, it := range l {
		if i > 0 || !inline {
			w.indent(ind)
		}
		w.write("-")
		if !w.value(it, ind, false) {
			return false
		}
	}
	return true
}

// scalar returns how yaml.v2 writes a scalar value on one line.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return scalarString(v)
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	case nil:
		return "null", true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case float64, json.Number:
		// Numbers as yamlValue maps them; nil for Inf, NaN or a
		// malformed number, which yaml.v2 then gets.
		n, _ := yamlNumber(v)
		switch n := n.(type) {
		case int64:
			return strconv.FormatInt(n, 10), true
		case float64:
			return scalarVia(floatKey(math.Float64bits(n)))
		}
	}
	return "", false
}

// floatKey keys a float in scalars by its bits: as a map key, -0.0 and
// 0.0 are the same float64, but yaml.v2 writes them differently.
type floatKey uint64

// scalars remembers yaml.v2's spelling of strings and floats written as
// a document of their own: whether a string needs quotes, and which, does
// not depend on where it stands in a block mapping or list (yaml.v2
// analyses the scalar alone); only line breaks do, and those are
// refused above.
var scalars sync.Map // any -> string ("" when not writable on one line)

func scalarString(s string) (string, bool) {
	if isPlainSafe(s) {
		return s, true
	}
	return scalarVia(s)
}

func scalarVia(v any) (string, bool) {
	if r, ok := scalars.Load(v); ok {
		s := r.(string)
		return s, s != ""
	}
	out := ""
	value := v
	if f, ok := v.(floatKey); ok {
		value = math.Float64frombits(uint64(f))
	}
	if y, err := yamlv2.Marshal(value); err == nil {
		t := strings.TrimSuffix(string(y), "\n")
		// YAML's line breaks (\r, \n, NEL, LS, PS) are written with
		// the indentation of where the scalar stands.
		if !strings.ContainsAny(t, "\r\n\u0085\u2028\u2029") && !strings.HasPrefix(t, "!!") {
			out = t
		}
	}
	scalars.Store(v, out)
	return out, out != ""
}

// isPlainSafe reports strings yaml.v2 surely writes as they are: a
// letter, then letters, digits and "-_./" only, not one of the words
// YAML 1.1 reads as a boolean or null. Anything else asks yaml.v2.
func isPlainSafe(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/'):
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
		return false
	}
	return true
}

// sortKeys orders mapping keys as yaml.v2 does (its keyList): rune by
// rune, letters before other runes, runs of digits by numeric value.
// That order is not transitive for some keys (k21 < k2B < k9 < k21), and
// yaml.v2 sorts them starting from Go's random map order, so its output
// for such a map changes from run to run. Sorting from the byte order
// instead gives the same bytes every time (and yaml.v2's whenever its
// order is consistent).
func sortKeys(keys []string) {
	if len(keys) < 2 {
		return
	}
	sort.Strings(keys)
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
}

// ordered returns a yamlValue result with every map as a yaml.v2
// MapSlice in sortKeys order, which yaml.v2 writes as it is: the objects
// left to yaml.v2 get the same key order as the direct writer's, the same
// every run.
func ordered(v any) any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sortKeys(keys)
		out := make(yamlv2.MapSlice, len(keys))
		for i, k := range keys {
			out[i] = yamlv2.MapItem{Key: k, Value: ordered(v[k])}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			out[i] = ordered(c)
		}
		return out
	}
	return v
}

// consistentOrder reports whether keyLess orders keys transitively, i.e.
// yaml.v2 writes a map with these keys the same way every time.
func consistentOrder(keys []string) bool {
	for _, a := range keys {
		for _, b := range keys {
			for _, c := range keys {
				if keyLess(a, b) && keyLess(b, c) && !keyLess(a, c) {
					return false
				}
			}
		}
	}
	return true
}

func keyLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al := unicode.IsLetter(ar[i])
		bl := unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		var ai, bi int
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an = 1
					bn = 1
					break
				}
			}
		}
		for ai = i; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for bi = i; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}
