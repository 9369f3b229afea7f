package schema

import (
	"sort"
	"strconv"
	"strings"
)

// Compiling a CRD's whole schema is the largest fixed cost of a run: the
// InferenceService schema holds a full PodSpec and container spec for every
// model framework of the predictor, transformer and explainer, and turning
// it into a structural schema and a kube-openapi validator takes ≈ 0.15 s
// on the 2-core machine, while the InferenceServices aimesh emits use a few
// dozen of its fields. So an object is validated against its kind's schema
// specialised to the object's shape: the fields the object holds, with
// everything the API server's create path can read of the others.
//
// Why the verdict is the same as with the whole schema, step by step of
// kindSchema.validate:
//
//   - pruning, null pruning, metadata coercion, list-type checks and the
//     embedded-resource checks walk the object and look up the schema of
//     each field present: every field present keeps its whole specialised
//     schema, and an absent property keeps its name, so what counts as
//     unknown does not change;
//   - defaulting adds an absent property that has a default and then
//     defaults and validates inside it: such a property keeps its whole
//     schema, unspecialised;
//   - the OpenAPI validator checks `required` against the object's keys and
//     descends only into the properties present (allOf/anyOf/oneOf/not are
//     kept as they are);
//   - a CEL rule is compiled against the declared type of its node, which
//     spans the whole subtree: a node that carries x-kubernetes-validations
//     keeps its whole subtree.
//
// TestSpecializedMatchesFull and FuzzSpecializedMatchesFull compare the
// two verdicts on every kind's objects and on mutations of them.

// shape is the set of field paths of one JSON value: the keys of the
// objects met at a path and, for arrays, the union of their elements'
// shapes.
type shape struct {
	fields map[string]*shape
	elems  *shape
}

func shapeOf(v any) *shape {
	s := &shape{}
	s.add(v)
	return s
}

func (s *shape) add(v any) {
	switch x := v.(type) {
	case map[string]any:
		if s.fields == nil {
			s.fields = make(map[string]*shape, len(x))
		}
		for k, c := range x {
			cs := s.fields[k]
			if cs == nil {
				cs = &shape{}
				s.fields[k] = cs
			}
			cs.add(c)
		}
	case []any:
		if s.elems == nil {
			s.elems = &shape{}
		}
		for _, c := range x {
			s.elems.add(c)
		}
	}
}

// merge adds o's paths to s.
func (s *shape) merge(o *shape) {
	if o == nil {
		return
	}
	if o.fields != nil && s.fields == nil {
		s.fields = make(map[string]*shape, len(o.fields))
	}
	for k, oc := range o.fields {
		c := s.fields[k]
		if c == nil {
			c = &shape{}
			s.fields[k] = c
		}
		c.merge(oc)
	}
	if o.elems != nil {
		if s.elems == nil {
			s.elems = &shape{}
		}
		s.elems.merge(o.elems)
	}
}

// field is the shape of the values of key k; nil when absent (s may be nil).
func (s *shape) field(k string) *shape {
	if s == nil {
		return nil
	}
	return s.fields[k]
}

// anyField is the union of the shapes of every key's values, for
// additionalProperties.
func (s *shape) anyField() *shape {
	if s == nil || len(s.fields) == 0 {
		return nil
	}
	u := &shape{}
	for _, c := range s.fields {
		u.merge(c)
	}
	return u
}

func (s *shape) elem() *shape {
	if s == nil {
		return nil
	}
	return s.elems
}

// key is a canonical spelling of s: equal shapes, equal keys.
func (s *shape) key() string {
	var b strings.Builder
	s.writeKey(&b)
	return b.String()
}

func (s *shape) writeKey(b *strings.Builder) {
	if s.fields != nil {
		keys := make([]string, 0, len(s.fields))
		for k := range s.fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			s.fields[k].writeKey(b)
		}
		b.WriteByte('}')
	}
	if s.elems != nil {
		b.WriteByte('[')
		s.elems.writeKey(b)
		b.WriteByte(']')
	}
}

// specialize returns node (a JSONSchemaProps in its JSON form) cut down to
// what validating a value of shape s reads; see the comment at the top of
// this file. node is not modified; the result shares its unchanged parts.
func specialize(node map[string]any, s *shape) map[string]any {
	if _, ok := node["x-kubernetes-validations"]; ok {
		return node
	}
	out := make(map[string]any, len(node))
	for k, v := range node {
		out[k] = v
	}
	if props, ok := node["properties"].(map[string]any); ok {
		np := make(map[string]any, len(props))
		for name, p := range props {
			pm, ok := p.(map[string]any)
			_, hasDefault := pm["default"]
			switch c := s.field(name); {
			case !ok:
				np[name] = p
			case c != nil:
				np[name] = specialize(pm, c)
			case hasDefault:
				np[name] = pm
			default:
				np[name] = stub(pm)
			}
		}
		out["properties"] = np
	}
	if ap, ok := node["additionalProperties"].(map[string]any); ok {
		out["additionalProperties"] = specialize(ap, s.anyField())
	}
	if it, ok := node["items"].(map[string]any); ok {
		out["items"] = specialize(it, s.elem())
	}
	return out
}

// stubKeys are what an absent property keeps: enough to stay a valid
// structural node of the same type.
var stubKeys = []string{
	"type", "nullable",
	"x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
}

func stub(node map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range stubKeys {
		if v, ok := node[k]; ok {
			out[k] = v
		}
	}
	return out
}
