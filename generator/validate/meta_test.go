package validate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aimesh/aimesh/generator/validate"
)

// TestPlainMeta: the metadata of every object of the reference app (the
// GitOps objects included) is read without the JSON round trip, and reads
// as strictDecode reads it; metadata of any other shape falls back to
// strictDecode.
func TestPlainMeta(t *testing.T) {
	res := reference(t)
	n := 0
	for _, env := range res.Envs {
		for _, o := range res.Objects[env] {
			md, _ := o.Body["metadata"].(map[string]any)
			got, ok := validate.PlainMeta(md)
			if !ok {
				t.Errorf("%s %s: metadata %v is not read directly", env, o.ID(), md)
				continue
			}
			want, err := validate.StrictMeta(md)
			if err != nil {
				t.Fatalf("%s %s: %v", env, o.ID(), err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s %s: direct read differs from strictDecode (-strict +direct):\n%s", env, o.ID(), d)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no object read")
	}
	for name, md := range map[string]map[string]any{
		"another field":           {"name": "a", "generateName": "b"},
		"a key in another case":   {"Name": "a"},
		"a numeric name":          {"name": 1.0},
		"null labels":             {"name": "a", "labels": nil},
		"a numeric label value":   {"name": "a", "labels": map[string]any{"k": 1.0}},
		"a list of annotations":   {"name": "a", "annotations": []any{"x"}},
		"a null annotation value": {"name": "a", "annotations": map[string]any{"k": nil}},
		"a namespace object":      {"name": "a", "namespace": map[string]any{}},
	} {
		if got, ok := validate.PlainMeta(md); ok {
			t.Errorf("%s: read directly as %+v; want the strict decoder", name, got)
		}
	}
	// The empty and the minimal metadata read alike both ways.
	for _, md := range []map[string]any{nil, {}, {"name": "a", "labels": map[string]any{}}} {
		got, ok := validate.PlainMeta(md)
		want, err := validate.StrictMeta(md)
		if !ok || err != nil {
			t.Errorf("%v: direct %v, strict %v", md, ok, err)
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%v: (-strict +direct):\n%s", md, d)
		}
	}
}
