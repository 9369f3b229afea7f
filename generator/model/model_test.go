package model

import "testing"

func TestPathAndParent(t *testing.T) {
	for _, tc := range []struct {
		labels []any
		path   string
		parent string
	}{
		{[]any{"services", "ai-backend", "port"}, `services."ai-backend".port`, `services."ai-backend"`},
		{[]any{"models", "m", "inputs", 0, "shape"}, `models.m.inputs[0].shape`, `models.m.inputs[0]`},
		{[]any{"models", "m", "inputs", 0}, `models.m.inputs[0]`, `models.m.inputs`},
		{[]any{"runtimes", "triton-2.x"}, `runtimes."triton-2.x"`, `runtimes`},
		{[]any{"a.b", "c"}, `"a.b".c`, `"a.b"`},
		{[]any{"name"}, `name`, ``},
	} {
		if got := Path(tc.labels...); got != tc.path {
			t.Errorf("Path(%v) = %s, want %s", tc.labels, got, tc.path)
		}
		if got := Parent(tc.path); got != tc.parent {
			t.Errorf("Parent(%s) = %s, want %s", tc.path, got, tc.parent)
		}
	}
}

func TestBufferLimit(t *testing.T) {
	p := &Platform{Models: map[string]Model{
		"a": {Inputs: []Tensor{{DataType: "FP32", Shape: []int64{1, 3, 512, 512}}}, Outputs: []Tensor{{DataType: "FP32", Shape: []int64{1}}}},
	}}
	// 786432 elements × 20 B + 4 KiB = 15,732,736 B → 15 MiB rounded up to 16 MiB.
	if got, want := p.BufferLimitBytes(), int64(16<<20); got != want {
		t.Errorf("BufferLimitBytes = %d, want %d", got, want)
	}
	small := &Platform{Models: map[string]Model{"s": {Inputs: []Tensor{{DataType: "FP32", Shape: []int64{1, 4}}}}}}
	if got := small.BufferLimitBytes(); got != 1<<20 {
		t.Errorf("small model buffer = %d, want Envoy's 1 MiB floor", got)
	}
}

func TestRuntimeFor(t *testing.T) {
	p := &Platform{Runtimes: map[string]Runtime{
		"triton-2.x": {SupportedFormats: []SupportedFormat{{Name: "onnx", AutoSelect: true}, {Name: "tensorflow", AutoSelect: true}}},
		"ovms-1.x":   {SupportedFormats: []SupportedFormat{{Name: "onnx"}, {Name: "openvino_ir", AutoSelect: true}}},
	}}
	for _, tc := range []struct {
		m    Model
		want string
	}{
		{Model{Format: "onnx"}, "triton-2.x"},
		{Model{Format: "onnx", Runtime: "ovms-1.x"}, "ovms-1.x"},
		{Model{Format: "openvino_ir"}, "ovms-1.x"},
		{Model{Format: "sklearn"}, ""},
	} {
		if got := p.RuntimeFor(tc.m); got != tc.want {
			t.Errorf("RuntimeFor(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
	if got := p.FormatHeader("openvino_ir"); got != "openvino-ir" {
		t.Errorf("FormatHeader = %q", got)
	}
}

func TestIstioAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"1.22": true, "1.21": false, "1.30": true, "2": false} {
		p := &Platform{Mesh: Mesh{IstioVersion: v}}
		if got := p.IstioAtLeast(22); got != want {
			t.Errorf("IstioAtLeast(22) for %s = %v", v, got)
		}
	}
}
