package live_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/aimesh/aimesh/generator/live"
	"github.com/aimesh/aimesh/generator/render/object"
)

// TestHPAOwnsReplicas shows on the real API server why an autoscaled
// Deployment is emitted without spec.replicas. A GitOps engine re-applies
// the manifest with server-side apply (forced, as Argo CD and Flux do):
// with replicas in Git it resets what the autoscaler set on every sync;
// with aimesh's manifest (no replicas) the autoscaler's value stays.
func TestHPAOwnsReplicas(t *testing.T) {
	srv, _ := setup(t)
	ctx := context.Background()
	c, err := dynamic.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "aimesh-hpa"
	if _, err := live.Apply(ctx, srv.Config, []object.Object{{Target: object.ACK, Origin: "test", Body: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}},
		live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	rendered := find(t, "prod", object.ACK, "Deployment", "style-transfer-tf")
	if _, has := rendered.Body["spec"].(map[string]any)["replicas"]; has {
		t.Fatal("the autoscaled Deployment is rendered with spec.replicas")
	}
	sync := func(withReplicas bool) {
		t.Helper()
		o := clone(t, rendered)
		md := o.Body["metadata"].(map[string]any)
		md["namespace"] = ns
		delete(md, "annotations")
		if withReplicas {
			o.Body["spec"].(map[string]any)["replicas"] = int64(4)
		}
		if _, err := c.Resource(deployments).Namespace(ns).Apply(ctx, rendered.Name(), &unstructured.Unstructured{Object: o.Body},
			metav1.ApplyOptions{FieldManager: "gitops", Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	autoscale := func(n int) {
		t.Helper()
		patch := []byte(`{"spec":{"replicas":` + strconv.Itoa(n) + `}}`)
		if _, err := c.Resource(deployments).Namespace(ns).Patch(ctx, rendered.Name(), types.MergePatchType, patch,
			metav1.PatchOptions{FieldManager: "horizontal-pod-autoscaler"}, "scale"); err != nil {
			t.Fatal(err)
		}
	}
	replicas := func() int64 {
		t.Helper()
		u, err := c.Resource(deployments).Namespace(ns).Get(ctx, rendered.Name(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		return n
	}

	// replicas in Git: every sync undoes the autoscaler.
	sync(true)
	autoscale(7)
	sync(true)
	if got := replicas(); got != 4 {
		t.Fatalf("with replicas in Git, a sync left %d replicas; the fight this test documents did not happen", got)
	}
	// aimesh's manifest. The first sync releases the field: the server
	// defaults it to 1 until the autoscaler acts (docs/workloads-and-mesh.md).
	sync(false)
	if got := replicas(); got != 1 {
		t.Errorf("releasing spec.replicas left %d replicas; docs/workloads-and-mesh.md says 1", got)
	}
	autoscale(7)
	sync(false)
	if got := replicas(); got != 7 {
		t.Errorf("without replicas in Git, a sync changed the autoscaler's 7 replicas to %d", got)
	}
}
