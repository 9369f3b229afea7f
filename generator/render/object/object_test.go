package object

import (
	"crypto/sha256"
	"encoding/json"
	"testing"
)

// TestSealDigest: a sealed object's digest is the SHA-256 of its body's
// JSON; an object given another body map is digested anew.
func TestSealDigest(t *testing.T) {
	body := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a"}}
	objs := []Object{{Target: ACK, Body: body}}
	if err := Seal(objs); err != nil {
		t.Fatal(err)
	}
	want := func(b map[string]any) [sha256.Size]byte {
		data, _ := json.Marshal(b)
		return sha256.Sum256(data)
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
	if err := Seal([]Object{{Body: map[string]any{"x": make(chan int)}}}); err == nil {
		t.Error("a body that is not JSON was sealed")
	}
}
