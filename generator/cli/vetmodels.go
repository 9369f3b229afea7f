package cli

import (
	"strings"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/modelstore"
)

// vetModels compares a local mirror of the model store with the declared
// models: layout per format, and ONNX inputs/outputs against the CUE.
func vetModels(res *compile.Result, dir string) diag.List {
	p := res.Load.Platform
	var exps []modelstore.Expectation
	for _, mn := range model.SortedKeys(p.Models) {
		m := p.Models[mn]
		if m.Storage.Path == "" {
			continue // URI storage is not mirrored locally
		}
		exps = append(exps, modelstore.Expectation{
			Model: mn, Format: m.Format, Path: m.Storage.Path,
			Inputs: tensors(m.Inputs), Outputs: tensors(m.Outputs),
		})
	}
	var out diag.List
	for _, f := range modelstore.CheckStore(dir, exps) {
		path := model.Path("models", f.Model)
		switch {
		case f.Field == "path" || f.Field == "":
			path += ".storage.path"
		default:
			path += "." + strings.TrimPrefix(f.Field, ".")
		}
		out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: res.Load.Positions.Lookup(path),
			Path: path, Message: f.Message, Hint: f.Hint})
	}
	return out.Sorted()
}

func tensors(ts []model.Tensor) []modelstore.Tensor {
	out := make([]modelstore.Tensor, len(ts))
	for i, t := range ts {
		out[i] = modelstore.Tensor{Name: t.Name, DataType: t.DataType, Shape: append([]int64(nil), t.Shape...)}
	}
	return out
}
