package emit

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestMarshalMatchesSigsYAML: Marshal's direct path writes what
// sigs.k8s.io/yaml.Marshal (the JSON round trip) writes.
func TestMarshalMatchesSigsYAML(t *testing.T) {
	docs := []string{
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","annotations":{"b":"1","a":"yes","c":"null"}},"data":{"x":"multi\nline\n","y":"0x1F","z":"  lead","w":"on","v":"1e3","u":"~","t":"","s":"é","r":"a: b","q":"- x","p":"#c"}}`,
		`{"spec":{"replicas":3,"f":1.5,"g":1e21,"h":-7,"i":123456789012345678901234,"j":0.1,"k":16777216,"l":[1,"2",true,null,{"m":[]}],"n":{},"o":[],"p":-0.0}}`,
		`{"spec":{"ports":[{"port":8000,"name":"http-8000"},{"port":80}],"weird key":{"1":2,"10":3,"9":4,"a.b/c":"d"}}}`,
	}
	for _, d := range docs {
		for _, useNumber := range []bool{false, true} {
			var body map[string]any
			dec := json.NewDecoder(strings.NewReader(d))
			if useNumber {
				dec.UseNumber()
			}
			if err := dec.Decode(&body); err != nil {
				t.Fatal(err)
			}
			want, err := yaml.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal("dev", body)
			if err != nil {
				t.Fatal(err)
			}
			got = []byte(strings.TrimPrefix(string(got), Header("dev")))
			if string(got) != string(want) {
				t.Errorf("useNumber=%v:\ngot:\n%s\nwant:\n%s", useNumber, got, want)
			}
		}
	}
	// A typed value takes the JSON round trip.
	if _, ok := yamlValue(map[string]any{"a": []string{"x"}}); ok {
		t.Error("typed value accepted by the direct path")
	}
}
