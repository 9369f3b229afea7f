package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8sjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/parallel"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
	crdschema "github.com/aimesh/aimesh/generator/validate/schema"
)

// Layers.
const (
	LayerTyped  = "typed"
	LayerIstio  = "istio"
	LayerSchema = "schema"
)

// LayerKube (kube.go) and LayerMesh (gateways.go) are the parity layers.

// Problem is one rejected field of one object.
type Problem struct {
	Object  object.Object
	Layer   string
	Path    string // JSON field path inside the object, e.g. spec.replicas
	Message string
	Hint    string // what to do, when more can be said than the layer's hint
}

func (p Problem) String() string {
	o := p.Object
	id := o.Kind() + " " + o.Name()
	if ns := o.Namespace(); ns != "" {
		id = o.Kind() + " " + ns + "/" + o.Name()
	}
	s := fmt.Sprintf("%s (%s): ", id, o.Target)
	if p.Path != "" {
		s += p.Path + ": "
	}
	return s + p.Message + " [" + p.Layer + "]"
}

// Validator validates objects. It is safe for concurrent use.
type Validator struct {
	schemas *crdschema.Validator
	codec   runtime.Decoder
	// seen holds one verdict per body, by the SHA-256 of its JSON: the
	// per-object layers are a function of the body alone, and most objects
	// repeat across environments (validated concurrently) and across the
	// two sides of a diff.
	seen sync.Map // object.Object.Digest() -> *verdict
}

// verdict is the outcome of validating one body, computed once.
type verdict struct {
	once   sync.Once
	passed bool
	ref    *podRef // of a Deployment or Service
}

var (
	once     sync.Once
	shared   *Validator
	sharedEr error
)

// Default returns the process-wide validator (the vendored CRDs are parsed once).
func Default() (*Validator, error) {
	once.Do(func() { shared, sharedEr = New() })
	return shared, sharedEr
}

// New loads the vendored CRD schemas.
func New() (*Validator, error) {
	s, err := crdschema.Load()
	if err != nil {
		return nil, err
	}
	codec := k8sjson.NewSerializerWithOptions(k8sjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		k8sjson.SerializerOptions{Strict: true})
	return &Validator{schemas: s, codec: codec}, nil
}

// Forget drops the remembered verdicts, so that the next validation of
// each body does the whole work again: for benchmarks of a first run.
func (v *Validator) Forget() { v.seen.Clear() }

// Warm parses, in parallel, the CRDs of the custom resource kinds among
// objs and of the kinds listed, and returns when they are parsed; each
// object's schema is then compiled for its shape when first validated.
func (v *Validator) Warm(objs []object.Object, kinds ...schema.GroupVersionKind) {
	seen := map[schema.GroupVersionKind]bool{}
	for _, k := range kinds {
		seen[k] = true
	}
	for _, o := range objs {
		seen[o.GVK()] = true
	}
	gvks := make([]schema.GroupVersionKind, 0, len(seen))
	for k := range seen {
		gvks = append(gvks, k)
	}
	v.schemas.Warm(gvks...)
}

// Objects validates every object and returns the problems sorted. The
// CRDs of the kinds among objs are parsed in parallel first (Warm), and
// the objects are validated by one worker per CPU: environments validated
// at the same time share most bodies, and one that waits for a verdict
// another is computing would otherwise leave its core idle.
func (v *Validator) Objects(objs []object.Object) []Problem {
	v.Warm(objs)
	type result struct {
		ps  []Problem
		ref *podRef
	}
	results := make([]result, len(objs))
	parallel.For(len(objs), func(i int) {
		results[i].ps, results[i].ref = v.memoized(objs[i])
	})
	var out []Problem
	refs := map[int]*podRef{}
	for i, r := range results {
		out = append(out, r.ps...)
		if r.ref != nil {
			refs[i] = r.ref
		}
	}
	out = append(out, selectsPods(objs, refs)...)
	out = append(out, gatewayOwners(objs)...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Object.Target != b.Object.Target {
			return a.Object.Target < b.Object.Target
		}
		if a.Object.ID() != b.Object.ID() {
			return a.Object.ID() < b.Object.ID()
		}
		return a.Path < b.Path
	})
	return out
}

// Object validates one object.
func (v *Validator) Object(o object.Object) []Problem {
	ps, _ := v.memoized(o)
	return ps
}

// memoized is object, skipped for a body that already passed. It
// returns what the cross-object checks need of a Deployment or Service
// that decoded (nil otherwise); callers only read it.
func (v *Validator) memoized(o object.Object) ([]Problem, *podRef) {
	sum, err := o.Digest()
	if err != nil {
		return []Problem{{Object: o, Layer: LayerTyped, Message: err.Error()}}, nil
	}
	e, _ := v.seen.LoadOrStore(sum, &verdict{})
	vd := e.(*verdict)
	var ps []Problem
	var ref *podRef
	computed := false
	vd.once.Do(func() {
		var obj runtime.Object
		ps, obj = v.validateObject(o)
		ref = refOf(obj)
		vd.passed, vd.ref, computed = len(ps) == 0, ref, true
	})
	switch {
	case computed:
		return ps, ref
	case vd.passed:
		return nil, vd.ref
	}
	// A body that failed is validated again for each object that has it,
	// so that every problem names its own object.
	ps, obj := v.validateObject(o)
	return ps, refOf(obj)
}

// validateObject validates one object and returns the k8s.io/api value of
// a built-in kind that decoded cleanly.
func (v *Validator) validateObject(o object.Object) ([]Problem, runtime.Object) {
	ps, obj := v.layers(o)
	if size := objectSize(o); size != nil {
		return append(size, ps...), obj
	}
	return ps, obj
}

// layers validates one object by the layers of its kind.
func (v *Validator) layers(o object.Object) ([]Problem, runtime.Object) {
	gvk := o.GVK()
	switch {
	case scheme.Scheme.Recognizes(gvk):
		// Only built-in kinds are decoded from JSON; custom and Istio
		// kinds are read from the body. A body that is still what its
		// k8s.io/api value encodes to, annotations aside, decodes to that
		// value: it is used as it is (the metadata, annotations included,
		// is validated from the body by kube). At 1,000 models this
		// saves encoding and decoding 4,000 bodies (0.5 s CPU).
		if t := o.Typed(); t != nil && isKindOf(t, gvk) {
			return kube(o, t), t
		}
		return v.builtin(o)
	case gvk.Group == "networking.istio.io" || gvk.Group == "security.istio.io":
		out := append(kube(o, nil), v.istio(o)...)
		out = append(out, meshHosts(o)...)
		return append(out, serverTLS(o)...), nil
	case v.schemas.Knows(gvk):
		out := kube(o, nil)
		// Decode numbers as the API server does: integral values are int64.
		body, _ := intNumbers(o.Body).(map[string]any)
		for _, fe := range v.schemas.Validate(&unstructured.Unstructured{Object: body}) {
			out = append(out, Problem{Object: o, Layer: LayerSchema, Path: fe.Path, Message: fe.Message})
		}
		return out, nil
	default:
		return []Problem{{Object: o, Layer: LayerSchema, Message: fmt.Sprintf("no schema for %s: vendor its CRD under schemas/crds (make vendor-schemas)", gvk)}}, nil
	}
}

// isKindOf says that obj's Go type is the one the scheme decodes gvk into.
func isKindOf(obj runtime.Object, gvk schema.GroupVersionKind) bool {
	kinds, _, err := scheme.Scheme.ObjectKinds(obj)
	return err == nil && slices.Contains(kinds, gvk)
}

// builtin validates a built-in kind by decoding its body strictly into
// its k8s.io/api type.
func (v *Validator) builtin(o object.Object) ([]Problem, runtime.Object) {
	data, err := json.Marshal(o.Body)
	if err != nil {
		return []Problem{{Object: o, Layer: LayerTyped, Message: err.Error()}}, nil
	}
	ps, obj := v.typed(o, data)
	if len(ps) > 0 {
		return ps, nil
	}
	return kube(o, obj), obj
}

var jsonPosRE = regexp.MustCompile(`^\(line \d+:\d+\): `)

var unknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)

func (v *Validator) typed(o object.Object, data []byte) ([]Problem, runtime.Object) {
	obj, _, err := v.codec.Decode(data, nil, nil)
	if err == nil {
		return nil, obj
	}
	if se, ok := err.(interface{ Errors() []error }); ok && runtime.IsStrictDecodingError(err) {
		var out []Problem
		for _, e := range se.Errors() {
			p := Problem{Object: o, Layer: LayerTyped, Message: e.Error()}
			if m := unknownFieldRE.FindStringSubmatch(e.Error()); m != nil {
				p.Path, p.Message = m[1], "unknown field (not in the k8s.io/api type)"
			}
			out = append(out, p)
		}
		return out, nil
	}
	return []Problem{{Object: o, Layer: LayerTyped, Message: err.Error()}}, nil
}

// istioSpec returns the istio.io/api message of an Istio kind.
func istioSpec(kind string) proto.Message {
	switch kind {
	case "Gateway":
		return &networking.Gateway{}
	case "VirtualService":
		return &networking.VirtualService{}
	case "DestinationRule":
		return &networking.DestinationRule{}
	case "EnvoyFilter":
		return &networking.EnvoyFilter{}
	case "ServiceEntry":
		return &networking.ServiceEntry{}
	case "Sidecar":
		return &networking.Sidecar{}
	case "RequestAuthentication":
		return &security.RequestAuthentication{}
	case "AuthorizationPolicy":
		return &security.AuthorizationPolicy{}
	case "PeerAuthentication":
		return &security.PeerAuthentication{}
	}
	return nil
}

func (v *Validator) istio(o object.Object) []Problem {
	msg := istioSpec(o.Kind())
	if msg == nil {
		return []Problem{{Object: o, Layer: LayerIstio, Message: "unsupported Istio kind " + o.Kind()}}
	}
	var out []Problem
	for k := range o.Body {
		switch k {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			out = append(out, Problem{Object: o, Layer: LayerIstio, Path: k, Message: "unknown top-level field"})
		}
	}
	spec, _ := o.Body["spec"].(map[string]any)
	// Work on a copy: extension fields are removed before the proto decode.
	cp, err := deepCopy(spec)
	if err != nil {
		return append(out, Problem{Object: o, Layer: LayerIstio, Path: "spec", Message: err.Error()})
	}
	out = append(out, asmExtensions(o, cp)...)
	data, err := json.Marshal(cp)
	if err != nil {
		return append(out, Problem{Object: o, Layer: LayerIstio, Path: "spec", Message: err.Error()})
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(data, msg); err != nil {
		out = append(out, Problem{Object: o, Layer: LayerIstio, Path: "spec", Message: protoMessage(err)})
	}
	return out
}

// protoMessage strips protojson's unstable prefix from an error.
func protoMessage(err error) string {
	s := err.Error()
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if i := strings.Index(s, "proto:"); i >= 0 {
		s = strings.TrimSpace(s[i+len("proto:"):])
	}
	s = jsonPosRE.ReplaceAllString(s, "")
	return s + " (istio.io/api " + "strict decode)"
}

func deepCopy(m map[string]any) (map[string]any, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(data, &out)
	return out, err
}

var lowerHeaderRE = regexp.MustCompile(`^[a-z0-9][-_a-z0-9]*$`)

var fallbackPolicies = map[string]bool{"NO_FALLBACK": true, "ANY_ENDPOINT": true, "DEFAULT_SUBSET": true}

// asmExtensions removes ASM's extension fields from spec and validates
// them with their typed structs.
func asmExtensions(o object.Object, spec map[string]any) []Problem {
	var out []Problem
	bad := func(path, format string, args ...any) {
		out = append(out, Problem{Object: o, Layer: LayerIstio, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	switch o.Kind() {
	case "VirtualService":
		http, _ := spec["http"].([]any)
		for i, h := range http {
			route, _ := h.(map[string]any)
			raw, ok := route["headerToDynamicSubsetKey"]
			if !ok {
				continue
			}
			delete(route, "headerToDynamicSubsetKey")
			path := fmt.Sprintf("spec.http[%d].headerToDynamicSubsetKey", i)
			var keys []asm.HeaderToDynamicSubsetKey
			if err := strictDecode(raw, &keys); err != nil {
				bad(path, "%v (ASM extension)", err)
				continue
			}
			for j, k := range keys {
				if !lowerHeaderRE.MatchString(k.Header) {
					bad(fmt.Sprintf("%s[%d].header", path, j), "header %q must be lowercase and non-empty", k.Header)
				}
				if k.Key == "" {
					bad(fmt.Sprintf("%s[%d].key", path, j), "key is required")
				}
			}
		}
	case "DestinationRule":
		tp, _ := spec["trafficPolicy"].(map[string]any)
		lb, _ := tp["loadBalancer"].(map[string]any)
		raw, ok := lb["dynamicSubset"]
		if !ok {
			return nil
		}
		delete(lb, "dynamicSubset")
		path := "spec.trafficPolicy.loadBalancer.dynamicSubset"
		if len(lb) > 0 {
			bad(path, "dynamicSubset cannot be combined with simple or consistentHash (C17)")
		}
		if len(lb) == 0 {
			delete(tp, "loadBalancer")
		}
		var ds asm.DynamicSubset
		if err := strictDecode(raw, &ds); err != nil {
			bad(path, "%v (ASM extension)", err)
			return out
		}
		if !fallbackPolicies[ds.FallbackPolicy] {
			bad(path+".fallbackPolicy", "unsupported value %q: one of NO_FALLBACK, ANY_ENDPOINT, DEFAULT_SUBSET", ds.FallbackPolicy)
		}
		for i, s := range ds.SubsetSelectors {
			if len(s.Keys) == 0 {
				bad(fmt.Sprintf("%s.subsetSelectors[%d].keys", path, i), "at least one key is required")
			}
			if s.FallbackPolicy != "" && !fallbackPolicies[s.FallbackPolicy] {
				bad(fmt.Sprintf("%s.subsetSelectors[%d].fallbackPolicy", path, i), "unsupported value %q", s.FallbackPolicy)
			}
		}
	}
	return out
}

func strictDecode(raw any, into any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// Diagnostics turns problems into diagnostics at the CUE position of the
// value each object was rendered from.
func Diagnostics(ix load.Index, env string, ps []Problem) diag.List {
	var out diag.List
	for _, p := range ps {
		hint := "the value at this position produced an object the API server would reject; fix the CUE value (or report an aimesh bug if the CUE is right)"
		switch {
		case p.Hint != "":
			hint = p.Hint
		case p.Layer == LayerMesh:
			hint = "the value at this position produced an object Istio would reject or misroute; fix the CUE value (or report an aimesh bug if the CUE is right)"
		}
		out = append(out, diag.Diagnostic{
			Severity: diag.Error, Pos: ix.Lookup(p.Object.Origin), Path: p.Object.Origin, Env: env,
			Message: "rendered " + p.String(), Hint: hint,
		})
	}
	return out
}

// intNumbers returns a copy of v with integral float64 values as int64,
// which is how the API server's JSON decoding (and so CEL) sees them.
func intNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, c := range v {
			out[k] = intNumbers(c)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			out[i] = intNumbers(c)
		}
		return out
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
		return v
	}
	return v
}
