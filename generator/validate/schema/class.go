package schema

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"unicode/utf8"
)

// Objects of one kind mostly differ in strings the schema does not
// constrain: names, paths, URIs, references. Aimesh emits thousands of
// InferenceServices, Gateways, Applications and Kustomizations that differ
// only there, and validating each against its schema (pruning, defaulting,
// kube-openapi, CEL) costs 0.1 to 0.8 ms. So an object is validated once
// per class: two objects are in one class when they are equal after every
// string whose value the schema cannot see is replaced by a marker of its
// type (classKey). An object whose class already passed is only checked
// for what is left, its ObjectMeta (names, labels, annotations), which
// depends on the values (Validator.Validate).
//
// Why objects of one class get the same verdict, step by step of
// kindSchema.validate (outside metadata):
//
//   - pruning, null pruning, metadata coercion and defaulting depend on
//     the keys present and the JSON types of values: both are in the key;
//   - the OpenAPI validator reads a string's value only for enum, pattern,
//     format and min/maxLength: a node with enum, pattern or format keeps
//     its subtree verbatim, and a string under min/maxLength keeps its
//     length in bytes and runes; numbers, booleans and nulls are always
//     kept; allOf/anyOf/oneOf/not and x-kubernetes-int-or-string nodes
//     keep their subtree;
//   - list-type set and map invariants compare values: such lists are
//     kept verbatim;
//   - embedded resources (x-kubernetes-embedded-resource) have their
//     metadata validated, and x-kubernetes-preserve-unknown-fields
//     subtrees are not described: both are kept verbatim;
//   - a CEL rule sees its node's whole subtree: a node carrying
//     x-kubernetes-validations is kept verbatim (a kind with a rule on the
//     root is never classed);
//   - the root's metadata is decoded as an ObjectMeta, whose name,
//     namespace, generateName, labels and annotations are strings of any
//     value for the decoder; their values are what validateMeta checks, for
//     every object. Other metadata fields are kept, and so is the whole
//     metadata when the CRD constrains it.
//
// Only passing verdicts are remembered; an object that fails is validated
// in full, so that its errors name its own values. TestClassVerdicts and
// FuzzClassVerdicts replace the values classKey drops and want the verdict
// unchanged.

// opaqueKeys are the schema keywords under which classKey keeps values.
var opaqueKeys = []string{
	"x-kubernetes-validations", "allOf", "anyOf", "oneOf", "not",
	"x-kubernetes-embedded-resource", "x-kubernetes-preserve-unknown-fields",
	"x-kubernetes-int-or-string", "enum", "format", "pattern", "uniqueItems",
}

// opaque reports whether the values below a schema node may matter to its
// verdict beyond their types and lengths.
func opaque(node map[string]any) bool {
	if node == nil {
		return true
	}
	if _, ok := node["type"].(string); !ok {
		return true
	}
	for _, k := range opaqueKeys {
		if _, ok := node[k]; ok {
			return true
		}
	}
	switch node["x-kubernetes-list-type"] {
	case "set", "map":
		return true
	}
	return false
}

// classKey returns the class of obj under the kind's whole schema, and
// false when the kind's objects are not classed (a CEL rule on the root).
func classKey(openAPI, obj map[string]any) ([sha256.Size]byte, bool) {
	if opaque(openAPI) {
		return [sha256.Size]byte{}, false
	}
	e := classEncoders.Get().(*classEncoder)
	defer classEncoders.Put(e)
	e.buf = e.buf[:0]
	props, _ := openAPI["properties"].(map[string]any)
	e.buf = append(e.buf, 'm')
	e.buf = binary.AppendUvarint(e.buf, uint64(len(obj)))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		e.str(k)
		child, _ := props[k].(map[string]any)
		if k == "metadata" && plainObject(child) {
			e.meta(obj[k])
			continue
		}
		e.value(obj[k], childSchema(openAPI, k))
	}
	return sha256.Sum256(e.buf), true
}

var classEncoders = sync.Pool{New: func() any { return &classEncoder{} }}

type classEncoder struct{ buf []byte }

// plainObject reports whether a schema node says no more than "an
// object" (how CRDs declare metadata, which the API server validates).
func plainObject(node map[string]any) bool {
	if node == nil {
		return true
	}
	for k, v := range node {
		if k != "type" || v != "object" {
			return false
		}
	}
	return true
}

func childSchema(node map[string]any, k string) map[string]any {
	if props, ok := node["properties"].(map[string]any); ok {
		if c, ok := props[k].(map[string]any); ok {
			return c
		}
	}
	c, _ := node["additionalProperties"].(map[string]any)
	return c
}

// value encodes v under its schema node: verbatim below an opaque node,
// strings by type (and length when bounded) elsewhere.
func (e *classEncoder) value(v any, node map[string]any) {
	if opaque(node) {
		e.verbatim(v)
		return
	}
	switch x := v.(type) {
	case map[string]any:
		e.buf = append(e.buf, 'm')
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e.str(k)
			e.value(x[k], childSchema(node, k))
		}
	case []any:
		items, _ := node["items"].(map[string]any)
		e.buf = append(e.buf, 'a')
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		for _, c := range x {
			e.value(c, items)
		}
	case string:
		if node["type"] != "string" {
			e.verbatim(v)
			return
		}
		_, min := node["minLength"]
		_, max := node["maxLength"]
		if !min && !max {
			e.buf = append(e.buf, 'S')
			return
		}
		e.buf = append(e.buf, 'L')
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		e.buf = binary.AppendUvarint(e.buf, uint64(utf8.RuneCountInString(x)))
	default:
		e.verbatim(v)
	}
}

// meta encodes the root's metadata: the values validateMeta checks for
// every object are dropped, the rest is kept.
func (e *classEncoder) meta(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		e.verbatim(v)
		return
	}
	e.buf = append(e.buf, 'M')
	e.buf = binary.AppendUvarint(e.buf, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.str(k)
		switch k {
		case "name", "namespace", "generateName":
			if _, ok := m[k].(string); ok {
				e.buf = append(e.buf, 'S')
				continue
			}
		case "labels", "annotations":
			if strs, ok := m[k].(map[string]any); ok && allStrings(strs) {
				e.buf = append(e.buf, 'K')
				continue
			}
		}
		e.verbatim(m[k])
	}
}

func allStrings(m map[string]any) bool {
	for _, v := range m {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

func (e *classEncoder) str(s string) {
	e.buf = append(e.buf, 's')
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// verbatim encodes v injectively, Go type by Go type.
func (e *classEncoder) verbatim(v any) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 'n')
	case bool:
		if x {
			e.buf = append(e.buf, 't')
		} else {
			e.buf = append(e.buf, 'f')
		}
	case string:
		e.str(x)
	case int64:
		e.buf = append(e.buf, 'i')
		e.buf = binary.AppendVarint(e.buf, x)
	case float64:
		e.buf = append(e.buf, 'd')
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(x))
	case map[string]any:
		e.buf = append(e.buf, 'm')
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e.str(k)
			e.verbatim(x[k])
		}
	case []any:
		e.buf = append(e.buf, 'a')
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		for _, c := range x {
			e.verbatim(c)
		}
	default:
		e.buf = append(e.buf, 'x')
		e.str(fmt.Sprintf("%T %#v", v, v))
	}
}
