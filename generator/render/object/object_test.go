package object

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"testing"
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
