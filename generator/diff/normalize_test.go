package diff

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
)

// normalize converts plain bodies in place; the result must be what the
// JSON round trip gives, for every kind of value, and for every object of
// the reference app.
func TestNormalizeMatchesRoundTrip(t *testing.T) {
	bodies := []map[string]any{
		{"i": 1, "i32": int32(-7), "i64": int64(math.MaxInt64), "f": 2.5, "fi": 3.0, "tiny": 1e-9, "big": 1e21,
			"neg0": math.Copysign(0, -1), "inf": []any{1, map[string]any{"deep": 2.25}}, "n": json.Number("1.0"), "b": true, "z": nil, "s": "päth ${X} \u2028",
			"l": []any{1, "a", []any{}, map[string]any{}}, "m": map[string]any{"k": []any{2.0}}},
		{"bad": "\xff"},
		{"\xffkey": 1},
		{"typed": []string{"a"}},
		{"num": json.Number("abc")},
	}
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: repoRoot()}, ObjectsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects["prod"] {
		bodies = append(bodies, o.Body)
	}
	for i, b := range bodies {
		want, werr := roundTrip(b)
		got, gerr := normalize(b) // consumes b
		if (gerr == nil) != (werr == nil) {
			t.Errorf("body %d: error %v, round trip %v", i, gerr, werr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("body %d (-round trip +normalize):\n%s", i, diff)
		}
	}
}
