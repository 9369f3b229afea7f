package modelstore

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The interfaces listed in /work/shared/models/MANIFEST.md.
var fixtureSignatures = []struct {
	file string
	want Signature
}{
	{"candy.onnx", Signature{
		Inputs:  []Tensor{{Name: "input1", DataType: "FP32", Shape: []int64{1, 3, -1, -1}}},
		Outputs: []Tensor{{Name: "output1", DataType: "FP32", Shape: []int64{1, 3, -1, -1}}},
	}},
	{"style_predict.onnx", Signature{
		Inputs:  []Tensor{{Name: "style_image", DataType: "FP32", Shape: []int64{1, 3, -1, -1}}},
		Outputs: []Tensor{{Name: "style_bottleneck", DataType: "FP32", Shape: []int64{1, 100, 1, 1}}},
	}},
	{"style_transfer.onnx", Signature{
		Inputs: []Tensor{
			{Name: "content_image", DataType: "FP32", Shape: []int64{1, 3, -1, -1}},
			{Name: "style_bottleneck", DataType: "FP32", Shape: []int64{1, 100, 1, 1}},
		},
		Outputs: []Tensor{{Name: "stylized_image", DataType: "FP32", Shape: []int64{1, 3, -1, -1}}},
	}},
}

func TestReadONNXFixtures(t *testing.T) {
	for _, tc := range fixtureSignatures {
		t.Run(tc.file, func(t *testing.T) {
			path := fixture(t, tc.file)
			got, err := ReadONNX(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadONNX(%s):\n got %+v\nwant %+v", tc.file, got, tc.want)
			}
			// The in-memory parser and a tiny read window agree.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			mem, err := ParseONNX(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mem, tc.want) {
				t.Errorf("ParseONNX(%s):\n got %+v\nwant %+v", tc.file, mem, tc.want)
			}
			small, err := parseModel(&source{ra: bytes.NewReader(b), size: int64(len(b)), window: 16})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(small, tc.want) {
				t.Errorf("parse with 16-byte window (%s):\n got %+v\nwant %+v", tc.file, small, tc.want)
			}
		})
	}
}

func TestParseONNXSynthetic(t *testing.T) {
	tests := []struct {
		name                    string
		inputs, outputs         []vi
		weights, sparse         []string
		wantInputs, wantOutputs []Tensor
	}{
		{
			name:        "dims: value, param, unset",
			inputs:      []vi{{name: "x", elem: 1, dims: []dim{int64(1), "batch", nil, int64(0)}}},
			outputs:     []vi{{name: "y", elem: 7, dims: []dim{int64(5)}}},
			wantInputs:  []Tensor{{Name: "x", DataType: "FP32", Shape: []int64{1, -1, -1, 0}}},
			wantOutputs: []Tensor{{Name: "y", DataType: "INT64", Shape: []int64{5}}},
		},
		{
			name: "old opset: initializers listed as inputs are not inputs",
			inputs: []vi{
				{name: "data", elem: 1, dims: []dim{int64(1), int64(3)}},
				{name: "conv.W", elem: 1, dims: []dim{int64(8), int64(3)}},
				{name: "conv.B", elem: 1, dims: []dim{int64(8)}},
				{name: "emb", elem: 1, dims: []dim{int64(4)}},
			},
			outputs:     []vi{{name: "out", elem: 1, dims: []dim{int64(1), int64(8)}}},
			weights:     []string{"conv.W", "conv.B"},
			sparse:      []string{"emb"},
			wantInputs:  []Tensor{{Name: "data", DataType: "FP32", Shape: []int64{1, 3}}},
			wantOutputs: []Tensor{{Name: "out", DataType: "FP32", Shape: []int64{1, 8}}},
		},
		{
			name: "scalar, unknown rank, non-tensor",
			inputs: []vi{
				{name: "s", elem: 9, dims: []dim{}},
				{name: "u", elem: 8, noShape: true},
				{name: "seq", nonTensor: true},
			},
			wantInputs: []Tensor{
				{Name: "s", DataType: "BOOL", Shape: []int64{}},
				{Name: "u", DataType: "BYTES"},
				{Name: "seq"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseONNX(buildModel(tc.inputs, tc.outputs, tc.weights, tc.sparse))
			if err != nil {
				t.Fatal(err)
			}
			want := Signature{Inputs: tc.wantInputs, Outputs: tc.wantOutputs}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestDataTypes(t *testing.T) {
	tests := []struct {
		elem uint64
		want string
	}{
		{1, "FP32"}, {2, "UINT8"}, {3, "INT8"}, {4, "UINT16"}, {5, "INT16"},
		{6, "INT32"}, {7, "INT64"}, {8, "BYTES"}, {9, "BOOL"}, {10, "FP16"},
		{11, "FP64"}, {12, "UINT32"}, {13, "UINT64"}, {16, "BF16"},
		{14, "ONNX_COMPLEX64"}, {17, "ONNX_FLOAT8E4M3FN"}, {99, "ONNX_TYPE_99"}, {0, ""},
	}
	for _, tc := range tests {
		sig, err := ParseONNX(buildModel([]vi{{name: "x", elem: tc.elem, dims: []dim{int64(1)}}}, nil, nil, nil))
		if err != nil {
			t.Fatalf("elem %d: %v", tc.elem, err)
		}
		if got := sig.Inputs[0].DataType; got != tc.want {
			t.Errorf("elem type %d: got %q, want %q", tc.elem, got, tc.want)
		}
	}
}

func TestParseONNXErrors(t *testing.T) {
	valid := buildModel([]vi{{name: "x", elem: 1, dims: []dim{int64(1)}}}, nil, nil, nil)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "no graph"},
		{"no graph", appendVarint(nil, 1, 7), "no graph"},
		{"truncated", valid[:len(valid)-3], "truncated"},
		{"text file", []byte("hello, this is not a model\n"), "not an onnx model"},
		{"graph as varint", appendVarint(nil, fModelGraph, 1), "wire type"},
		{"input name as varint", appendBytes(nil, fModelGraph, appendBytes(nil, fGraphInput, appendVarint(nil, fValueInfoName, 1))), "wire type"},
		{"group", []byte{0x0b}, "wire type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseONNX(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseONNX: got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadONNXTruncatedFile(t *testing.T) {
	b, err := os.ReadFile(fixture(t, "candy.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.onnx")
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadONNX(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadONNX(truncated): got %v, want an error naming %s", err, path)
	}
	if _, err := ReadONNX(filepath.Join(t.TempDir(), "missing.onnx")); !os.IsNotExist(err) {
		t.Errorf("ReadONNX(missing): got %v, want a not-exist error", err)
	}
}

func FuzzParseONNX(f *testing.F) {
	f.Add(buildModel(
		[]vi{{name: "x", elem: 1, dims: []dim{int64(1), "h", nil}}, {name: "w", elem: 1}},
		[]vi{{name: "y", elem: 7, noShape: true}, {name: "s", nonTensor: true}},
		[]string{"w"}, []string{"e"}))
	// Seeds from the real models in ../shared/models: the head (graph
	// header, truncated inside the initializers) and the tail (where the
	// inputs and outputs usually sit) of each.
	for _, name := range []string{"style_transfer.onnx", "candy.onnx", "style_predict.onnx"} {
		if b, err := os.ReadFile(fixture(f, name)); err == nil {
			f.Add(b[:64<<10])
			f.Add(b[len(b)-2048:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mem, memErr := ParseONNX(b)
		win, winErr := parseModel(&source{ra: bytes.NewReader(b), size: int64(len(b)), window: 7})
		if (memErr == nil) != (winErr == nil) {
			t.Fatalf("in-memory error %v, windowed error %v", memErr, winErr)
		}
		if memErr == nil && !reflect.DeepEqual(mem, win) {
			t.Fatalf("in-memory %+v, windowed %+v", mem, win)
		}
	})
}

func BenchmarkReadONNX(b *testing.B) {
	path := fixture(b, "candy.onnx")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadONNX(path); err != nil {
			b.Fatal(err)
		}
	}
}
