package modelstore

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// store is a model store under construction in a temporary directory.
type store struct {
	t      *testing.T
	root   string
	models string
}

func newStore(t *testing.T) *store {
	return &store{t: t, root: t.TempDir(), models: modelsDir(t)}
}

func (s *store) mkdir(rel string) {
	s.t.Helper()
	if err := os.MkdirAll(filepath.Join(s.root, rel), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

func (s *store) write(rel, content string) {
	s.t.Helper()
	s.mkdir(filepath.Dir(rel))
	if err := os.WriteFile(filepath.Join(s.root, rel), []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// link places a real fixture in the store as a symbolic link.
func (s *store) link(rel, fixture string) {
	s.t.Helper()
	s.mkdir(filepath.Dir(rel))
	if err := os.Symlink(filepath.Join(s.models, fixture), filepath.Join(s.root, rel)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *store) remove(rel string) {
	s.t.Helper()
	if err := os.RemoveAll(filepath.Join(s.root, rel)); err != nil {
		s.t.Fatal(err)
	}
}

// savedModel writes a fake TensorFlow SavedModel into dir.
func (s *store) savedModel(dir string) {
	s.write(dir+"/saved_model.pb", "\x08\x01")
	s.write(dir+"/variables/variables.index", "")
	s.write(dir+"/variables/variables.data-00000-of-00001", "")
}

// reference builds the store of the reference app: the fixed-style ONNX
// model under pytorch/ and a TensorFlow SavedModel.
func (s *store) reference() {
	s.link("pytorch/style-transfer/candy.onnx", "candy.onnx")
	s.savedModel("tensorflow/style-transfer")
}

func fp32(name string, shape ...int64) Tensor {
	return Tensor{Name: name, DataType: "FP32", Shape: shape}
}

func candy(in, out Tensor) Expectation {
	return Expectation{
		Model:   "style-transfer",
		Format:  "onnx",
		Path:    "pytorch/style-transfer/",
		Inputs:  []Tensor{in},
		Outputs: []Tensor{out},
	}
}

var (
	candyIn  = fp32("input1", 1, 3, 512, 512)
	candyOut = fp32("output1", 1, 3, 512, 512)
	tfModel  = Expectation{Model: "arbitrary-style", Format: "tensorflow", Path: "tensorflow/style-transfer/"}
)

// want is a finding without its hint; every finding must have one.
type want struct{ Model, Field, Message string }

func TestCheckStore(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *store)
		exps  []Expectation
		want  []want
	}{
		{
			name: "correct declaration",
			exps: []Expectation{candy(candyIn, candyOut), tfModel},
		},
		{
			name: "dynamic and unset declarations match anything",
			exps: []Expectation{candy(
				Tensor{Name: "input1", DataType: "fp32", Shape: []int64{-1, 3, -1, 1024}},
				Tensor{Name: "output1"})},
		},
		{
			name: "wrong input name",
			exps: []Expectation{candy(fp32("image", 1, 3, 512, 512), candyOut)},
			want: []want{
				{"style-transfer", "inputs", `model file "pytorch/style-transfer/candy.onnx" has input "input1" that the CUE does not declare`},
				{"style-transfer", "inputs[0].name", `input "image" is not in model file "pytorch/style-transfer/candy.onnx"; the file has inputs "input1"`},
			},
		},
		{
			name: "wrong static dimension",
			exps: []Expectation{candy(fp32("input1", 1, 4, 512, 512), candyOut)},
			want: []want{
				{"style-transfer", "inputs[0].shape[1]", `input "input1" dim 1: model file has 3, CUE declares 4`},
			},
		},
		{
			name: "wrong dtype",
			exps: []Expectation{candy(Tensor{Name: "input1", DataType: "INT64", Shape: []int64{1, 3, 512, 512}}, candyOut)},
			want: []want{
				{"style-transfer", "inputs[0].datatype", `input "input1" datatype: model file has FP32, CUE declares INT64`},
			},
		},
		{
			name: "wrong rank and output dimension",
			exps: []Expectation{candy(fp32("input1", 3, 512, 512), fp32("output1", 2, 3, 512, 512))},
			want: []want{
				{"style-transfer", "inputs[0].shape", `input "input1" rank: model file has 4 [1,3,-1,-1], CUE declares 3 [3,512,512]`},
				{"style-transfer", "outputs[0].shape[0]", `output "output1" dim 0: model file has 1, CUE declares 2`},
			},
		},
		{
			name: "wrong output name",
			exps: []Expectation{candy(candyIn, fp32("output", 1, 3, 512, 512))},
			want: []want{
				{"style-transfer", "outputs[0].name", `output "output" is not in model file "pytorch/style-transfer/candy.onnx"; the file has outputs "output1"`},
			},
		},
		{
			name: "missing variables dir",
			setup: func(s *store) {
				s.remove("tensorflow/style-transfer/variables")
			},
			exps: []Expectation{tfModel},
			want: []want{
				{"arbitrary-style", "path", `tensorflow SavedModel "tensorflow/style-transfer/" has no variables/ directory`},
			},
		},
		{
			name:  "missing saved_model.pb",
			setup: func(s *store) { s.remove("tensorflow/style-transfer/saved_model.pb") },
			exps:  []Expectation{tfModel},
			want: []want{
				{"arbitrary-style", "path", `no saved_model.pb in "tensorflow/style-transfer/"`},
			},
		},
		{
			name: "missing path",
			exps: []Expectation{{Model: "style-transfer", Format: "onnx", Path: "pytorch/fixed-style/"}},
			want: []want{
				{"style-transfer", "path", `storage path "pytorch/fixed-style/" does not exist in the model store`},
			},
		},
		{
			name:  "no onnx file",
			setup: func(s *store) { s.write("onnx/empty/README.md", "nothing here\n") },
			exps:  []Expectation{{Model: "empty", Format: "onnx", Path: "onnx/empty/"}},
			want: []want{
				{"empty", "path", `no .onnx file in "onnx/empty/"`},
			},
		},
		{
			name: "several onnx files",
			setup: func(s *store) {
				s.link("onnx/two/style_predict.onnx", "style_predict.onnx")
				s.link("onnx/two/style_transfer.onnx", "style_transfer.onnx")
			},
			exps: []Expectation{{Model: "two", Format: "onnx", Path: "onnx/two"}},
			want: []want{
				{"two", "path", `2 .onnx files in "onnx/two/" (style_predict.onnx, style_transfer.onnx): the runtime cannot tell which one to load`},
			},
		},
		{
			name: "several onnx files, one named model.onnx",
			setup: func(s *store) {
				s.link("onnx/two/model.onnx", "style_predict.onnx")
				s.link("onnx/two/style_transfer.onnx", "style_transfer.onnx")
			},
			exps: []Expectation{{Model: "two", Format: "onnx", Path: "onnx/two",
				Inputs: []Tensor{fp32("style_image", 1, 3, 256, 256)}}},
		},
		{
			name: "undeclared input of a two-input model; undeclared outputs are fine",
			setup: func(s *store) {
				s.link("onnx/transfer/style_transfer.onnx", "style_transfer.onnx")
			},
			exps: []Expectation{{Model: "transfer", Format: "onnx", Path: "onnx/transfer/",
				Inputs: []Tensor{fp32("content_image", 1, 3, 384, 384)}}},
			want: []want{
				{"transfer", "inputs", `model file "onnx/transfer/style_transfer.onnx" has input "style_bottleneck" that the CUE does not declare`},
			},
		},
		{
			name: "triton layouts",
			setup: func(s *store) {
				s.write("onnx/triton/config.pbtxt", "backend: \"onnxruntime\"\n")
				s.link("onnx/triton/1/model.onnx", "candy.onnx")
				s.savedModel("tf/triton/1/model.savedmodel")
				s.savedModel("tf/serving/3")
				s.write("tf/serving/12/saved_model.pb", "") // the largest version is loaded
			},
			exps: []Expectation{
				{Model: "a", Format: "onnx", Path: "onnx/triton", Inputs: []Tensor{candyIn}},
				{Model: "b", Format: "tensorflow", Path: "tf/triton/"},
				{Model: "c", Format: "tensorflow", Path: "tf/serving/"},
			},
			want: []want{
				{"c", "path", `tensorflow SavedModel "tf/serving/12/" has no variables/ directory`},
			},
		},
		{
			name: "onnx path is a file",
			exps: []Expectation{
				{Model: "file", Format: "ONNX", Path: "pytorch/style-transfer/candy.onnx", Inputs: []Tensor{candyIn}},
				{Model: "not-onnx", Format: "onnx", Path: "tensorflow/style-transfer/saved_model.pb"},
				{Model: "tf-file", Format: "tensorflow", Path: "tensorflow/style-transfer/saved_model.pb"},
			},
			want: []want{
				{"not-onnx", "path", `storage path "tensorflow/style-transfer/saved_model.pb" is a file without the .onnx extension`},
				{"tf-file", "path", `storage path "tensorflow/style-transfer/saved_model.pb" is a file, not a tensorflow SavedModel directory`},
			},
		},
		{
			name:  "unreadable onnx",
			setup: func(s *store) { s.write("onnx/bad/model.onnx", "not a model") },
			exps:  []Expectation{{Model: "bad", Format: "onnx", Path: "onnx/bad/"}},
			want: []want{
				{"bad", "path", `cannot read model file "onnx/bad/model.onnx": not an onnx model: ModelProto at byte 0: unsupported wire type 6 for field 13`},
			},
		},
		{
			name:  "other formats: the path exists",
			setup: func(s *store) { s.write("sklearn/mnist-svm.joblib", "x") },
			exps: []Expectation{
				{Model: "svm", Format: "sklearn", Path: "sklearn/mnist-svm.joblib"},
				{Model: "torch", Format: "pytorch", Path: "pytorch/style-transfer"},
				{Model: "gone", Format: "pytorch", Path: "pytorch/gone"},
			},
			want: []want{
				{"gone", "path", `storage path "pytorch/gone" does not exist in the model store`},
			},
		},
		{
			name: "paths outside the store",
			exps: []Expectation{
				{Model: "abs", Format: "onnx", Path: "/etc"},
				{Model: "up", Format: "onnx", Path: "../models"},
				{Model: "empty", Format: "onnx", Path: ""},
			},
			want: []want{
				{"abs", "path", `storage path "/etc" is not inside the model store`},
				{"empty", "path", `storage path is empty`},
				{"up", "path", `storage path "../models" is not inside the model store`},
			},
		},
		{
			name: "sorted by model then field, duplicates reported",
			exps: []Expectation{
				{Model: "z", Format: "onnx", Path: "missing"},
				{
					Model: "m", Format: "onnx", Path: "pytorch/style-transfer/",
					Inputs: []Tensor{candyIn, candyIn, candyIn, candyIn, candyIn, candyIn, candyIn, candyIn, candyIn, candyIn,
						fp32("input1", 9, 3, 512, 512)},
				},
			},
			want: append(func() (w []want) {
				// inputs[10] sorts after inputs[9], not after inputs[1].
				for i := 1; i <= 10; i++ {
					w = append(w, want{"m", fmt.Sprintf("inputs[%d].name", i), `input "input1" is declared twice`})
				}
				return w
			}(), want{"z", "path", `storage path "missing" does not exist in the model store`}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			s.reference()
			if tc.setup != nil {
				tc.setup(s)
			}
			got := CheckStore(s.root, tc.exps)
			var gotW []want
			for _, f := range got {
				gotW = append(gotW, want{f.Model, f.Field, f.Message})
				checkStyle(t, f)
			}
			if !reflect.DeepEqual(gotW, tc.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", dump(gotW), dump(tc.want))
			}
			// Deterministic: the same store and declarations give the same
			// findings, whatever the order of the declarations.
			rev := make([]Expectation, len(tc.exps))
			for i, e := range tc.exps {
				rev[len(rev)-1-i] = e
			}
			if again := CheckStore(s.root, rev); !reflect.DeepEqual(again, got) && !(len(again) == 0 && len(got) == 0) {
				t.Errorf("findings depend on declaration order:\n%v\n%v", got, again)
			}
		})
	}
}

// checkStyle enforces the message conventions on a finding.
func checkStyle(t *testing.T, f Finding) {
	t.Helper()
	for _, s := range []string{f.Message, f.Hint} {
		if s == "" || strings.ContainsAny(s, "\n\r") || strings.HasSuffix(s, ".") {
			t.Errorf("finding text %q: want one non-empty line without a trailing period", s)
		}
	}
	if c := f.Message[0]; c >= 'A' && c <= 'Z' {
		t.Errorf("message %q starts with an upper-case letter", f.Message)
	}
	if strings.Contains(f.Message, os.TempDir()) {
		t.Errorf("message %q names the temporary store root", f.Message)
	}
}

func dump(ws []want) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  %s %s: %s\n", w.Model, w.Field, w.Message)
	}
	return b.String()
}

func TestCheckStoreTruncatedONNX(t *testing.T) {
	s := newStore(t)
	b, err := os.ReadFile(filepath.Join(s.models, "candy.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s.write("onnx/cut/candy.onnx", string(b[:len(b)/2]))
	got := CheckStore(s.root, []Expectation{{Model: "cut", Format: "onnx", Path: "onnx/cut"}})
	if len(got) != 1 || got[0].Field != "path" ||
		!strings.HasPrefix(got[0].Message, `cannot read model file "onnx/cut/candy.onnx": onnx ModelProto at byte `) ||
		!strings.HasSuffix(got[0].Message, ": truncated or malformed protobuf") {
		t.Errorf("got %+v", got)
	}
}
