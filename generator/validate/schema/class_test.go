package schema

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
)

// classProbes replace string values: empty, long, non-ASCII, control
// characters, things that look like numbers, booleans, URLs, names.
var classProbes = []string{"", "x", "Bad Value!", strings.Repeat("a", 300), "\x00", "ü", "1", "true", "-", "http://h:99999/p", "a.b.c", "${x}"}

// stringPaths lists the paths of obj's string values.
func stringPaths(obj map[string]any) [][]any {
	var out [][]any
	var walk func(path []any, v any)
	walk = func(path []any, v any) {
		switch x := v.(type) {
		case string:
			out = append(out, append([]any{}, path...))
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(append(path, k), x[k])
			}
		case []any:
			for i, c := range x {
				walk(append(path, i), c)
			}
		}
	}
	walk(nil, obj)
	return out
}

// sameClassSameVerdict returns "" when a and b are in different classes,
// or in one class and get the same verdict from the whole schema whenever
// both pass their own metadata validation (what Validator.Validate relies
// on: either may be the one validated in full).
func sameClassSameVerdict(t testing.TB, lk *lazyKind, a, b map[string]any) string {
	info, err := lk.versionInfo()
	if err != nil {
		t.Fatal(err)
	}
	ka, okA := classKey(info.openAPI, a)
	kb, okB := classKey(info.openAPI, b)
	if !okA || !okB || ka != kb {
		return ""
	}
	ua, ub := &unstructured.Unstructured{Object: a}, &unstructured.Unstructured{Object: b}
	if len(validateMeta(ua, info.namespaced)) > 0 || len(validateMeta(ub, info.namespaced)) > 0 {
		return ""
	}
	whole, err := lk.schema()
	if err != nil {
		t.Fatal(err)
	}
	ea, eb := whole.validate(runtimeDeepCopy(a)), whole.validate(runtimeDeepCopy(b))
	if (len(ea) == 0) != (len(eb) == 0) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return "one class, two verdicts:\n" + string(ja) + "\n" + format(ea) + "\n" + string(jb) + "\n" + format(eb)
	}
	return ""
}

// TestClassVerdicts replaces every string value of every corpus object
// (and of its mutations) by each probe: where the class does not change,
// the verdict must not either. It also wants the reference app's kinds
// classed, and the values classKey drops to include names and paths.
func TestClassVerdicts(t *testing.T) {
	corpus := specializedCorpus(t)
	for _, testOnly := range []bool{false, true} {
		v, err := LoadAll(testOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range corpus {
			lk, ok := v.kinds[u.GroupVersionKind()]
			if !ok || testOnly && !strings.HasPrefix(lk.doc.file, testOnlyDir+"/") {
				continue
			}
			info, err := lk.versionInfo()
			if err != nil {
				t.Fatal(err)
			}
			bases := append([]map[string]any{u.Object}, sample(mutations(u.Object, info.openAPI), 4)...)
			for _, base := range bases {
				for _, p := range stringPaths(base) {
					for _, probe := range classProbes {
						m := mutate(base, p, func(any) any { return probe })
						if d := sameClassSameVerdict(t, lk, base, m); d != "" {
							t.Fatalf("%s %s, %v = %q:\n%s", u.GetKind(), u.GetName(), p, probe, d)
						}
					}
				}
			}
		}
	}
}

// TestClassKey: names and unconstrained strings do not change the class;
// keys, types, numbers, bounded lengths and enum values do.
func TestClassKey(t *testing.T) {
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	isvc := v.kinds[k8sschema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}]
	info, err := isvc.versionInfo()
	if err != nil {
		t.Fatal(err)
	}
	obj := func(name, uri string, extra map[string]any) map[string]any {
		model := map[string]any{"modelFormat": map[string]any{"name": "onnx"}, "storageUri": uri}
		for k, v := range extra {
			model[k] = v
		}
		return map[string]any{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
			"metadata": map[string]any{"name": name, "namespace": "models", "labels": map[string]any{"a": name}},
			"spec":     map[string]any{"predictor": map[string]any{"model": model}}}
	}
	base := obj("m1", "pvc://s/a", nil)
	key := func(o map[string]any) [32]byte {
		k, ok := classKey(info.openAPI, o)
		if !ok {
			t.Fatal("InferenceService not classed")
		}
		return k
	}
	for _, tc := range []struct {
		name string
		o    map[string]any
		same bool
	}{
		{"other name, label and storage URI", obj("model-two", "pvc://other/b/c", nil), true},
		{"extra field", obj("m1", "pvc://s/a", map[string]any{"runtime": "triton"}), false},
		{"number for a string", obj("m1", "pvc://s/a", map[string]any{"storageUri": int64(3)}), false},
		{"a number added", func() map[string]any {
			o := obj("m1", "pvc://s/a", nil)
			o["spec"].(map[string]any)["predictor"].(map[string]any)["minReplicas"] = int64(2)
			return o
		}(), false},
	} {
		if got := key(tc.o) == key(base); got != tc.same {
			t.Errorf("%s: same class = %v, want %v", tc.name, got, tc.same)
		}
	}
}

// FuzzClassVerdicts: arbitrary objects of the corpus kinds, with one
// string value (or all of them, idx 0) replaced by s.
func FuzzClassVerdicts(f *testing.F) {
	v, kinds, seeds := fuzzCorpus(f)
	for _, s := range seeds {
		f.Add(s.kind, s.json, uint16(0), "x")
		f.Add(s.kind, s.json, uint16(3), "")
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte, idx uint16, s string) {
		gvk := kinds[int(kind)%len(kinds)]
		u := &unstructured.Unstructured{}
		if bytes.Count(data, []byte("{")) > 200 || u.UnmarshalJSON(data) != nil {
			return
		}
		u.SetGroupVersionKind(gvk)
		paths := stringPaths(u.Object)
		if len(paths) == 0 {
			return
		}
		m := u.Object
		if idx == 0 {
			for _, p := range paths {
				m = mutate(m, p, func(any) any { return s })
			}
		} else {
			m = mutate(m, paths[int(idx-1)%len(paths)], func(any) any { return s })
		}
		if d := sameClassSameVerdict(t, v.kinds[gvk], u.Object, m); d != "" {
			t.Fatalf("%s:\n%s", gvk.Kind, d)
		}
	})
}
