package validate

import (
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
