package object

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"sort"
	"sync"
)

// digest returns the SHA-256 of an injective encoding of body: equal
// digests mean equal bodies, value for value and Go type for Go type. Map
// keys are taken in sorted order, so equal maps have equal digests.
// encoding/json did this before at three times the cost (reflection and a
// sort of reflect values per map), for keys that nobody reads back.
func digest(body map[string]any) ([sha256.Size]byte, error) {
	sum, _, err := digestSize(body)
	return sum, err
}

// digestSize is digest and the length of the encoding, which is close to
// (a little under) the length of the body's JSON: strings and keys count
// their bytes, numbers at most 9 bytes, containers and scalars one tag.
func digestSize(body map[string]any) ([sha256.Size]byte, int, error) {
	d := digesters.Get().(*digester)
	defer digesters.Put(d)
	d.buf = d.buf[:0]
	if err := d.value(body, 0); err != nil {
		return [sha256.Size]byte{}, 0, err
	}
	return sha256.Sum256(d.buf), len(d.buf), nil
}

// unannotatedDigest is digest of body as if it had no
// metadata.annotations: equal for two bodies that differ only there.
func unannotatedDigest(body map[string]any) ([sha256.Size]byte, error) {
	md, ok := body["metadata"].(map[string]any)
	if _, annotated := md["annotations"]; !ok || !annotated {
		return digest(body)
	}
	// Shallow copies: only the two maps on the path to the annotations.
	top := make(map[string]any, len(body))
	for k, v := range body {
		top[k] = v
	}
	meta := make(map[string]any, len(md))
	for k, v := range md {
		if k != "annotations" {
			meta[k] = v
		}
	}
	top["metadata"] = meta
	return digest(top)
}

// sealDigests is digestSize and unannotatedDigest of body in one walk:
// the encoding of the body without its annotations is the body's encoding
// with metadata's entry count one less and the annotations entry cut out,
// hashed piecewise (TestSealDigests keeps both equal to the separate
// functions).
func sealDigests(body map[string]any) (sum, unannotated [sha256.Size]byte, size int, err error) {
	md, _ := body["metadata"].(map[string]any)
	if _, annotated := md["annotations"]; !annotated {
		sum, size, err = digestSize(body)
		return sum, sum, size, err
	}
	d := digesters.Get().(*digester)
	defer digesters.Put(d)
	d.buf = d.buf[:0]
	var header, entries, cut, cutEnd int // positions in d.buf
	err = d.mapping(body, 0, func(k string) error {
		if k != "metadata" {
			return d.value(body[k], 1)
		}
		header = len(d.buf)
		return d.mapping(md, 1, func(k string) error {
			if k == "annotations" {
				cut = len(d.buf) - len(k) - 1 - uvarintLen(len(k))
				defer func() { cutEnd = len(d.buf) }()
			}
			return d.value(md[k], 2)
		}, func() { entries = len(d.buf) })
	}, nil)
	if err != nil {
		return sum, unannotated, 0, err
	}
	h := sha256.New()
	h.Write(d.buf[:header])
	h.Write(binary.AppendUvarint([]byte{tagMap}, uint64(len(md)-1)))
	h.Write(d.buf[entries:cut])
	h.Write(d.buf[cutEnd:])
	h.Sum(unannotated[:0])
	return sha256.Sum256(d.buf), unannotated, len(d.buf), nil
}

func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

var digesters = sync.Pool{New: func() any { return &digester{} }}

type digester struct {
	buf  []byte
	keys [][]string // a reusable key slice per nesting depth
}

// Each value starts with a tag naming its Go type; strings and containers
// carry their length, so no two values share an encoding.
const (
	tagNull   = 'n'
	tagFalse  = 'f'
	tagTrue   = 't'
	tagString = 's'
	tagFloat  = 'd'
	tagInt64  = 'i'
	tagInt    = 'I'
	tagNumber = 'j' // json.Number
	tagArray  = 'a'
	tagMap    = 'm'
	tagOther  = 'x' // any other type: its JSON
)

func (d *digester) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		d.buf = append(d.buf, tagNull)
	case bool:
		if x {
			d.buf = append(d.buf, tagTrue)
		} else {
			d.buf = append(d.buf, tagFalse)
		}
	case string:
		d.str(tagString, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			_, err := json.Marshal(x) // the error encoding the body would give
			return err
		}
		d.buf = append(d.buf, tagFloat)
		d.buf = binary.BigEndian.AppendUint64(d.buf, math.Float64bits(x))
	case int64:
		d.buf = append(d.buf, tagInt64)
		d.buf = binary.AppendVarint(d.buf, x)
	case int:
		d.buf = append(d.buf, tagInt)
		d.buf = binary.AppendVarint(d.buf, int64(x))
	case json.Number:
		// Only aimesh diff's normalised bodies hold json.Number; one that
		// is not a number is not JSON, as encoding/json would say.
		if _, err := json.Marshal(x); err != nil {
			return err
		}
		d.str(tagNumber, string(x))
	case []any:
		d.buf = append(d.buf, tagArray)
		d.buf = binary.AppendUvarint(d.buf, uint64(len(x)))
		for _, e := range x {
			if err := d.value(e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		return d.mapping(x, depth, func(k string) error { return d.value(x[k], depth+1) }, nil)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		d.str(tagOther, string(b))
	}
	return nil
}

// mapping encodes a map: its tag and length (after which header, when
// not nil, is called), then each key in sorted order followed by what
// value writes for it.
func (d *digester) mapping(x map[string]any, depth int, value func(k string) error, header func()) error {
	d.buf = append(d.buf, tagMap)
	d.buf = binary.AppendUvarint(d.buf, uint64(len(x)))
	if header != nil {
		header()
	}
	for len(d.keys) <= depth {
		d.keys = append(d.keys, nil)
	}
	keys := d.keys[depth][:0]
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d.keys[depth] = keys
	for _, k := range keys {
		d.str(tagString, k)
		if err := value(k); err != nil {
			return err
		}
	}
	return nil
}

func (d *digester) str(tag byte, s string) {
	d.buf = append(d.buf, tag)
	d.buf = binary.AppendUvarint(d.buf, uint64(len(s)))
	d.buf = append(d.buf, s...)
}
