package gitops_test

import (
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"

	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/validate"
)

func TestRenderBootstrap(t *testing.T) {
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		engine    string
		wantKinds map[string]int
	}{
		{gitops.EngineArgoCD, map[string]int{"Application": 1}},
		{gitops.EngineFlux, map[string]int{"Kustomization": 1}},
		{gitops.EngineBoth, map[string]int{"Application": 1, "Kustomization": 1}},
	} {
		t.Run(tc.engine, func(t *testing.T) {
			r := fixture(gitopsConfig(tc.engine), nil)
			out, err := gitops.RenderBootstrap(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := kindCount(out); len(got) != len(tc.wantKinds) || got["Application"] != tc.wantKinds["Application"] || got["Kustomization"] != tc.wantKinds["Kustomization"] {
				t.Fatalf("kinds %v, want %v", got, tc.wantKinds)
			}
			// Validated like every other gitops object: typed, CRD schema.
			if ps := v.Objects(out); len(ps) > 0 {
				t.Fatalf("invalid root objects: %v", ps)
			}
			for _, o := range out {
				if o.Target != gitops.Bootstrap || o.Name() != "demo-dev-root" {
					t.Errorf("%s: target %s, name %s", o.ID(), o.Target, o.Name())
				}
				switch o.Kind() {
				case "Application":
					a := decode[gitops.RootApplication](t, o)
					if a.Spec.Source.Path != "overlays/dev/gitops" || a.Spec.Destination.Server != gitops.InClusterServer ||
						a.Spec.Destination.Namespace != a.Namespace {
						t.Errorf("root Application: %+v", a.Spec)
					}
				case "Kustomization":
					var k kustomizev1.Kustomization
					strict(t, o, &k)
					if k.Spec.Path != "./overlays/dev/gitops" || k.Spec.SourceRef.Kind != "GitRepository" ||
						k.Spec.SourceRef.Name != gitops.FluxBootstrapSource || k.Spec.KubeConfig != nil {
						t.Errorf("root Kustomization: %+v", k.Spec)
					}
				}
			}
		})
	}
	if out, err := gitops.RenderBootstrap(fixture(nil, nil)); err != nil || len(out) != 0 {
		t.Errorf("without gitops: %v, %v", out, err)
	}
}

// An invalid root object is caught by the same validation as the rest.
func TestRenderBootstrapValidated(t *testing.T) {
	g := gitopsConfig(gitops.EngineFlux)
	g.Interval = "five minutes"
	out, err := gitops.RenderBootstrap(fixture(g, nil))
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Objects(out); len(ps) == 0 {
		t.Fatal("a Kustomization with interval \"five minutes\" passed validation")
	}
}
