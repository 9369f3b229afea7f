package gitops_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
)

// TestArgoSkipDryRunForASMInstalledKinds: InferenceServices and the waypoint
// Gateway depend on CRDs that ASM installs into ACK; with Argo CD they skip
// the dry run when the CRD is still missing, and nothing else does.
func TestArgoSkipDryRunForASMInstalledKinds(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: filepath.Join(filepath.Dir(file), "..", "..")}, Envs: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]bool{}
	for _, o := range res.Objects["prod"] {
		md := o.Body["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		if ann[gitops.ArgoSyncOptionsAnnotation] == "SkipDryRunOnMissingResource=true" {
			skipped[o.Kind()+"/"+o.Name()] = true
			if o.Target != object.ACK {
				t.Errorf("%s on %s skips the dry run", o.ID(), o.Target)
			}
		}
	}
	for _, want := range []string{"InferenceService/tf-style-transfer", "InferenceService/pt-style-transfer", "Gateway/style-transfer-waypoint"} {
		if !skipped[want] {
			t.Errorf("%s does not skip the dry run on a missing CRD", want)
		}
	}
	if len(skipped) != 3 {
		t.Errorf("skipped = %v, want exactly the three ASM-installed kinds", skipped)
	}
}
