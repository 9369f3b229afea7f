package compile

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/validate/schema"
)

// TestLikelyKinds: every kind warmed ahead of validation is a vendored
// custom resource kind that the reference app renders, so the head start
// is never spent on a kind nothing uses.
func TestLikelyKinds(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	res, err := Compile(Options{Load: load.Options{Root: filepath.Join(filepath.Dir(file), "..", "..")}, ObjectsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, gvk := range likelyKinds {
		if !s.Knows(gvk) {
			t.Errorf("%s has no vendored schema", gvk)
		}
		rendered := false
		for _, objs := range res.Objects {
			for _, o := range objs {
				rendered = rendered || o.GVK() == gvk
			}
		}
		if !rendered {
			t.Errorf("%s is warmed but the reference app does not render it", gvk)
		}
	}
}
