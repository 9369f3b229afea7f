package model

import "testing"

func TestUnsafeRelPath(t *testing.T) {
	for p, bad := range map[string]bool{
		"a": false, "a/b": false, "pytorch/style-transfer": false, "a.b/c_d-e": false,
		"": true, "/etc": true, "../etc": true, "a/../../b": true, "a/./b": true, "a//b": true,
		"a\\b": true, "a\x00b": true, "a\nb": true, "a b": true, ".": true, "..": true, "a/": true,
	} {
		if got := UnsafeRelPath(p) != ""; got != bad {
			t.Errorf("UnsafeRelPath(%q) unsafe = %v, want %v", p, got, bad)
		}
	}
}

func TestUnsafeArg(t *testing.T) {
	for s, bad := range map[string]bool{
		"oss://bucket/dir/": false, "s3://b/k?x=1": true, "oss://x/$(id)": true, "oss://x/`id`": true,
		"oss://x y": true, "oss://x\ty": true, "oss://x'": true,
	} {
		if got := UnsafeArg(s, "=") != ""; got != bad {
			t.Errorf("UnsafeArg(%q) unsafe = %v, want %v", s, got, bad)
		}
	}
}

func TestTensorOverflow(t *testing.T) {
	big := Tensor{DataType: "FP32", Shape: []int64{1 << 40, 1 << 30}}
	if !big.Overflows() {
		t.Error("2^70 elements do not overflow")
	}
	if big.Elements() <= 0 || big.WireBytes() <= 0 || JSONBytes([]Tensor{big, big}) <= 0 {
		t.Error("saturated sizes wrapped to a non-positive value")
	}
	small := Tensor{DataType: "FP32", Shape: []int64{1, 3, 512, 512}}
	if small.Overflows() || small.WireBytes() != 3*512*512*4 {
		t.Errorf("small tensor: %d bytes, overflows=%v", small.WireBytes(), small.Overflows())
	}
}
