package compile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/hack/scalegen/synth"
)

// scaleRoot writes a synthetic platform of n models (hack/scalegen) once
// per benchmark run.
func scaleRoot(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), fmt.Sprint(n))
	if err := synth.Write("../..", dir, n, 8000); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkScale compiles synthetic platforms (3 environments) in memory:
// load (CUE), check, render, validate, emit.Build. AIMESH_SCALE=10000 adds
// the 10,000-model platform (minutes on two cores).
func BenchmarkScale(b *testing.B) {
	sizes := []int{100, 1000}
	if os.Getenv("AIMESH_SCALE") == "10000" {
		sizes = append(sizes, 10000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			root := scaleRoot(b, n)
			b.Run("load", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := load.Load(load.Options{Root: root}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("compile", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					compile.Forget() // a first run, as aimesh generate does it
					b.StartTimer()
					if _, err := compile.Compile(compile.Options{Load: load.Options{Root: root}}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
