package emit_test

import (
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
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

// TestSortMatchesSSA: emit.Sort gives fluxcd/pkg/ssa's order (sort.Stable
// of ssa.SortableUnstructureds) for the objects of every environment of
// the reference app, whatever their input order.
func TestSortMatchesSSA(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: filepath.Join(filepath.Dir(file), "..", "..")}, ObjectsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for env, objs := range res.Objects {
		for round := 0; round < 5; round++ {
			in := append([]object.Object(nil), objs...)
			rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
			us := make(ssa.SortableUnstructureds, len(in))
			for i, o := range in {
				us[i] = &unstructured.Unstructured{Object: o.Body}
			}
			sort.Stable(us)
			got := emit.Sort(in)
			for i := range got {
				if got[i].ID() != (object.Object{Body: us[i].Object}).ID() {
					t.Fatalf("%s round %d: position %d is %s, ssa has %s", env, round, i, got[i].ID(), (object.Object{Body: us[i].Object}).ID())
				}
			}
		}
	}
}
