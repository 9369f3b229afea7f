package object

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Target is the API server an object is applied to.
type Target string

const (
	ACK    Target = "ack"
	ASM    Target = "asm"
	GitOps Target = "gitops"
)

// Targets lists the rendered targets in emit order.
var Targets = []Target{ACK, ASM}

// Object is one rendered Kubernetes object.
type Object struct {
	Target Target
	// Unit is the sync unit inside the target: "platform" objects
	// (namespaces, gateways, storage) are applied before the rest.
	Unit string
	// Origin is the CUE path the object was rendered from.
	Origin string
	// Body is the object as JSON values. Once rendered it changes only
	// through Annotate, and not at all once sealed: what is known about
	// it (MayHoldPlaceholder, Seal's digest) is tied to the map.
	Body map[string]any
	// sum is the digest of the map sealed (Seal, digest.go), the key
	// under which validation and YAML encoding remember their work.
	sum    [sha256.Size]byte
	size   int
	sealed map[string]any
	// typed is the k8s.io/api value FromTyped encoded as Body, and
	// typedSum the digest of that Body without its annotations
	// (unannotatedDigest). typedSealed says that Seal found the sealed
	// Body still equal to it, annotations aside.
	typed       runtime.Object
	typedSum    [sha256.Size]byte
	typedSealed bool
	// literal is the Body that FromTyped or FromProto found free of
	// Placeholder in its JSON encoding (nil when not known).
	literal map[string]any
	// owned is the Body when the object may change it in place (Annotate):
	// nil for a body shared through a Pool.
	owned map[string]any
}

// Placeholder opens a Flux post-build substitution ("${name}").
const Placeholder = "${"

// MayHoldPlaceholder reports whether some key or string of the body may
// hold Placeholder: false only for a body FromTyped or FromProto encoded
// without one and that has changed since only through Annotate, so that
// callers looking for placeholders walk just the bodies that may hold one.
func (o Object) MayHoldPlaceholder() bool {
	return !samePointer(o.literal, o.Body)
}

// Seal records the digest of each object's body, computed once for
// validation and emit. A sealed body must not change afterwards; an
// object given another Body map is no longer sealed.
func Seal(objs []Object) error {
	for i := range objs {
		o := &objs[i]
		var sum, unannotated [sha256.Size]byte
		var size int
		var err error
		if o.typed != nil {
			sum, unannotated, size, err = sealDigests(o.Body)
		} else {
			sum, size, err = digestSize(o.Body)
		}
		if err != nil {
			return fmt.Errorf("%s (from %s): %w", o.ID(), o.Origin, err)
		}
		o.sum, o.size, o.sealed = sum, size, o.Body
		o.typedSealed = o.typed != nil && unannotated == o.typedSum
		if !o.typedSealed {
			o.typed = nil
		}
	}
	return nil
}

// DropTyped forgets the k8s.io/api values the objects were rendered from,
// once validation no longer needs them: thousands of them are otherwise
// kept alive with the bodies.
func DropTyped(objs []Object) {
	for i := range objs {
		objs[i].typed, objs[i].typedSealed = nil, false
	}
}

// Typed returns the k8s.io/api value a sealed object was rendered from
// (FromTyped), when its body is still what that value encodes to, except
// for metadata.annotations (which the GitOps renderer adds): decoding the
// body would give the same value, annotations aside. Otherwise nil.
// Validation uses it instead of decoding the body again.
func (o Object) Typed() runtime.Object {
	if !o.typedSealed || !samePointer(o.sealed, o.Body) {
		return nil
	}
	return o.typed
}

// Digest returns the SHA-256 of the body's canonical encoding (digest.go):
// recorded by Seal, or computed now. Equal digests mean equal bodies.
func (o Object) Digest() ([sha256.Size]byte, error) {
	if samePointer(o.sealed, o.Body) {
		return o.sum, nil
	}
	return digest(o.Body)
}

// EncodedSize is the length of the body's canonical encoding (digest.go),
// a close lower bound of its JSON size: recorded by Seal, or computed now.
// It costs nothing on a sealed object, so every object's size can be
// bounded without encoding it.
func (o Object) EncodedSize() (int, error) {
	if samePointer(o.sealed, o.Body) {
		return o.size, nil
	}
	_, size, err := digestSize(o.Body)
	return size, err
}

func (o Object) APIVersion() string { s, _ := o.Body["apiVersion"].(string); return s }
func (o Object) Kind() string       { s, _ := o.Body["kind"].(string); return s }
func (o Object) Name() string       { return o.meta("name") }
func (o Object) Namespace() string  { return o.meta("namespace") }

func (o Object) meta(k string) string {
	m, _ := o.Body["metadata"].(map[string]any)
	s, _ := m[k].(string)
	return s
}

// GVK returns the object's group, version and kind.
func (o Object) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion(), o.Kind())
}

// ID is "Kind/namespace/name" (namespace empty for cluster-scoped objects).
func (o Object) ID() string {
	return o.Kind() + "/" + o.Namespace() + "/" + o.Name()
}

// FileName is the lowercase file name of the object inside its unit.
func (o Object) FileName() string {
	parts := []string{strings.ToLower(o.Kind())}
	if ns := o.Namespace(); ns != "" {
		parts = append(parts, ns)
	}
	parts = append(parts, o.Name())
	return strings.Join(parts, "-") + ".yaml"
}

// Annotate sets an annotation on the object. A body the object does not
// own (one a Pool shares between environments) is copied first along the
// path to the annotations: the top-level map, metadata and annotations;
// the rest stays shared.
func (o *Object) Annotate(k, v string) {
	if !samePointer(o.owned, o.Body) {
		top := maps.Clone(o.Body)
		md := maps.Clone(top["metadata"].(map[string]any))
		if ann, ok := md["annotations"].(map[string]any); ok {
			md["annotations"] = maps.Clone(ann)
		}
		top["metadata"] = md
		if samePointer(o.literal, o.Body) {
			o.literal = top
		}
		o.Body, o.owned = top, top
	}
	md := o.Body["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	ann[k] = v
	if strings.Contains(k, Placeholder) || strings.Contains(v, Placeholder) {
		o.literal = nil
	}
}

func samePointer(a, b map[string]any) bool {
	return a != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// FromTyped converts a typed Kubernetes value (k8s.io/api struct or a local
// typed struct with TypeMeta and ObjectMeta) into an object, with a body of
// its own: FromTyped is Pool.FromTyped without a pool.
func FromTyped(target Target, unit, origin string, v any) (Object, error) {
	return (*Pool)(nil).FromTyped(target, unit, origin, v)
}

// Must panics on error; for renderers whose inputs are typed and always marshal.
func Must(o Object, err error) Object {
	if err != nil {
		panic(err)
	}
	return o
}

// FromProto builds an Istio object whose spec is an istio.io/api message:
// Pool.FromProto without a pool.
func FromProto(target Target, unit, origin string, tm metav1.TypeMeta, om metav1.ObjectMeta, spec proto.Message, ext func(spec map[string]any) error) (Object, error) {
	return (*Pool)(nil).FromProto(target, unit, origin, tm, om, spec, ext)
}

// ToMap converts a typed value into a JSON map (for ASM extension fields).
func ToMap(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// normalize removes what the Kubernetes Go types add but a manifest should
// not carry: creationTimestamp: null and any status (the server owns it;
// some types, such as HorizontalPodAutoscaler, marshal a zero status with
// non-omitempty fields).
func normalize(body map[string]any) {
	if md, ok := body["metadata"].(map[string]any); ok {
		if v, ok := md["creationTimestamp"]; ok && v == nil {
			delete(md, "creationTimestamp")
		}
	}
	delete(body, "status")
	dropNullTimestamps(body)
}

func dropNullTimestamps(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if k == "creationTimestamp" && c == nil {
				delete(v, k)
				continue
			}
			dropNullTimestamps(c)
		}
	case []any:
		for _, c := range v {
			dropNullTimestamps(c)
		}
	}
}
