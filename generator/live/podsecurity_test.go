package live_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/aimesh/aimesh/generator/live"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/object"
)

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// restrictedNS is a namespace of the test's own that enforces restricted,
// whatever level the platform gives the namespace of a pod template.
const restrictedNS = "aimesh-psa-restricted"

// podFrom builds the Pod a controller would create from the pod template
// of Deployment or Job o, in namespace ns (Pod Security admission runs on
// Pods, not on their controllers).
func podFrom(t *testing.T, o object.Object, ns string) *unstructured.Unstructured {
	t.Helper()
	o = clone(t, o)
	tmpl := o.Body["spec"].(map[string]any)["template"].(map[string]any)
	md, _ := tmpl["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	md["name"] = strings.ToLower(o.Kind()) + "-" + o.Name()
	md["namespace"] = ns
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": tmpl["spec"],
	}}
}

func dryRunPod(ctx context.Context, c dynamic.Interface, pod *unstructured.Unstructured) error {
	_, err := c.Resource(podsGVR).Namespace(pod.GetNamespace()).Create(ctx, pod,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	return err
}

// TestPodSecurityAdmission: the namespaces of every environment carry
// their Pod Security level on the real server; a Pod built from every
// emitted pod template (every Deployment and Job of every environment) is
// admitted both in its own namespace and in a namespace enforcing
// restricted; the same pod made non-compliant on purpose is rejected under
// restricted and admitted under the model namespace's baseline opt-out.
func TestPodSecurityAdmission(t *testing.T) {
	srv, _ := setup(t)
	res := reference(t)
	ctx := context.Background()
	c, err := dynamic.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}

	var ns []object.Object
	seen := map[string]bool{}
	for _, env := range res.Envs {
		for _, o := range of(t, env, object.ACK) {
			if isNamespace(o) && !seen[o.Name()] {
				seen[o.Name()] = true
				ns = append(ns, o)
			}
		}
	}
	ns = append(ns, object.Object{Target: object.ACK, Origin: "test", Body: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": restrictedNS, "labels": map[string]any{ack.PSAEnforce: "restricted"}},
	}})
	if _, err := live.Apply(ctx, srv.Config, ns, live.ApplyOptions{Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"apsara-demo": "restricted", "modelmesh-serving": "baseline", restrictedNS: "restricted"}
	for name, level := range want {
		got, err := c.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if l := got.GetLabels()[ack.PSAEnforce]; l != level {
			t.Errorf("namespace %s on the server enforces %q, want %q", name, l, level)
		}
	}

	templates := 0
	for _, env := range res.Envs {
		for _, o := range of(t, env, object.ACK) {
			if o.Kind() != "Deployment" && o.Kind() != "Job" {
				continue
			}
			templates++
			for _, ns := range []string{o.Namespace(), restrictedNS} {
				if err := dryRunPod(ctx, c, podFrom(t, o, ns)); err != nil {
					t.Errorf("%s: pod of %s %s/%s not admitted in %s: %v", env, o.Kind(), o.Namespace(), o.Name(), ns, err)
				}
			}
		}
	}
	if templates < 3*4 {
		t.Errorf("only %d pod templates dry-run; the reference app has 3 Deployments and a Job per environment", templates)
	}

	// Negative: the same pod, broken on purpose.
	bad := podFrom(t, find(t, "prod", object.ACK, "Deployment", "ai-backend"), restrictedNS)
	spec := bad.Object["spec"].(map[string]any)
	delete(spec, "securityContext")
	c0 := spec["containers"].([]any)[0].(map[string]any)
	c0["securityContext"] = map[string]any{"allowPrivilegeEscalation": true}
	err = dryRunPod(ctx, c, bad)
	if err == nil {
		t.Fatal("a pod without the restricted securityContext was admitted under restricted")
	}
	for _, w := range []string{`violates PodSecurity "restricted:latest"`, "allowPrivilegeEscalation != false", "runAsNonRoot != true", "seccompProfile"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("rejection lacks %q: %v", w, err)
		}
	}
	// The model namespace's opt-out (baseline) admits it: the knob works.
	bad.SetNamespace("modelmesh-serving")
	if err := dryRunPod(ctx, c, bad); err != nil {
		t.Errorf("baseline namespace rejected a pod that only breaks restricted: %v", err)
	}
	t.Logf("%d pod templates admitted under restricted; the non-compliant pod was rejected", templates)
}
