package compile_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/hack/scalegen/synth"
)

// TestSharedBodiesStayPerEnvironment: the environments of one compilation
// share the bodies they render alike (object.Pool), and nothing one
// environment does to its objects (the GitOps annotations, Seal, emit)
// shows in another. Every environment compiled with the others gives the
// files it gives compiled alone, for the reference app and a synthetic
// platform; and the bodies are in fact shared, or the test proves nothing.
func TestSharedBodiesStayPerEnvironment(t *testing.T) {
	synthetic := filepath.Join(t.TempDir(), "synth")
	if err := synth.Write(repoRoot(), synthetic, 12, 8000); err != nil {
		t.Fatal(err)
	}
	for name, root := range map[string]string{"reference": repoRoot(), "synthetic": synthetic} {
		t.Run(name, func(t *testing.T) {
			compile.Forget()
			all, err := compile.Compile(compile.Options{Load: load.Options{Root: root}})
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Envs) < 2 {
				t.Fatalf("%d environments: nothing to share", len(all.Envs))
			}
			if n := sharedSpecs(all); n == 0 {
				t.Error("no spec is shared between environments")
			} else {
				t.Logf("%d objects share their spec with an object of another environment", n)
			}
			for _, env := range all.Envs {
				compile.Forget()
				alone, err := compile.Compile(compile.Options{Load: load.Options{Root: root}, Envs: []string{env}})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, p := range all.Tree.Paths() {
					if !strings.HasPrefix(p, env+"/") {
						continue
					}
					n++
					if !bytes.Equal(all.Tree[p], alone.Tree[p]) {
						t.Errorf("%s differs between the environment compiled with the others and alone", p)
					}
				}
				if n != len(alone.Tree) {
					t.Errorf("%s: %d files compiled with the others, %d alone", env, n, len(alone.Tree))
				}
			}
		})
	}
}

// sharedSpecs counts the objects whose spec map is the very map of an
// object of another environment.
func sharedSpecs(res *compile.Result) int {
	envOf := map[uintptr]string{}
	n := 0
	for _, env := range res.Envs {
		for _, o := range res.Objects[env] {
			spec, ok := o.Body["spec"].(map[string]any)
			if !ok || o.Target == object.GitOps {
				continue
			}
			p := uintptr(reflect.ValueOf(spec).UnsafePointer())
			if first, seen := envOf[p]; seen && first != env {
				n++
			} else if !seen {
				envOf[p] = env
			}
		}
	}
	return n
}
