package load

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/model"
)

func TestWrittenAt(t *testing.T) {
	var w writtenIndex
	w.add("/r/cue/a.cue", []byte(`package platform

services: "ai-backend": {
	calls: ["x"]
	port:  8000
}
sso: claims: [{claim: "a", header: "x-a"}]
`))
	w.add("/r/cue/b.cue", []byte(`package platform

services: "ai-backend": calls: ["x", "y"]
services: "ai-backend": port: 9000 & int
sso: {claims: [{claim: "b", header: "x-b"}, ...]}
`))
	for path, want := range map[string]string{
		`services."ai-backend".calls`:    "cue/a.cue:4:9 cue/b.cue:3:32",
		`services."ai-backend".port`:     "cue/a.cue:5:9 cue/b.cue:4:31",
		`sso.claims.0.claim`:             "cue/a.cue:7:23 cue/b.cue:5:24",
		`sso.claims[0].header`:           "cue/a.cue:7:36 cue/b.cue:5:37",
		`sso.claims[1].claim`:            "",
		`services."ai-backend"`:          "", // a struct is not set in one place
		`services."style-transfer".port`: "",
		`#Platform.services`:             "",
	} {
		var got []string
		for _, p := range w.at(path, "/r") {
			got = append(got, p.value.String())
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("at(%s) = %q, want %q", path, g, want)
		}
	}
}

func TestSelectors(t *testing.T) {
	got, ok := selectors(`services."a.b\"c".variants.x[2].y.3`)
	want := []selector{{"services", -1}, {`a.b"c`, -1}, {"variants", -1}, {"x", -1}, {"", 2}, {"y", -1}, {"", 3}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("selectors = %v, %v; want %v", got, ok, want)
	}
}

func TestJSONFieldsAndRanges(t *testing.T) {
	svc := jsonFields(reflect.TypeFor[model.Service]())
	// Workload is embedded: its fields are the service's.
	as, ok := svc["autoscaling"]
	if !ok {
		t.Fatalf("autoscaling not among the fields of model.Service: %v", svc)
	}
	min := jsonFields(as.Elem())["min"]
	if lo, hi, bits := intRange(min); bits != 32 || lo.Int64() != -2147483648 || hi.Int64() != 2147483647 {
		t.Errorf("range of autoscaling.min = %v..%v (%d bits)", lo, hi, bits)
	}
	if _, _, bits := intRange(nil); bits != 64 {
		t.Errorf("unknown type: %d bits, want 64", bits)
	}
}
