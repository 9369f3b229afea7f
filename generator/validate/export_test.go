package validate

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aimesh/aimesh/generator/render/object"
)

// Layers and Decoded expose, to TestTypedAsDecoded, the validation of a
// built-in object as it runs (from object.Typed when the object has it)
// and as it runs from the body alone.
func (v *Validator) Layers(o object.Object) ([]Problem, runtime.Object) { return v.layers(o) }
func (v *Validator) Decoded(o object.Object) ([]Problem, runtime.Object) {
	return v.builtin(o)
}

// PlainMeta and StrictMeta expose, to TestPlainMeta, the two ways
// metadata is read.
func PlainMeta(md map[string]any) (metav1.ObjectMeta, bool) { return plainMeta(md) }
func StrictMeta(md map[string]any) (metav1.ObjectMeta, error) {
	var om metav1.ObjectMeta
	err := strictDecode(md, &om)
	return om, err
}
