package cli

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/check"
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
	out = append(out, vetSizes(res, dir)...)
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

// vetSizes compares the models' files with their declared sizeBytes and
// runs the ModelMesh sizing rule with the sizes on disk for models that
// declare none.
func vetSizes(res *compile.Result, dir string) diag.List {
	p := *res.Load.Platform
	ix := res.Load.Positions
	var out diag.List
	models := map[string]model.Model{}
	measured := false
	for _, mn := range model.SortedKeys(p.Models) {
		m := p.Models[mn]
		models[mn] = m
		if m.Storage.Path == "" {
			continue
		}
		size, err := modelstore.Size(dir, m.Storage.Path)
		if err != nil || size == 0 {
			continue // a missing path is reported by CheckStore
		}
		switch {
		case m.SizeBytes == 0:
			m.SizeBytes = size
			models[mn] = m
			measured = true
		case size > m.SizeBytes:
			path := model.Path("models", mn, "sizeBytes")
			out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: ix.Lookup(path), Path: path,
				Message: fmt.Sprintf("the model files under %q are %d bytes, more than the declared sizeBytes %d", m.Storage.Path, size, m.SizeBytes),
				Hint:    fmt.Sprintf("declare sizeBytes: %d (or more) so the ModelMesh sizing check uses the real size", size)})
		}
	}
	if measured {
		p.Models = models
		out = append(out, check.MemoryFit(ix, &p)...)
	}
	return out
}

func tensors(ts []model.Tensor) []modelstore.Tensor {
	out := make([]modelstore.Tensor, len(ts))
	for i, t := range ts {
		out[i] = modelstore.Tensor{Name: t.Name, DataType: t.DataType, Shape: append([]int64(nil), t.Shape...)}
	}
	return out
}
