package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/asm"
)

// principalsOf returns rule i's from[0].source.principals of an AuthorizationPolicy.
func principalsOf(t *testing.T, body map[string]any, i int) []string {
	t.Helper()
	spec := body["spec"].(map[string]any)
	rules, _ := spec["rules"].([]any)
	if len(rules) <= i {
		t.Fatalf("policy %v has no rule %d", body["metadata"], i)
	}
	src := rules[i].(map[string]any)["from"].([]any)[0].(map[string]any)["source"].(map[string]any)
	var out []string
	for _, p := range src["principals"].([]any) {
		out = append(out, p.(string))
	}
	return out
}

// TestLeastPrivilege: a default deny in the app namespace, ALLOW exactly
// the declared edges (ai-backend -> style-transfer through the waypoint,
// the edge gateway -> ai-backend), the JWT and the caller checked in one
// waypoint rule, the model gateway admitted to ModelMesh's runtime pods.
func TestLeastPrivilege(t *testing.T) {
	r := resolved(t, "1.22")
	objs, err := asm.Render(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := byID(objs)
	deny, ok := m["AuthorizationPolicy/"+asm.DefaultDeny]
	if !ok || len(deny.Body["spec"].(map[string]any)) != 0 || deny.Namespace() != "apsara-demo" {
		t.Fatalf("no allow-nothing policy in apsara-demo: %v", deny.Body)
	}
	for _, tc := range []struct {
		policy string
		want   []string
	}{
		{"ai-backend-allow", []string{"cluster.local/ns/istio-system/sa/istio-api-ingressgateway"}},
		{"style-transfer-allow", []string{"cluster.local/ns/apsara-demo/sa/style-transfer-waypoint"}},
		{"style-transfer-require-jwt", []string{"cluster.local/ns/apsara-demo/sa/ai-backend"}},
		{"modelmesh-serving-allow-gateway", []string{"cluster.local/ns/istio-system/sa/istio-ingressgateway"}},
	} {
		o, ok := m["AuthorizationPolicy/"+tc.policy]
		if !ok {
			t.Errorf("no AuthorizationPolicy %s", tc.policy)
			continue
		}
		if diff := cmp.Diff(tc.want, principalsOf(t, o.Body, 0)); diff != "" {
			t.Errorf("%s principals (-want +got):\n%s", tc.policy, diff)
		}
	}
	jwt := m["AuthorizationPolicy/style-transfer-require-jwt"].Body
	src := fmt.Sprint(jwt["spec"].(map[string]any)["rules"])
	if want := "requestPrincipals:[*]"; !strings.Contains(src, want) {
		t.Errorf("JWT requirement lost from the waypoint policy: %s", src)
	}

	// Without the declared call, style-transfer's waypoint admits nobody.
	s := r.Services["ai-backend"]
	s.Calls = nil
	r.Services["ai-backend"] = s
	if got := asm.CallerPrincipals(r, "style-transfer"); len(got) != 0 {
		t.Errorf("callers without a declared call: %v", got)
	}
	// A service without a waypoint is admitted directly by its callers.
	st := r.Services["style-transfer"]
	st.Waypoint = false
	r.Services["style-transfer"] = st
	s.Calls = []string{"style-transfer"}
	r.Services["ai-backend"] = s
	r.Tiers = &model.Tiers{}
	objs, err = asm.Render(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := principalsOf(t, byID(objs)["AuthorizationPolicy/style-transfer-allow"].Body, 0)
	if diff := cmp.Diff([]string{"cluster.local/ns/apsara-demo/sa/ai-backend"}, got); diff != "" {
		t.Errorf("direct callers (-want +got):\n%s", diff)
	}
}
