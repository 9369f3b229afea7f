package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// specializedCorpus is every custom resource of the reference app's
// overlays and of this package's test objects, one per distinct shape and
// kind.
func specializedCorpus(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	srcs := []string{inferenceService, waypoint, application, kustomization, gitRepository, istioGateway, asmSecurityPolicy}
	root := filepath.Join("..", "..", "..", "overlays")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" || d.Name() == "kustomization.yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		srcs = append(srcs, strings.Split(string(data), "\n---\n")...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []*unstructured.Unstructured
	for _, src := range srcs {
		js, err := yaml.YAMLToJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil || u.GetKind() == "" {
			continue
		}
		key := u.GroupVersionKind().String() + shapeOf(u.Object).key()
		if !seen[key] {
			seen[key] = true
			out = append(out, u)
		}
	}
	return out
}

// mutations returns variants of obj that cover what a specialised schema
// must still judge like the whole one: each field removed, replaced by a
// value of every JSON type, an unknown field added to every object, and
// every property the whole schema declares but obj lacks added with values
// of every type.
func mutations(obj map[string]any, whole map[string]any) []map[string]any {
	var out []map[string]any
	values := []any{"x", "", int64(7), int64(-1), 1.5, true, nil, map[string]any{}, []any{}, []any{map[string]any{}}}
	var walk func(path []any, v any, sch map[string]any)
	walk = func(path []any, v any, sch map[string]any) {
		if len(path) > 0 {
			if last, ok := path[len(path)-1].(string); ok {
				out = append(out, mutate(obj, path[:len(path)-1], func(parent any) { delete(parent.(map[string]any), last) }))
			}
			for _, nv := range values {
				out = append(out, mutate(obj, path, func(any) any { return nv }))
			}
		}
		switch x := v.(type) {
		case map[string]any:
			out = append(out, mutate(obj, path, func(n any) { n.(map[string]any)["zzUnknown"] = "x" }))
			props, _ := sch["properties"].(map[string]any)
			names := make([]string, 0, len(props))
			for name := range props {
				if _, present := x[name]; !present {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			for _, name := range names {
				for _, nv := range values {
					out = append(out, mutate(obj, path, func(n any) { n.(map[string]any)[name] = nv }))
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				child, _ := props[k].(map[string]any)
				if child == nil {
					child, _ = sch["additionalProperties"].(map[string]any)
				}
				walk(append(append([]any{}, path...), k), x[k], child)
			}
		case []any:
			items, _ := sch["items"].(map[string]any)
			for i, e := range x {
				walk(append(append([]any{}, path...), i), e, items)
			}
		}
	}
	walk(nil, obj, whole)
	return out
}

// mutate returns a deep copy of obj in which the node at path is changed:
// by edit when it is a func(any), replaced by replace's result otherwise.
func mutate[F func(any) | func(any) any](obj map[string]any, path []any, f F) map[string]any {
	c := runtimeDeepCopy(obj)
	var parent any
	var node any = c
	for _, p := range path {
		parent = node
		switch k := p.(type) {
		case string:
			node = node.(map[string]any)[k]
		case int:
			node = node.([]any)[k]
		}
	}
	switch fn := any(f).(type) {
	case func(any):
		fn(node)
	case func(any) any:
		nv := fn(node)
		switch k := path[len(path)-1].(type) {
		case string:
			parent.(map[string]any)[k] = nv
		case int:
			parent.([]any)[k] = nv
		}
	}
	return c
}

func runtimeDeepCopy(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}

// TestSpecializedMatchesFull validates every corpus object and its
// mutations against the kind's whole schema and against the schema
// specialised to the object's shape, and wants the same verdict. An
// object has hundreds of mutations (the reference app's ≈ 34,000 in
// all, a minute on the 2-core machine); evenly spaced samplePerObject
// of them run by default, all with AIMESH_SPECIALIZE_ALL=1.
func TestSpecializedMatchesFull(t *testing.T) {
	samplePerObject := 60
	if os.Getenv("AIMESH_SPECIALIZE_ALL") != "" {
		samplePerObject = 0
	}
	corpus := specializedCorpus(t)
	kinds := map[k8sschema.GroupVersionKind]bool{}
	total := 0
	for _, testOnly := range []bool{false, true} {
		v, err := LoadAll(testOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range corpus {
			gvk := u.GroupVersionKind()
			lk, ok := v.kinds[gvk]
			if !ok || testOnly && !strings.HasPrefix(lk.doc.file, testOnlyDir+"/") {
				continue
			}
			kinds[gvk] = true
			info, err := lk.versionInfo()
			if err != nil {
				t.Fatal(err)
			}
			variants := append([]map[string]any{u.Object}, sample(mutations(u.Object, info.openAPI), samplePerObject)...)
			for _, obj := range variants {
				total++
				if d := compareVerdicts(lk, obj); d != "" {
					js, _ := json.Marshal(obj)
					t.Errorf("testOnly=%v %s %s:\n%s\nobject: %s", testOnly, gvk.Kind, u.GetName(), d, js)
				}
			}
		}
	}
	if len(kinds) < 10 {
		t.Errorf("the corpus covers %d kinds, want the reference app's custom resources (≥ 10)", len(kinds))
	}
	t.Logf("%d objects, %d kinds", total, len(kinds))
}

// sample returns n evenly spaced elements of all (all of them when n is 0
// or more than there are).
func sample[T any](all []T, n int) []T {
	if n == 0 || len(all) <= n {
		return all
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[i*len(all)/n])
	}
	return out
}

// compareVerdicts validates obj against lk's whole schema and against the
// schema specialised to obj's shape; "" when they agree.
func compareVerdicts(lk *lazyKind, obj map[string]any) string {
	whole, err := lk.schema()
	if err != nil {
		return "whole schema: " + err.Error()
	}
	spec, err := lk.compile(shapeOf(obj))
	if err != nil {
		return "specialised schema: " + err.Error()
	}
	// validate prunes and defaults its argument as the API server would:
	// the objects it leaves must be equal too.
	wantObj, gotObj := runtimeDeepCopy(obj), runtimeDeepCopy(obj)
	want := whole.validate(wantObj)
	got := spec.validate(gotObj)
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("whole schema:\n%s\nspecialised:\n%s", format(want), format(got))
	}
	if !reflect.DeepEqual(wantObj, gotObj) {
		wj, _ := json.Marshal(wantObj)
		gj, _ := json.Marshal(gotObj)
		return fmt.Sprintf("defaulted and pruned, whole schema:\n%s\nspecialised:\n%s", wj, gj)
	}
	return ""
}

// fuzzSeed is a corpus object as a fuzz input: its kind's index in the
// kinds fuzzCorpus returns, and its JSON.
type fuzzSeed struct {
	kind uint8
	json []byte
}

// fuzzCorpus returns the validator of the fuzz targets, the kinds of the
// corpus it knows, and the corpus objects as seeds.
func fuzzCorpus(f *testing.F) (*Validator, []k8sschema.GroupVersionKind, []fuzzSeed) {
	corpus := specializedCorpus(f)
	v, err := LoadAll(false)
	if err != nil {
		f.Fatal(err)
	}
	var kinds []k8sschema.GroupVersionKind
	var seeds []fuzzSeed
	seen := map[k8sschema.GroupVersionKind]int{}
	for _, u := range corpus {
		gvk := u.GroupVersionKind()
		if _, ok := v.kinds[gvk]; !ok {
			continue
		}
		if _, ok := seen[gvk]; !ok {
			seen[gvk] = len(kinds)
			kinds = append(kinds, gvk)
		}
		js, err := u.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, fuzzSeed{uint8(seen[gvk]), js})
	}
	return v, kinds, seeds
}

// FuzzSpecializedMatchesFull checks the same on arbitrary JSON objects of
// the kinds of the corpus.
func FuzzSpecializedMatchesFull(f *testing.F) {
	v, kinds, seeds := fuzzCorpus(f)
	for _, s := range seeds {
		f.Add(s.kind, s.json)
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		gvk := kinds[int(kind)%len(kinds)]
		u := &unstructured.Unstructured{}
		if bytes.Count(data, []byte("{")) > 200 || u.UnmarshalJSON(data) != nil {
			return
		}
		u.SetGroupVersionKind(gvk)
		if d := compareVerdicts(v.kinds[gvk], u.Object); d != "" {
			t.Fatalf("%s:\n%s", gvk.Kind, d)
		}
	})
}

// TestShapeKey checks that the shape key is canonical and tells shapes
// apart.
func TestShapeKey(t *testing.T) {
	a := map[string]any{"b": []any{map[string]any{"x": 1}, map[string]any{"y": "s"}}, "a": "z"}
	b := map[string]any{"a": 3, "b": []any{map[string]any{"y": true, "x": nil}}}
	if ka, kb := shapeOf(a).key(), shapeOf(b).key(); ka != kb {
		t.Errorf("same paths, different keys: %s vs %s", ka, kb)
	}
	for _, c := range []map[string]any{
		{"a": "z"},
		{"a": "z", "b": []any{}},
		{"a": map[string]any{}, "b": []any{map[string]any{"x": 1, "y": 2}}},
		{"a\",\"b": 1},
	} {
		if shapeOf(a).key() == shapeOf(c).key() {
			t.Errorf("%v and %v share the key %s", a, c, shapeOf(c).key())
		}
	}
}

// TestSpecializedCache checks that objects of one shape share a compiled
// schema and that past maxShapes the whole schema is used.
func TestSpecializedCache(t *testing.T) {
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	gvk := k8sschema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}
	lk := v.kinds[gvk]
	obj := parse(t, inferenceService).Object
	a, err := lk.schemaFor(obj)
	if err != nil {
		t.Fatal(err)
	}
	other := runtimeDeepCopy(obj)
	unstructured.SetNestedField(other, "other-name", "metadata", "name")
	if b, _ := lk.schemaFor(other); b != a {
		t.Error("two objects of one shape compiled two schemas")
	}
	for i := 0; len(lk.shapes) < maxShapes; i++ {
		o := runtimeDeepCopy(obj)
		unstructured.SetNestedField(o, "v", "metadata", "labels", fmt.Sprintf("l%d", i))
		if _, err := lk.schemaFor(o); err != nil {
			t.Fatal(err)
		}
	}
	o := runtimeDeepCopy(obj)
	unstructured.SetNestedField(o, "v", "metadata", "labels", "one-more")
	whole, _ := lk.schema()
	if ks, _ := lk.schemaFor(o); ks != whole {
		t.Error("past maxShapes, an object did not get the whole schema")
	}
}

func TestHasRules(t *testing.T) {
	for _, c := range []struct {
		node string
		want bool
	}{
		{`{"type":"object"}`, false},
		{`{"type":"object","properties":{"x-kubernetes-validations":{"type":"string"}}}`, false},
		{`{"type":"object","x-kubernetes-validations":[{"rule":"true"}]}`, true},
		{`{"type":"object","properties":{"a":{"type":"array","items":{"type":"object","x-kubernetes-validations":[{"rule":"true"}]}}}}`, true},
		{`{"type":"object","additionalProperties":{"type":"string","x-kubernetes-validations":[{"rule":"true"}]}}`, true},
	} {
		var n map[string]any
		if err := json.Unmarshal([]byte(c.node), &n); err != nil {
			t.Fatal(err)
		}
		if got := hasRules(n); got != c.want {
			t.Errorf("hasRules(%s) = %v, want %v", c.node, got, c.want)
		}
	}
}

func TestReadVersion(t *testing.T) {
	crd := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const schema = `"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","x-kubernetes-validations":[{"rule":"true"}]}}}}`
	got, err := readVersion(crd(`{"spec":{"scope":"Namespaced","versions":[{"name":"v1",`+schema+`,"subresources":{"status":{}}}]}}`), "f.yaml", "v1")
	if err != nil || !got.namespaced || !got.hasStatus || !got.rules || got.openAPI["type"] != "object" {
		t.Errorf("readVersion = %+v, %v", got, err)
	}
	got, err = readVersion(crd(`{"spec":{"scope":"Cluster","versions":[{"name":"v1",`+schema+`}]}}`), "f.yaml", "v1")
	if err != nil || got.namespaced || got.hasStatus {
		t.Errorf("cluster-scoped, no status: %+v, %v", got, err)
	}
	for _, c := range []struct{ crd, want string }{
		{`{"spec":{"preserveUnknownFields":true,"versions":[{"name":"v1",` + schema + `}]}}`, "preserveUnknownFields is not supported"},
		{`{"spec":{"versions":[{"name":"v2",` + schema + `}]}}`, "version v1 is not in the file"},
		{`{"spec":{"versions":[{"name":"v1"}]}}`, "no openAPIV3Schema"},
		{`{}`, "version v1 is not in the file"},
	} {
		if _, err := readVersion(crd(c.crd), "f.yaml", "v1"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("readVersion(%s) = %v, want an error with %q", c.crd, err, c.want)
		}
	}
}
