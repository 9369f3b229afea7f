package modelstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// Tensor is one input or output of a model.
type Tensor struct {
	Name string
	// DataType is the KServe v2 datatype name: FP32, INT64, BYTES, ...
	// Empty when the value is not a tensor (an ONNX sequence or map) or its
	// element type is undefined.
	DataType string
	// Shape lists the dimensions; -1 is a dynamic dimension. A nil Shape
	// means the rank is unknown; an empty non-nil Shape is a scalar.
	Shape []int64
}

// Signature is the interface of a model: its inputs and outputs in the
// order the model file lists them.
type Signature struct {
	Inputs, Outputs []Tensor
}

// Field numbers from onnx/onnx.proto.
const (
	fModelGraph = 7 // ModelProto.graph

	fGraphInitializer       = 5  // GraphProto.initializer (TensorProto)
	fGraphInput             = 11 // GraphProto.input (ValueInfoProto)
	fGraphOutput            = 12 // GraphProto.output (ValueInfoProto)
	fGraphSparseInitializer = 15 // GraphProto.sparse_initializer (SparseTensorProto)

	fTensorProtoName   = 8 // TensorProto.name
	fSparseTensorValue = 1 // SparseTensorProto.values (TensorProto)

	fValueInfoName = 1 // ValueInfoProto.name
	fValueInfoType = 2 // ValueInfoProto.type (TypeProto)

	fTypeTensor = 1 // TypeProto.tensor_type (TypeProto.Tensor)

	fTensorTypeElem  = 1 // TypeProto.Tensor.elem_type
	fTensorTypeShape = 2 // TypeProto.Tensor.shape (TensorShapeProto)

	fShapeDim = 1 // TensorShapeProto.dim (Dimension)

	fDimValue = 1 // Dimension.dim_value
	fDimParam = 2 // Dimension.dim_param
)

// v2Types maps ONNX TensorProto.DataType to KServe v2 datatype names.
var v2Types = map[uint64]string{
	1:  "FP32",
	2:  "UINT8",
	3:  "INT8",
	4:  "UINT16",
	5:  "INT16",
	6:  "INT32",
	7:  "INT64",
	8:  "BYTES",
	9:  "BOOL",
	10: "FP16",
	11: "FP64",
	12: "UINT32",
	13: "UINT64",
	16: "BF16",
}

// onnxOnlyTypes names ONNX element types that KServe v2 has no name for.
var onnxOnlyTypes = map[uint64]string{
	14: "COMPLEX64",
	15: "COMPLEX128",
	17: "FLOAT8E4M3FN",
	18: "FLOAT8E4M3FNUZ",
	19: "FLOAT8E5M2",
	20: "FLOAT8E5M2FNUZ",
	21: "UINT4",
	22: "INT4",
	23: "FLOAT4E2M1",
}

func dataTypeName(elem uint64) string {
	if s, ok := v2Types[elem]; ok {
		return s
	}
	if elem == 0 {
		return ""
	}
	if s, ok := onnxOnlyTypes[elem]; ok {
		return "ONNX_" + s
	}
	return fmt.Sprintf("ONNX_TYPE_%d", elem)
}

// ReadONNX reads the signature of the ONNX model in the file at path. It
// reads only the parts of the file it needs: weights are skipped, not
// loaded.
func ReadONNX(path string) (Signature, error) {
	sig, err := readONNX(path)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return sig, err
}

// readONNX is ReadONNX without the path in parse errors.
func readONNX(path string) (Signature, error) {
	f, err := os.Open(path)
	if err != nil {
		return Signature{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Signature{}, err
	}
	if !st.Mode().IsRegular() {
		return Signature{}, errors.New("not a regular file")
	}
	return parseModel(&source{ra: f, size: st.Size()})
}

// ParseONNX reads the signature of a serialized ONNX ModelProto. Graph
// inputs that are also initializers (weights listed as inputs, as old
// exporters do) are left out.
func ParseONNX(b []byte) (Signature, error) {
	return parseModel(&source{mem: b, size: int64(len(b))})
}

// errTruncated reports a length that runs past its enclosing message.
var errTruncated = errors.New("truncated or malformed protobuf")

// source gives random access to a serialized model, either in memory or
// through a ReaderAt with a read window, so that the large initializer
// payloads are skipped without being read.
type source struct {
	mem  []byte
	ra   io.ReaderAt
	size int64
	buf  []byte // window of ra starting at base
	base int64
	// window is the read-ahead size for ra; 0 means windowSize.
	window int64
}

const windowSize = 64 << 10

// at returns n bytes at off. The slice is only valid until the next call.
func (s *source) at(off int64, n int64) ([]byte, error) {
	if off < 0 || n < 0 || n > s.size || off > s.size-n {
		return nil, errTruncated
	}
	if s.mem != nil {
		return s.mem[off : off+n], nil
	}
	if off >= s.base && off+n <= s.base+int64(len(s.buf)) {
		return s.buf[off-s.base : off-s.base+n], nil
	}
	w := s.window
	if w <= 0 {
		w = windowSize
	}
	want := max(n, min(w, s.size-off))
	if int64(cap(s.buf)) < want {
		s.buf = make([]byte, want)
	}
	s.buf = s.buf[:want]
	m, err := s.ra.ReadAt(s.buf, off)
	if int64(m) < want {
		s.buf = s.buf[:0]
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	s.base = off
	return s.buf[:n], nil
}

// field is one field of a message read by next. For length-delimited
// fields, [off, end) is the payload.
type field struct {
	num      protowire.Number
	typ      protowire.Type
	val      uint64
	off, end int64
}

// next reads the field starting at off inside a message ending at end and
// returns it with the offset after it.
func (s *source) next(off, end int64) (field, int64, error) {
	tag, off, err := s.varint(off, end)
	if err != nil {
		return field{}, 0, err
	}
	num, typ := protowire.DecodeTag(tag)
	if num < protowire.MinValidNumber || num > protowire.MaxValidNumber {
		return field{}, 0, fmt.Errorf("invalid field number %d", num)
	}
	f := field{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.val, off, err = s.varint(off, end)
		return f, off, err
	case protowire.Fixed32Type:
		off += 4
	case protowire.Fixed64Type:
		off += 8
	case protowire.BytesType:
		var n uint64
		n, off, err = s.varint(off, end)
		if err != nil {
			return field{}, 0, err
		}
		if n > uint64(end-off) {
			return field{}, 0, errTruncated
		}
		f.off, f.end = off, off+int64(n)
		off = f.end
	default:
		// Groups are not used by onnx.proto.
		return field{}, 0, fmt.Errorf("unsupported wire type %d for field %d", typ, num)
	}
	if off > end {
		return field{}, 0, errTruncated
	}
	return f, off, nil
}

func (s *source) varint(off, end int64) (uint64, int64, error) {
	b, err := s.at(off, min(end-off, binary.MaxVarintLen64))
	if err != nil {
		return 0, 0, err
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		if err := protowire.ParseError(n); !errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, 0, err
		}
		return 0, 0, errTruncated
	}
	return v, off + int64(n), nil
}

func wrongType(msg string, f field) error {
	return fmt.Errorf("%s field %d has wire type %d", msg, f.num, f.typ)
}

func parseModel(s *source) (Signature, error) {
	var (
		g        graph
		hasGraph bool
	)
	for off := int64(0); off < s.size; {
		f, next, err := s.next(off, s.size)
		if err != nil {
			if errors.Is(err, errTruncated) {
				return Signature{}, fmt.Errorf("onnx ModelProto at byte %d: %w", off, err)
			}
			return Signature{}, fmt.Errorf("not an onnx model: ModelProto at byte %d: %w", off, err)
		}
		off = next
		if f.num != fModelGraph {
			continue
		}
		if f.typ != protowire.BytesType {
			return Signature{}, wrongType("onnx ModelProto", f)
		}
		hasGraph = true
		if err := g.read(s, f.off, f.end); err != nil {
			return Signature{}, err
		}
	}
	if !hasGraph {
		return Signature{}, errors.New("not an onnx model: no graph in ModelProto")
	}
	return g.signature(), nil
}

// graph collects what the signature needs from a GraphProto.
type graph struct {
	inputs, outputs []Tensor
	weights         map[string]bool
}

func (g *graph) read(s *source, off, end int64) error {
	for off < end {
		f, next, err := s.next(off, end)
		if err != nil {
			return fmt.Errorf("onnx GraphProto at byte %d: %w", off, err)
		}
		off = next
		switch f.num {
		case fGraphInput, fGraphOutput, fGraphInitializer, fGraphSparseInitializer:
		default:
			continue
		}
		if f.typ != protowire.BytesType {
			return wrongType("onnx GraphProto", f)
		}
		switch f.num {
		case fGraphInput, fGraphOutput:
			b, err := s.at(f.off, f.end-f.off)
			if err != nil {
				return err
			}
			t, err := parseValueInfo(b)
			if err != nil {
				return fmt.Errorf("onnx ValueInfoProto at byte %d: %w", f.off, err)
			}
			if f.num == fGraphInput {
				g.inputs = append(g.inputs, t)
			} else {
				g.outputs = append(g.outputs, t)
			}
		case fGraphInitializer:
			if err := g.readWeight(s, f.off, f.end); err != nil {
				return err
			}
		case fGraphSparseInitializer:
			if err := g.readSparseWeight(s, f.off, f.end); err != nil {
				return err
			}
		}
	}
	return nil
}

// readWeight records the name of an initializer (TensorProto), skipping
// its data.
func (g *graph) readWeight(s *source, off, end int64) error {
	for off < end {
		f, next, err := s.next(off, end)
		if err != nil {
			return fmt.Errorf("onnx TensorProto at byte %d: %w", off, err)
		}
		off = next
		if f.num != fTensorProtoName {
			continue
		}
		if f.typ != protowire.BytesType {
			return wrongType("onnx TensorProto", f)
		}
		b, err := s.at(f.off, f.end-f.off)
		if err != nil {
			return err
		}
		if g.weights == nil {
			g.weights = map[string]bool{}
		}
		g.weights[string(b)] = true
	}
	return nil
}

func (g *graph) readSparseWeight(s *source, off, end int64) error {
	for off < end {
		f, next, err := s.next(off, end)
		if err != nil {
			return fmt.Errorf("onnx SparseTensorProto at byte %d: %w", off, err)
		}
		off = next
		if f.num != fSparseTensorValue {
			continue
		}
		if f.typ != protowire.BytesType {
			return wrongType("onnx SparseTensorProto", f)
		}
		if err := g.readWeight(s, f.off, f.end); err != nil {
			return err
		}
	}
	return nil
}

func (g *graph) signature() Signature {
	var sig Signature
	for _, t := range g.inputs {
		if !g.weights[t.Name] {
			sig.Inputs = append(sig.Inputs, t)
		}
	}
	sig.Outputs = g.outputs
	return sig
}

// each calls fn for every field of the message b. It fails on malformed
// input and when a field fn handles has an unexpected wire type.
func each(msg string, b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: %w", msg, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%s field %d: %w", msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func expect(msg string, num protowire.Number, typ, want protowire.Type) error {
	if typ != want {
		return fmt.Errorf("%s field %d has wire type %d, want %d", msg, num, typ, want)
	}
	return nil
}

func parseValueInfo(b []byte) (Tensor, error) {
	var t Tensor
	err := each("ValueInfoProto", b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case fValueInfoName:
			if err := expect("ValueInfoProto", num, typ, protowire.BytesType); err != nil {
				return err
			}
			t.Name = string(v)
		case fValueInfoType:
			if err := expect("ValueInfoProto", num, typ, protowire.BytesType); err != nil {
				return err
			}
			return parseType(v, &t)
		}
		return nil
	})
	return t, err
}

func parseType(b []byte, t *Tensor) error {
	return each("TypeProto", b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fTypeTensor {
			return nil // sequence, map, optional: not a tensor
		}
		if err := expect("TypeProto", num, typ, protowire.BytesType); err != nil {
			return err
		}
		return parseTensorType(v, t)
	})
}

func parseTensorType(b []byte, t *Tensor) error {
	return each("TypeProto.Tensor", b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case fTensorTypeElem:
			if err := expect("TypeProto.Tensor", num, typ, protowire.VarintType); err != nil {
				return err
			}
			t.DataType = dataTypeName(x)
		case fTensorTypeShape:
			if err := expect("TypeProto.Tensor", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if t.Shape == nil {
				t.Shape = []int64{}
			}
			return parseShape(v, t)
		}
		return nil
	})
}

func parseShape(b []byte, t *Tensor) error {
	return each("TensorShapeProto", b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fShapeDim {
			return nil
		}
		if err := expect("TensorShapeProto", num, typ, protowire.BytesType); err != nil {
			return err
		}
		d, err := parseDim(v)
		t.Shape = append(t.Shape, d)
		return err
	})
}

// parseDim returns a dimension's static size, or -1 when it is symbolic
// (dim_param) or unset.
func parseDim(b []byte) (int64, error) {
	d := int64(-1)
	err := each("TensorShapeProto.Dimension", b, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
		switch num {
		case fDimValue:
			if err := expect("TensorShapeProto.Dimension", num, typ, protowire.VarintType); err != nil {
				return err
			}
			d = int64(x)
			if d < 0 {
				d = -1
			}
		case fDimParam:
			if err := expect("TensorShapeProto.Dimension", num, typ, protowire.BytesType); err != nil {
				return err
			}
			d = -1 // oneof: the last one set wins
		}
		return nil
	})
	return d, err
}
