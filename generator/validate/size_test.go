package validate

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/render/object"
)

// TestObjectSize: objects up to MaxObjectBytes pass; above it the problem
// names the field holding most of the bytes, or none when no field does.
func TestObjectSize(t *testing.T) {
	cm := func(data map[string]any) object.Object {
		objs := []object.Object{{Target: object.ACK, Body: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "c", "namespace": "n"},
			"data":     data,
		}}}
		if err := object.Seal(objs); err != nil {
			t.Fatal(err)
		}
		return objs[0]
	}
	many := map[string]any{}
	for i := range 20 {
		many[strings.Repeat("k", i+1)] = strings.Repeat("v", MaxObjectBytes/16)
	}
	for _, tc := range []struct {
		name     string
		obj      object.Object
		wantPath string // "-" for no problem
	}{
		{"small", cm(map[string]any{"a": "b"}), "-"},
		{"at the bound", cm(map[string]any{"a": strings.Repeat("v", MaxObjectBytes-200)}), "-"},
		{"one large value", cm(map[string]any{"a": "b", "big": strings.Repeat("v", MaxObjectBytes)}), "data.big"},
		{"spread over many values", cm(many), "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := objectSize(tc.obj)
			if tc.wantPath == "-" {
				if len(ps) != 0 {
					t.Fatalf("want no problem, got %v", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Path != tc.wantPath || ps[0].Hint == "" || !strings.Contains(ps[0].Message, "over the 1 MiB") {
				t.Fatalf("want one problem at %s, got %v", tc.wantPath, ps)
			}
		})
	}
}
