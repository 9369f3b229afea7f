package check_test

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/check"
	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/render/object"
)

// TestRouteHasAllow (AM0805, an invariant): the reference app's objects
// pass; without the ALLOW policy of a routed service, or without the
// gateway principal in an exposed service's policy, the routes are refused.
func TestRouteHasAllow(t *testing.T) {
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: repoRoot(t)}, Envs: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	objs := res.Objects["prod"]
	if l := check.Objects(res.Load.Positions, "prod", objs); len(l) != 0 {
		t.Fatalf("reference app: %v", l)
	}
	without := func(name string) []object.Object {
		var out []object.Object
		for _, o := range objs {
			if !(o.Kind() == "AuthorizationPolicy" && o.Name() == name) {
				out = append(out, o)
			}
		}
		if len(out) != len(objs)-1 {
			t.Fatalf("no AuthorizationPolicy %s", name)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		objs []object.Object
		want string
	}{
		{"waypoint policy missing", without("style-transfer-require-jwt"),
			"VirtualService apsara-demo/style-transfer-vs routes to style-transfer.apsara-demo.svc.cluster.local, but no ALLOW policy admits any caller under the default deny [AM0805]"},
		{"exposed service's policy missing", without("ai-backend-allow"),
			"VirtualService apsara-demo/ai-app-vs routes to ai-backend-svc.apsara-demo.svc.cluster.local, but no ALLOW policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check.Objects(res.Load.Positions, "prod", tc.objs)
			if !strings.Contains(got.Error(), tc.want) {
				t.Errorf("got %q, want %q", got.Error(), tc.want)
			}
		})
	}
	// The exposed service admits only its callers, not the gateway.
	var broken []object.Object
	for _, o := range objs {
		if o.Kind() == "AuthorizationPolicy" && o.Name() == "ai-backend-allow" {
			cp := o
			cp.Body = map[string]any{"apiVersion": o.APIVersion(), "kind": o.Kind(), "metadata": o.Body["metadata"],
				"spec": map[string]any{
					"selector": map[string]any{"matchLabels": map[string]any{"app": "ai-backend"}},
					"rules": []any{map[string]any{"from": []any{map[string]any{"source": map[string]any{
						"principals": []any{"cluster.local/ns/apsara-demo/sa/style-transfer"}}}}}},
				}}
			o = cp
		}
		broken = append(broken, o)
	}
	if got := check.Objects(res.Load.Positions, "prod", broken).Error(); !strings.Contains(got, "no ALLOW policy admits a gateway principal") {
		t.Errorf("gateway principal not required: %q", got)
	}
}
