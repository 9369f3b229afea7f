package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"

	"cuelang.org/go/cue"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// checkNumbers reports every integer of v that does not fit the Go field
// it decodes into (t, a type of the model: int32 for ports, replicas,
// probe and autoscaling fields as the Kubernetes API has them, int64
// elsewhere), at the value in the user's files and under its CUE path,
// instead of failing the decoding with the Go field's name. A value beyond
// every bound the schema sets is caught by the schema; this is for fields
// the schema bounds only from below (probe periods, autoscaling min and
// max).
func (s *setup) checkNumbers(v cue.Value, t reflect.Type, path string, ix Index) diag.List {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var l diag.List
	switch v.IncompleteKind() {
	case cue.IntKind:
		if t != nil && (t.Kind() < reflect.Int || t.Kind() > reflect.Uint64) {
			return nil // a float or interface field holds any number
		}
		n, err := v.Int(nil)
		if err != nil {
			return nil
		}
		lo, hi, bits := intRange(t)
		if n.Cmp(lo) >= 0 && n.Cmp(hi) <= 0 {
			return nil
		}
		d := diag.Diagnostic{Severity: diag.Error, Path: path}
		if bits == 64 {
			d.Message = fmt.Sprintf("%v does not fit in a 64-bit integer", n)
			d.Hint = "use a value between -9223372036854775808 and 9223372036854775807 (most fields accept far less)"
		} else {
			bound := "at most " + hi.String()
			if n.Sign() < 0 {
				bound = "at least " + lo.String()
			}
			d.Message = fmt.Sprintf("%v does not fit the field, a %d-bit integer (%s)", n, bits, bound)
			d.Hint = fmt.Sprintf("the Kubernetes objects aimesh writes hold this field in %d bits: use a whole number of %s", bits, bound)
		}
		d.Pos = s.numberPos(v, path, ix)
		s.placeWritten(&d)
		l = append(l, d)
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			return nil
		}
		fields := jsonFields(t)
		for it.Next() {
			label, child := fieldPath(path, it.Selector())
			var ct reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Map:
				ct = t.Elem()
			case fields != nil:
				ct = fields[label]
			}
			l = append(l, s.checkNumbers(it.Value(), ct, child, ix)...)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return nil
		}
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; it.Next(); i++ {
			l = append(l, s.checkNumbers(it.Value(), et, path+fmt.Sprintf("[%d]", i), ix)...)
		}
	}
	return l
}

// numberPos is the position of the integer v at path: the value as the
// user wrote it, else v's own position when it is the user's, else the
// nearest indexed ancestor's.
func (s *setup) numberPos(v cue.Value, path string, ix Index) diag.Pos {
	if w := s.written.at(path, s.root); len(w) > 0 {
		return w[0].value
	}
	if p := s.pos(diag.FromToken(s.root, v.Pos())); p.IsValid() && s.isUser(p) {
		return p
	}
	return ix.Lookup(path)
}

// intRange is the range of the Go integer type t decodes into (int64 when
// t is unknown or not an integer) and its size in bits.
func intRange(t reflect.Type) (lo, hi *big.Int, bits int) {
	if t != nil {
		switch t.Kind() {
		case reflect.Int8, reflect.Int16, reflect.Int32:
			bits = t.Bits()
			return big.NewInt(-1 << (bits - 1)), big.NewInt(1<<(bits-1) - 1), bits
		case reflect.Uint8, reflect.Uint16, reflect.Uint32:
			bits = t.Bits()
			return big.NewInt(0), big.NewInt(1<<bits - 1), bits
		case reflect.Uint, reflect.Uint64:
			return big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64), 64
		}
	}
	return big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64), 64
}

// jsonFields maps the JSON names of struct type t's fields (those of
// embedded structs included, as encoding/json promotes them) to their
// types; nil when t is not a struct.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for n, et := range jsonFields(ft) {
				if _, ok := out[n]; !ok {
					out[n] = et
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// decodeError turns a JSON decoding error of a validated value into a
// positioned input error where it can (a number the Go model cannot
// hold), walking v against the model's types for the CUE path and
// position of every such number; ok is false for a genuine disagreement
// between schema and Go model.
func (s *setup) decodeError(err error, v cue.Value, ix Index) (diag.List, bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || !strings.HasPrefix(te.Value, "number") {
		return nil, false
	}
	if l := s.checkNumbers(v, reflect.TypeFor[model.Platform](), "", ix); len(l) > 0 {
		return l, true
	}
	// Not found by the walk: name at least the Go field.
	return diag.List{{Severity: diag.Error, Pos: ix.Lookup(te.Field), Path: te.Field,
		Message: fmt.Sprintf("%s does not fit the field (a %s)", te.Value, te.Type),
		Hint:    "use a smaller whole number"}}, true
}
