package emit_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/hack/scalegen/synth"
)

// TestEncodeYAMLMatchesYAMLv2: the direct YAML writer writes yaml.v2's
// bytes for every object of the reference app and of a synthetic
// 100-model platform, and takes almost all of them itself.
func TestEncodeYAMLMatchesYAMLv2(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(t.TempDir(), "scale")
	if err := synth.Write(repo, dir, 100, 8000); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{repo, dir} {
		res, err := compile.Compile(compile.Options{Load: load.Options{Root: root}, ObjectsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		total, direct := 0, 0
		for env, objs := range res.Objects {
			for _, o := range objs {
				total++
				if emit.CheckEncode(t, env+" "+o.ID(), o.Body) {
					direct++
				}
			}
		}
		t.Logf("%s: direct writer took %d of %d objects", root, direct, total)
		if direct < total*9/10 {
			t.Errorf("%s: the direct writer took only %d of %d objects", root, direct, total)
		}
	}
}
