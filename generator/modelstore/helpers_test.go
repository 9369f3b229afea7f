package modelstore

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// repoRoot walks up from the package directory to the directory holding
// go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// modelsDir is the shared directory of real model files, next to the
// repository. Outside CI a missing directory skips the test.
func modelsDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(repoRoot(tb), "..", "shared", "models")
	if _, err := os.Stat(dir); err != nil {
		// A git worktree one level deeper (wt/<name>).
		dir = filepath.Join(repoRoot(tb), "..", "..", "shared", "models")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("model fixtures missing at %s: %v", dir, err)
		}
		tb.Skipf("model fixtures missing at %s: %v", dir, err)
	}
	return dir
}

func fixture(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(modelsDir(tb), name)
}

// dim is one dimension of a synthetic value: an int64 is dim_value, a
// string is dim_param, nil is a Dimension with neither set.
type dim = any

// vi describes a synthetic ValueInfoProto.
type vi struct {
	name      string
	elem      uint64
	dims      []dim
	noShape   bool // tensor type without a shape: unknown rank
	nonTensor bool // a sequence type instead of a tensor type
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (v vi) encode() []byte {
	var typ []byte
	if v.nonTensor {
		var elem []byte
		elem = appendBytes(elem, fTypeTensor, appendVarint(nil, fTensorTypeElem, 1))
		typ = appendBytes(typ, 4, elem) // TypeProto.sequence_type
	} else {
		var tt []byte
		tt = appendVarint(tt, fTensorTypeElem, v.elem)
		if !v.noShape {
			var shape []byte
			for _, d := range v.dims {
				var db []byte
				switch d := d.(type) {
				case int64:
					db = appendVarint(db, fDimValue, uint64(d))
				case string:
					db = appendBytes(db, fDimParam, []byte(d))
				}
				db = appendBytes(db, 3, []byte("DATA_BATCH")) // denotation, skipped
				shape = appendBytes(shape, fShapeDim, db)
			}
			tt = appendBytes(tt, fTensorTypeShape, shape)
		}
		typ = appendBytes(typ, fTypeTensor, tt)
		typ = appendBytes(typ, 6, []byte("IMAGE")) // TypeProto.denotation, skipped
	}
	var b []byte
	b = appendBytes(b, fValueInfoName, []byte(v.name))
	b = appendBytes(b, fValueInfoType, typ)
	b = appendBytes(b, 3, []byte("doc")) // doc_string, skipped
	return b
}

// buildModel encodes a ModelProto with the given graph inputs, outputs,
// initializer names and sparse initializer names, plus fields the parser
// must skip.
func buildModel(inputs, outputs []vi, weights, sparse []string) []byte {
	var g []byte
	g = appendBytes(g, 1, appendBytes(nil, 4, []byte("Conv"))) // node
	g = appendBytes(g, 2, []byte("synthetic"))                 // name
	for _, w := range weights {
		var t []byte
		t = appendVarint(t, 1, 3) // dims
		t = appendVarint(t, 2, 1) // data_type
		t = appendBytes(t, fTensorProtoName, []byte(w))
		t = appendBytes(t, 9, make([]byte, 12)) // raw_data
		g = appendBytes(g, fGraphInitializer, t)
	}
	for _, w := range sparse {
		var vals []byte
		vals = appendBytes(vals, fTensorProtoName, []byte(w))
		var st []byte
		st = appendBytes(st, fSparseTensorValue, vals)
		st = appendVarint(st, 3, 4) // dims
		g = appendBytes(g, fGraphSparseInitializer, st)
	}
	for _, in := range inputs {
		g = appendBytes(g, fGraphInput, in.encode())
	}
	for _, out := range outputs {
		g = appendBytes(g, fGraphOutput, out.encode())
	}
	g = appendBytes(g, 13, vi{name: "hidden", elem: 1}.encode()) // value_info, not an input

	var m []byte
	m = appendVarint(m, 1, 7) // ir_version
	m = appendBytes(m, 2, []byte("test"))
	m = protowire.AppendTag(m, 99, protowire.Fixed32Type) // unknown fields
	m = protowire.AppendFixed32(m, 1)
	m = protowire.AppendTag(m, 98, protowire.Fixed64Type)
	m = protowire.AppendFixed64(m, 1)
	m = appendBytes(m, fModelGraph, g)
	m = appendBytes(m, 8, appendVarint(nil, 2, 13)) // opset_import
	return m
}
