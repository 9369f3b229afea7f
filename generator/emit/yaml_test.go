package emit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
)

// yamlDocs are bodies whose layout and scalars cover what yaml.v2 does
// differently from a naive writer: quoting of words and numbers, key
// order with digits, empty collections, lists in lists and in lists of
// maps, long strings with and without spaces, unicode, literal blocks.
var yamlDocs = []string{
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","annotations":{"b":"1","a":"yes","c":"null","d":"Yes","e":"NO","f":"y"}},"data":{"y":"0x1F","z":"  lead","w":"on","v":"1e3","u":"~","t":"","s":"é","r":"a: b","q":"- x","p":"#c","o":"a #b","n":"'q'","m":"\"d\"","l":"tab\there","k":"trail ","j":"1:20","i":"-","h":"---","g":"...","f":"@x","e":"%x","d":"!x","c":"*x","b":"&x","a":"?x"}}`,
	`{"spec":{"replicas":3,"f":1.5,"g":1e21,"h":-7,"i":123456789012345678901234,"j":0.1,"k":16777216,"l":[1,"2",true,null,{"m":[]}],"n":{},"o":[],"p":-0.0,"q":1e-7,"r":2.5e-300}}`,
	`{"spec":{"ports":[{"port":8000,"name":"http-8000"},{"port":80}],"weird key":{"1":2,"10":3,"9":4,"a.b/c":"d","a10":1,"a9":2,"a09":3,"B":1,"b":2,"_x":3,"-y":4,"é":5,"01":6,"001":7}}}`,
	`{"l":[[1,2],[],[[3]],{},[{"a":[{"b":[[]]}]}]],"m":[{"a":{},"b":[]},{"c":{"d":{"e":[1]}}}]}`,
	`{"long":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","nested":{"deeper":{"deepest":{"text":"the quick brown fox jumps over the lazy dog and keeps going"}}}}`,
	`{"x":{"k":"v: w","k2":"[a]","k3":"{b}","k4":"a,b","k5":"|","k6":">","k7":"%","k8":"` + "`" + `x","k10":"\u0007","k11":"CamelCase","k12":"path/to/file.txt","k13":"1.2.3","k14":".5","k15":"+1","k16":"0o17","k17":"0b101","k18":"1_000","k19":".inf","k20":"-.Inf","k21":".NaN","k22":"2001-12-14","k23":"=","k24":"<<"}}`,
}

func decodeDoc(t testing.TB, d string) map[string]any {
	t.Helper()
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(d))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

// CheckEncode is checkEncode for the external tests.
var CheckEncode = checkEncode

// checkEncode compares encodeYAML with yaml.v2 on one body; it reports
// whether the direct writer took it (false: the fallback).
func checkEncode(t testing.TB, name string, body map[string]any) bool {
	t.Helper()
	v, ok := yamlValue(body)
	got, direct := encodeYAML(body)
	if !ok {
		if direct {
			t.Errorf("%s: the direct writer took a body yamlValue refuses", name)
		}
		return false
	}
	want, err := yamlv2.Marshal(v)
	if err != nil {
		return false
	}
	// The fallback, yaml.v2 with the keys in sortKeys order, writes what
	// yaml.v2 writes of the map whenever yaml.v2's order is consistent.
	if consistentKeys(v) {
		if fb, err := yamlv2.Marshal(ordered(v)); err != nil || string(fb) != string(want) {
			t.Errorf("%s: the yaml.v2 fallback (%v):\n%s\nyaml.v2:\n%s", name, err, fb, want)
		}
	}
	if !direct {
		return false
	}
	if again, _ := encodeYAML(body); string(again) != string(got) {
		t.Errorf("%s: two encodings differ:\n%s\n%s", name, got, again)
	}
	if !consistentKeys(v) {
		return true // yaml.v2's own output depends on map order here
	}
	if string(got) != string(want) {
		t.Errorf("%s:\nencodeYAML:\n%s\nyaml.v2:\n%s", name, got, want)
	}
	return true
}

// consistentKeys reports whether every map in v has keys yaml.v2 orders
// the same way whatever the map order (consistentOrder).
func consistentKeys(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k, c := range v {
			keys = append(keys, k)
			if !consistentKeys(c) {
				return false
			}
		}
		return consistentOrder(keys)
	case []any:
		for _, c := range v {
			if !consistentKeys(c) {
				return false
			}
		}
	}
	return true
}

// TestInconsistentKeyOrder: yaml.v2's key order is not transitive for
// keys like k21, k2B, k9, so sigs.k8s.io/yaml writes such a map in an
// order that depends on Go's map iteration; aimesh writes it the same way
// every time (regression: found by FuzzEncodeYAML).
func TestInconsistentKeyOrder(t *testing.T) {
	keys := []string{"0", "k21", "k2B", "k9"} // found by FuzzEncodeYAML
	if consistentOrder(keys) {
		t.Fatal("expected a cycle in yaml.v2's order")
	}
	// Written directly, and left to yaml.v2 (a literal block in the same
	// object): the same bytes every time.
	for _, script := range []any{nil, "line one\nline two\n"} {
		var first string
		for i := 0; i < 2000; i++ {
			Forget()
			m := map[string]any{}
			for _, k := range keys {
				m[k] = int64(1)
			}
			y, err := Marshal("dev", map[string]any{"data": m, "script": script})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = string(y)
			} else if string(y) != first {
				t.Fatalf("script %v, run %d:\n%s\nfirst:\n%s", script != nil, i, y, first)
			}
		}
	}
}

// TestEncodeYAMLEdgeCases: the direct writer writes yaml.v2's bytes for
// the edge cases above (objects of real platforms: yaml_ext_test.go).
func TestEncodeYAMLEdgeCases(t *testing.T) {
	for i, d := range yamlDocs {
		if !checkEncode(t, fmt.Sprintf("doc %d", i), decodeDoc(t, d)) {
			t.Errorf("doc %d: left to yaml.v2", i)
		}
	}
	// What yaml.v2 would write over several lines is left to it.
	for _, d := range []string{
		`{"a":"multi\nline\n"}`,
		`{"a":"line\u2028separator"}`,
		`{"spaced":"a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z"}`,
		`{"a":{"b":"` + strings.Repeat("word ", 20) + `"}}`,
		`{"` + strings.Repeat("k", 200) + `":1}`,
	} {
		if checkEncode(t, d, decodeDoc(t, d)) {
			t.Errorf("%s: taken by the direct writer", d)
		}
	}
}

// FuzzEncodeYAML: for any JSON object the direct writer accepts, it writes
// what yaml.v2 writes.
func FuzzEncodeYAML(f *testing.F) {
	for _, d := range yamlDocs {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d string) {
		var body map[string]any
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		if dec.Decode(&body) != nil || body == nil {
			return
		}
		checkEncode(t, "input", body)
	})
}
