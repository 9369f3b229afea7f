package validate_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/generator/validate"
)

// rendered renders every environment of the reference app as compile
// does up to validation (the GitOps renderer annotates the objects), and
// seals the objects, keeping the k8s.io/api values they came from.
func rendered(t *testing.T) map[string][]object.Object {
	t.Helper()
	res := reference(t)
	out := map[string][]object.Object{}
	for _, env := range res.Envs {
		r, err := res.Load.Platform.Resolve(env)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ack.Render(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := asm.Render(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		objs := append(a, m...)
		if _, err := gitops.Render(r, objs); err != nil {
			t.Fatal(err)
		}
		if err := object.Seal(objs); err != nil {
			t.Fatal(err)
		}
		out[env] = objs
	}
	return out
}

// asDecoded fails unless validating o from its k8s.io/api value gives what
// decoding its body gives: the same problems, and the same value apart
// from the annotations (validated from the body) and the status (dropped
// from the body). It returns the problems.
func asDecoded(t *testing.T, v *validate.Validator, o object.Object) []validate.Problem {
	t.Helper()
	if o.Typed() == nil {
		t.Fatalf("%s: no k8s.io/api value", o.ID())
	}
	got, typed := v.Layers(o)
	want, decoded := v.Decoded(o)
	strip := func(ps []validate.Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Layer+" "+p.Path+": "+p.Message+" "+p.Hint)
		}
		return out
	}
	if d := cmp.Diff(strip(want), strip(got)); d != "" {
		t.Errorf("%s: problems from the typed value differ from the decoded body's (-decoded +typed):\n%s", o.ID(), d)
	}
	if decoded == nil {
		return got
	}
	a, b := typed.DeepCopyObject(), decoded.DeepCopyObject()
	for _, x := range []runtime.Object{a, b} {
		m, err := meta.Accessor(x)
		if err != nil {
			t.Fatal(err)
		}
		m.SetAnnotations(nil)
		switch x := x.(type) {
		case *appsv1.Deployment:
			x.Status = appsv1.DeploymentStatus{}
		case *batchv1.Job:
			x.Status = batchv1.JobStatus{}
		case *corev1.Service:
			x.Status = corev1.ServiceStatus{}
		case *corev1.PersistentVolumeClaim:
			x.Status = corev1.PersistentVolumeClaimStatus{}
		case *corev1.Namespace:
			x.Status = corev1.NamespaceStatus{}
		case *policyv1.PodDisruptionBudget:
			x.Status = policyv1.PodDisruptionBudgetStatus{}
		}
	}
	if !apiequality.Semantic.DeepEqual(a, b) {
		t.Errorf("%s: the typed value is not what its body decodes to (-decoded +typed):\n%s", o.ID(), cmp.Diff(b, a))
	}
	return got
}

// TestTypedAsDecoded: validation reads a built-in object from the
// k8s.io/api value it was rendered from (object.Typed) instead of
// decoding its body. For every built-in object of every environment of
// the reference app, and for copies broken in the ways the typed checks
// report, both give the same problems and the same value.
func TestTypedAsDecoded(t *testing.T) {
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	var deployment, service object.Object
	n := 0
	for env, objs := range rendered(t) {
		for _, o := range objs {
			if !scheme.Scheme.Recognizes(o.GVK()) {
				continue
			}
			n++
			if ps := asDecoded(t, v, o); len(ps) > 0 {
				t.Errorf("%s %s: %v", env, o.ID(), ps)
			}
			switch o.Kind() {
			case "Deployment":
				deployment = o
			case "Service":
				service = o
			}
		}
	}
	if n == 0 || deployment.Body == nil || service.Body == nil {
		t.Fatalf("the reference app rendered %d built-in objects, no Deployment or no Service", n)
	}
	// Broken copies: each k8s.io/api value is changed, rendered again
	// with FromTyped, annotated and sealed as compile does.
	broken := []struct {
		name   string
		from   object.Object
		change func(runtime.Object)
		want   string
	}{
		{"container name", deployment, func(x runtime.Object) {
			x.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Name = "Bad_Name"
		}, "spec.template.spec.containers[0].name"},
		{"selector", deployment, func(x runtime.Object) {
			x.(*appsv1.Deployment).Spec.Template.Labels = map[string]string{"other": "x"}
		}, "spec.template.metadata.labels"},
		{"replicas", deployment, func(x runtime.Object) {
			r := int32(-1)
			x.(*appsv1.Deployment).Spec.Replicas = &r
		}, "spec.replicas"},
		{"request above limit", deployment, func(x runtime.Object) {
			c := &x.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
			c.Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
			c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		}, "spec.template.spec.containers[0].resources.requests"},
		{"port names", service, func(x runtime.Object) {
			s := x.(*corev1.Service)
			s.Spec.Ports = append(s.Spec.Ports, s.Spec.Ports[0])
		}, "spec.ports[1]"},
		{"target port", service, func(x runtime.Object) {
			x.(*corev1.Service).Spec.Ports[0].TargetPort = intstr.FromString("NOT_A_PORT")
		}, "spec.ports[0].targetPort"},
		{"service type", service, func(x runtime.Object) {
			x.(*corev1.Service).Spec.Type = "Bogus"
		}, "spec.type"},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			_, decoded := v.Decoded(tc.from)
			x := decoded.DeepCopyObject()
			tc.change(x)
			o, err := object.FromTyped(tc.from.Target, tc.from.Unit, tc.from.Origin, x)
			if err != nil {
				t.Fatal(err)
			}
			o.Annotate("example.com/added-after-render", "yes")
			objs := []object.Object{o}
			if err := object.Seal(objs); err != nil {
				t.Fatal(err)
			}
			ps := asDecoded(t, v, objs[0])
			found := false
			for _, p := range ps {
				found = found || strings.HasPrefix(p.Path, tc.want)
			}
			if !found {
				t.Errorf("no problem at %s: %v", tc.want, ps)
			}
		})
	}
}
