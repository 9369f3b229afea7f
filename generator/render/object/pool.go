package object

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// A Pool lets the environments of one compilation share the bodies they
// render alike. Most objects of a platform are the same in every
// environment (at 1,000 models, 7,000 distinct bodies among 17,500): with
// a pool, an object whose JSON encoding another object already had gets
// that object's body map instead of decoding its own, so it is decoded,
// normalised and held in memory once.
//
// A shared body is never changed in place: Annotate copies the maps on
// the path to the annotations first, and every other consumer only reads
// bodies. A Pool is safe for concurrent use; the nil *Pool shares nothing
// (every object owns its body), which is what FromTyped and FromProto use.
type Pool struct {
	bodies sync.Map // sha256 of the JSON of a typed value → *decoded
	specs  sync.Map // sha256 of the protojson of a spec → *decoded
}

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{} }

// decoded is one JSON text decoded once, whoever asks first.
type decoded struct {
	once    sync.Once
	body    map[string]any
	literal bool // the JSON holds no Placeholder
	err     error
	// typedSum is unannotatedDigest(body), for Seal's Typed check, when
	// a runtime.Object asks for it.
	sumOnce  sync.Once
	typedSum [sha256.Size]byte
	sumErr   error
}

// decode returns the decoded form of data, shared through the pool when
// p is not nil; object says whether data is a whole object (normalised,
// with a typedSum) or an Istio spec.
func (p *Pool) decode(data []byte, object bool) (d *decoded, shared bool) {
	switch {
	case p == nil:
		d = &decoded{}
	case object:
		e, _ := p.bodies.LoadOrStore(sha256.Sum256(data), &decoded{})
		d = e.(*decoded)
	default:
		e, _ := p.specs.LoadOrStore(sha256.Sum256(data), &decoded{})
		d = e.(*decoded)
	}
	d.once.Do(func() {
		if d.err = json.Unmarshal(data, &d.body); d.err != nil {
			return
		}
		d.literal = !bytes.Contains(data, []byte(Placeholder))
		if object {
			normalize(d.body)
		}
	})
	return d, p != nil
}

// FromTyped converts a typed Kubernetes value (k8s.io/api struct or a local
// typed struct with TypeMeta and ObjectMeta) into an object. Its body is
// shared with every object of the pool that encodes to the same JSON.
func (p *Pool) FromTyped(target Target, unit, origin string, v any) (Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Object{}, err
	}
	d, shared := p.decode(b, true)
	if d.err != nil {
		return Object{}, d.err
	}
	o := Object{Target: target, Unit: unit, Origin: origin, Body: d.body}
	if o.APIVersion() == "" || o.Kind() == "" || o.Name() == "" {
		return Object{}, fmt.Errorf("object from %s lacks apiVersion, kind or name", origin)
	}
	if !shared {
		o.owned = d.body
	}
	if d.literal {
		o.literal = d.body
	}
	if t, ok := v.(runtime.Object); ok {
		d.sumOnce.Do(func() { d.typedSum, d.sumErr = unannotatedDigest(d.body) })
		if d.sumErr != nil {
			return Object{}, d.sumErr
		}
		o.typed, o.typedSum = t, d.typedSum
	}
	return o, nil
}

// FromProto builds an Istio object whose spec is an istio.io/api message.
// The spec is marshalled with protojson (field names in lowerCamelCase, as
// the Istio CRDs expect) and re-read as a map so the output is byte-stable.
// ext, when not nil, is called with the spec map to add ASM extension
// fields from their own typed structs; such a spec is the object's own,
// any other is shared through the pool like a typed body.
func (p *Pool) FromProto(target Target, unit, origin string, tm metav1.TypeMeta, om metav1.ObjectMeta, spec proto.Message, ext func(spec map[string]any) error) (Object, error) {
	sb, err := protojson.Marshal(spec)
	if err != nil {
		return Object{}, fmt.Errorf("%s %s: %w", tm.Kind, om.Name, err)
	}
	sp := p
	if ext != nil {
		sp = nil // ext writes into the map
	}
	d, _ := sp.decode(sb, false)
	if d.err != nil {
		return Object{}, d.err
	}
	specMap := d.body
	if ext != nil {
		if err := ext(specMap); err != nil {
			return Object{}, fmt.Errorf("%s %s: %w", tm.Kind, om.Name, err)
		}
	}
	o, err := p.FromTyped(target, unit, origin, struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
	}{tm, om})
	if err != nil {
		return Object{}, err
	}
	literal := ext == nil && d.literal && samePointer(o.literal, o.Body)
	top := make(map[string]any, len(o.Body)+1)
	for k, v := range o.Body {
		top[k] = v
	}
	top["spec"] = specMap
	// The top-level map is the object's own, but its metadata is shared
	// like any pooled body: Annotate must copy it first.
	o.Body, o.owned, o.literal = top, nil, nil
	if p == nil {
		o.owned = top
	}
	if literal {
		o.literal = top
	}
	return o, nil
}
