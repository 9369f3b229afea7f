package object

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	networkingv1 "istio.io/api/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSealDigest: a sealed object's digest is its body's digest; an object
// given another body map is digested anew.
func TestSealDigest(t *testing.T) {
	body := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a"}}
	objs := []Object{{Target: ACK, Body: body}}
	if err := Seal(objs); err != nil {
		t.Fatal(err)
	}
	want := func(b map[string]any) [sha256.Size]byte {
		sum, err := digest(b)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if got, _ := objs[0].Digest(); got != want(body) {
		t.Errorf("sealed digest %x, want %x", got, want(body))
	}
	cp := objs[0]
	cp.Body = map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "b"}}
	if got, _ := cp.Digest(); got != want(cp.Body) {
		t.Errorf("copy with a new body kept the sealed digest")
	}
	if got, _ := (Object{Body: body}).Digest(); got != want(body) {
		t.Errorf("unsealed digest differs")
	}
	for _, bad := range []any{make(chan int), math.NaN(), math.Inf(-1), []any{map[string]any{"y": math.Inf(1)}}, json.Number("1x"), json.Number(`"1"`)} {
		if err := Seal([]Object{{Body: map[string]any{"x": bad}}}); err == nil {
			t.Errorf("a body that is not JSON (%v) was sealed", bad)
		}
	}
}

// TestDigest: equal bodies have equal digests, whatever order their maps
// were built in; bodies that differ in any value or Go type do not.
func TestDigest(t *testing.T) {
	type num int32
	distinct := []map[string]any{
		{},
		{"a": nil},
		{"a": ""},
		{"a": "null"},
		{"a": false},
		{"a": true},
		{"a": "true"},
		{"a": 1.0},
		{"a": int64(1)},
		{"a": 1},
		{"a": json.Number("1")},
		{"a": "1"},
		{"a": num(1)},
		{"a": 0.0},
		{"a": math.Copysign(0, -1)},
		{"a": []any{}},
		{"a": map[string]any{}},
		{"a": []any{nil}},
		{"a": []any{"b", "c"}},
		{"a": []any{"bc"}},
		{"a": []any{[]any{"b"}, "c"}},
		{"a": []any{[]any{"b", "c"}}},
		{"ab": "c"},
		{"a": "bc"},
		{"a": map[string]any{"b": "c"}},
		{"a": map[string]any{"b": map[string]any{}}, "c": "d"},
		{"a": map[string]any{"b": map[string]any{"c": "d"}}},
		{"a": "b", "c": "d"},
		{"a": "d", "c": "b"},
	}
	seen := map[[sha256.Size]byte]int{}
	for i, b := range distinct {
		sum, err := digest(b)
		if err != nil {
			t.Fatal(err)
		}
		if j, dup := seen[sum]; dup {
			t.Errorf("%v and %v share a digest", distinct[j], b)
		}
		seen[sum] = i
	}
	// The same content built in opposite insertion orders, nested.
	a, b := map[string]any{}, map[string]any{}
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
	for i := range keys {
		a[keys[i]] = map[string]any{"x": keys[i], "y": []any{float64(i)}}
		j := len(keys) - 1 - i
		b[keys[j]] = map[string]any{"y": []any{float64(j)}, "x": keys[j]}
	}
	da, _ := digest(a)
	db, _ := digest(b)
	if da != db {
		t.Error("equal maps, different digests")
	}
}

func BenchmarkDigest(b *testing.B) {
	body := map[string]any{}
	if err := json.Unmarshal([]byte(deploymentJSON), &body); err != nil {
		b.Fatal(err)
	}
	b.Run("digest", func(b *testing.B) {
		for range b.N {
			if _, err := digest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for range b.N {
			data, err := json.Marshal(body)
			if err != nil {
				b.Fatal(err)
			}
			_ = sha256.Sum256(data)
		}
	})
}

// deploymentJSON is a Deployment as aimesh renders it.
const deploymentJSON = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"style-transfer","app.kubernetes.io/managed-by":"aimesh","app.kubernetes.io/part-of":"style-transfer","model-format":"pytorch"},"name":"style-transfer-pytorch","namespace":"apsara-demo"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"style-transfer","model-format":"pytorch"}},"strategy":{},"template":{"metadata":{"labels":{"app":"style-transfer","model-format":"pytorch"}},"spec":{"automountServiceAccountToken":false,"containers":[{"env":[{"name":"MODEL_NAME","value":"pt-style-transfer"},{"name":"MODEL_FORMAT","value":"pytorch"}],"image":"registry.example.com/style-transfer:1.0.0","imagePullPolicy":"IfNotPresent","livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"periodSeconds":10},"name":"style-transfer","ports":[{"containerPort":8000,"name":"http","protocol":"TCP"}],"readinessProbe":{"httpGet":{"path":"/ready","port":"http"},"periodSeconds":5},"resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"512Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true,"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}],"securityContext":{"runAsNonRoot":true},"serviceAccountName":"style-transfer"}}}}`

// TestTyped: a sealed object gives back the k8s.io/api value it was
// rendered from only while its body is what that value encodes to,
// annotations aside.
func TestTyped(t *testing.T) {
	deployment := func() *appsv1.Deployment {
		return &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "n", Labels: map[string]string{"app": "a"}},
			Spec:       appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}},
		}
	}
	cases := []struct {
		name   string
		change func(o *Object)
		kept   bool
	}{
		{"as rendered", func(*Object) {}, true},
		{"annotated", func(o *Object) { o.Annotate("k", "v") }, true},
		{"annotations removed", func(o *Object) { o.Body["metadata"].(map[string]any)["annotations"] = map[string]any{} }, true},
		{"label changed", func(o *Object) { o.Body["metadata"].(map[string]any)["labels"] = map[string]any{"app": "b"} }, false},
		{"spec changed in place", func(o *Object) {
			o.Body["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"] = "j"
		}, false},
		{"field added", func(o *Object) { o.Body["spec"].(map[string]any)["replica"] = 3.0 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := deployment()
			o, err := FromTyped(ACK, "u", "services.a", d)
			if err != nil {
				t.Fatal(err)
			}
			if o.Typed() != nil {
				t.Error("an unsealed object gives its typed value")
			}
			tc.change(&o)
			objs := []Object{o}
			if err := Seal(objs); err != nil {
				t.Fatal(err)
			}
			if got := objs[0].Typed(); (got == d) != tc.kept {
				t.Errorf("Typed() = %v, want kept=%v", got, tc.kept)
			}
			other := objs[0]
			other.Body = map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}
			if other.Typed() != nil {
				t.Error("an object given another body keeps its typed value")
			}
			DropTyped(objs)
			if objs[0].Typed() != nil {
				t.Error("DropTyped kept the typed value")
			}
		})
	}
	// Values that are not runtime.Objects (a struct value, FromProto's
	// metadata) have no typed value.
	o, err := FromTyped(ACK, "u", "services.a", *deployment())
	if err != nil {
		t.Fatal(err)
	}
	objs := []Object{o}
	if err := Seal(objs); err != nil {
		t.Fatal(err)
	}
	if objs[0].Typed() != nil {
		t.Error("a struct value gives a typed value")
	}
}

// TestMayHoldPlaceholder: only a body rendered without "${" and changed
// since only by Annotate with plain strings may be skipped by whoever
// looks for Flux placeholders.
func TestMayHoldPlaceholder(t *testing.T) {
	cm := func(value string) *corev1.ConfigMap {
		return &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "n"},
			Data:       map[string]string{"k": value},
		}
	}
	vs := &networkingv1.VirtualService{Hosts: []string{"a.example.com"}}
	cases := []struct {
		name string
		make func(t *testing.T) Object
		may  bool
	}{
		{"typed, plain", func(t *testing.T) Object { return mustObject(t)(FromTyped(ACK, "u", "o", cm("v"))) }, false},
		{"typed, placeholder in a value", func(t *testing.T) Object { return mustObject(t)(FromTyped(ACK, "u", "o", cm("${secret}"))) }, true},
		{"typed, annotated with plain strings", func(t *testing.T) Object {
			o := mustObject(t)(FromTyped(ACK, "u", "o", cm("v")))
			o.Annotate("k", "v")
			return o
		}, false},
		{"typed, annotated with a placeholder", func(t *testing.T) Object {
			o := mustObject(t)(FromTyped(ACK, "u", "o", cm("v")))
			o.Annotate("k", "${x}")
			return o
		}, true},
		{"typed, given another body", func(t *testing.T) Object {
			o := mustObject(t)(FromTyped(ACK, "u", "o", cm("v")))
			o.Body = map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}
			return o
		}, true},
		{"built by hand", func(*testing.T) Object { return Object{Body: map[string]any{"kind": "ConfigMap"}} }, true},
		{"proto, plain", func(t *testing.T) Object {
			return mustObject(t)(FromProto(ASM, "u", "o", metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}, metav1.ObjectMeta{Name: "a"}, vs, nil))
		}, false},
		{"proto, placeholder in the spec", func(t *testing.T) Object {
			return mustObject(t)(FromProto(ASM, "u", "o", metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}, metav1.ObjectMeta{Name: "a"},
				&networkingv1.VirtualService{Hosts: []string{"${host}"}}, nil))
		}, true},
		{"proto with extension fields", func(t *testing.T) Object {
			return mustObject(t)(FromProto(ASM, "u", "o", metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}, metav1.ObjectMeta{Name: "a"}, vs,
				func(spec map[string]any) error { spec["x"] = "plain"; return nil }))
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.make(t).MayHoldPlaceholder(); got != tc.may {
				t.Errorf("MayHoldPlaceholder() = %v, want %v", got, tc.may)
			}
		})
	}
}

func mustObject(t *testing.T) func(Object, error) Object {
	return func(o Object, err error) Object {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
}

// TestPoolSharesUntilAnnotated: objects that encode alike share one body
// through a pool, and Annotate gives the annotated object maps of its own
// on the path to its annotations only.
func TestPoolSharesUntilAnnotated(t *testing.T) {
	cm := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "n", Annotations: map[string]string{"kept": "yes"}},
			Data:       map[string]string{"k": "v"},
		}
	}
	same := func(a, b any) bool { return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() }
	pool := NewPool()
	a := mustObject(t)(pool.FromTyped(ACK, "u", "dev", cm()))
	b := mustObject(t)(pool.FromTyped(ACK, "u", "prod", cm()))
	if !same(a.Body, b.Body) {
		t.Fatal("two equal objects of one pool do not share their body")
	}
	if alone := mustObject(t)(FromTyped(ACK, "u", "dev", cm())); same(alone.Body, a.Body) {
		t.Fatal("an object without a pool shares a body")
	}
	a.Annotate("wave", "1")
	b.Annotate("wave", "2")
	b.Annotate("other", "x")
	c := mustObject(t)(pool.FromTyped(ACK, "u", "staging", cm()))
	ann := func(o Object) map[string]any {
		return o.Body["metadata"].(map[string]any)["annotations"].(map[string]any)
	}
	if got := ann(a); len(got) != 2 || got["wave"] != "1" || got["kept"] != "yes" {
		t.Errorf("a's annotations = %v", got)
	}
	if got := ann(b); len(got) != 3 || got["wave"] != "2" || got["other"] != "x" {
		t.Errorf("b's annotations = %v", got)
	}
	if got := ann(c); len(got) != 1 {
		t.Errorf("the pooled body was changed: %v", got)
	}
	if !same(a.Body["data"], c.Body["data"]) || !same(b.Body["data"], c.Body["data"]) {
		t.Error("Annotate copied more than the path to the annotations")
	}
	// An Istio spec is shared unless an extension writes into it.
	vs := &networkingv1.VirtualService{Hosts: []string{"a.example.com"}}
	tm, om := metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}, metav1.ObjectMeta{Name: "a", Namespace: "n"}
	p1 := mustObject(t)(pool.FromProto(ASM, "u", "dev", tm, om, vs, nil))
	p2 := mustObject(t)(pool.FromProto(ASM, "u", "prod", tm, om, vs, nil))
	if !same(p1.Body["spec"], p2.Body["spec"]) || same(p1.Body, p2.Body) {
		t.Error("FromProto: the spec should be shared and the top-level map not")
	}
	p1.Annotate("wave", "1")
	if md := p2.Body["metadata"].(map[string]any); md["annotations"] != nil {
		t.Errorf("annotating one Istio object annotated another: %v", md)
	}
	ext := func(spec map[string]any) error { spec["x"] = "y"; return nil }
	e1 := mustObject(t)(pool.FromProto(ASM, "u", "dev", tm, om, vs, ext))
	if same(e1.Body["spec"], p1.Body["spec"]) || p1.Body["spec"].(map[string]any)["x"] != nil {
		t.Error("FromProto with an extension wrote into the shared spec")
	}
	// A pooled object still gives its typed value once sealed.
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Name: "d"}}
	objs := []Object{mustObject(t)(pool.FromTyped(ACK, "u", "dev", d)), mustObject(t)(pool.FromTyped(ACK, "u", "prod", d.DeepCopy()))}
	objs[1].Annotate("wave", "1")
	if err := Seal(objs); err != nil {
		t.Fatal(err)
	}
	if objs[0].Typed() == nil || objs[1].Typed() == nil {
		t.Error("a pooled object lost its typed value")
	}
}

// TestSealDigests: the one-walk digests equal digestSize and
// unannotatedDigest, whatever the metadata looks like.
func TestSealDigests(t *testing.T) {
	var deployment map[string]any
	if err := json.Unmarshal([]byte(deploymentJSON), &deployment); err != nil {
		t.Fatal(err)
	}
	with := func(md any) map[string]any {
		b := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"k": "v"}}
		if md != nil {
			b["metadata"] = md
		}
		return b
	}
	long := map[string]any{}
	for i := range 200 {
		long[strings.Repeat("k", i)] = strings.Repeat("v", 300*i)
	}
	bodies := []map[string]any{
		deployment,
		with(nil),
		with("not a map"),
		with(map[string]any{"name": "a"}),
		with(map[string]any{"name": "a", "annotations": map[string]any{"x": "y"}}),
		with(map[string]any{"name": "a", "annotations": nil}),
		with(map[string]any{"annotations": map[string]any{}}),
		with(map[string]any{"name": "a", "namespace": "n", "labels": map[string]any{"a": "b"}, "annotations": long}),
		with(map[string]any{"annotations": "a string", "zz": []any{1.0, "x", nil}}),
		{"metadata": map[string]any{"annotations": map[string]any{"a": "b"}}},
	}
	for i, b := range bodies {
		sum, unannotated, size, err := sealDigests(b)
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		wantSum, wantSize, _ := digestSize(b)
		wantUnannotated, _ := unannotatedDigest(b)
		if sum != wantSum || size != wantSize || unannotated != wantUnannotated {
			t.Errorf("body %d: sealDigests differs from digestSize and unannotatedDigest", i)
		}
	}
	if _, _, _, err := sealDigests(with(map[string]any{"annotations": map[string]any{"x": math.Inf(1)}})); err == nil {
		t.Error("an infinite number was digested")
	}
}
