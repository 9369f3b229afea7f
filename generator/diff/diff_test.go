package diff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/emit"
)

// obj decodes a JSON object the way Render does (numbers as json.Number).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func lines(cs []Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, "\n")
}

var deploy = ObjectID{Group: "apps", Kind: "Deployment", Namespace: "ns", Name: "app"}

func TestObjects(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   ObjectID
		a, b string
		want string
	}{
		{"equal", deploy, `{"spec":{"replicas":2}}`, `{"spec":{"replicas":2}}`, ""},
		{"number by value", deploy, `{"x":2}`, `{"x":2.0}`, ""},
		{"scalar", deploy, `{"spec":{"replicas":2}}`, `{"spec":{"replicas":4}}`, "spec.replicas: 2 → 4"},
		{"added and removed keys, sorted", deploy, `{"b":1,"c":{"d":true}}`, `{"a":"x","b":1}`,
			"a: (added) x\nc: (removed) {\"d\":true}"},
		{"type change", deploy, `{"a":"1"}`, `{"a":1}`, `a: "1" → 1`},
		{"null", deploy, `{"a":null}`, `{"a":"x"}`, "a: null → x"},
		{"quoted keys", deploy, `{"metadata":{"labels":{"app.kubernetes.io/name":"a"}}}`, `{"metadata":{"labels":{"app.kubernetes.io/name":"b"}}}`,
			`metadata.labels["app.kubernetes.io/name"]: a → b`},
		{"list by name",
			deploy,
			`{"containers":[{"name":"a","image":"i:1"},{"name":"b","image":"j:1"}]}`,
			`{"containers":[{"name":"b","image":"j:2"},{"name":"c","image":"k:1"}]}`,
			"containers[name=a]: (removed) {\"image\":\"i:1\",\"name\":\"a\"}\n" +
				"containers[name=b].image: j:1 → j:2\n" +
				"containers[name=c]: (added) {\"image\":\"k:1\",\"name\":\"c\"}"},
		{"list by name reordered", deploy,
			`{"l":[{"name":"a"},{"name":"b"}]}`, `{"l":[{"name":"b"},{"name":"a"}]}`,
			`l: (reordered) ["a","b"] → ["b","a"]`},
		{"list into empty", deploy, `{"l":[]}`, `{"l":[{"name":"a","v":1}]}`, `l[name=a]: (added) {"name":"a","v":1}`},
		{"list by index", deploy, `{"args":["a","b","c"]}`, `{"args":["a","x"]}`,
			"args[1]: b → x\nargs[2]: (removed) c"},
		{"duplicate names fall back to index", deploy,
			`{"l":[{"name":"a","v":1},{"name":"a","v":2}]}`, `{"l":[{"name":"a","v":1},{"name":"a","v":3}]}`,
			"l[1].v: 2 → 3"},
		{"strings that need quotes", deploy, `{"a":"true","b":"","c":"8080"}`, `{"a":"false","b":" x","c":"(none)"}`,
			`a: "true" → "false"` + "\n" + `b: "" → " x"` + "\n" + `c: "8080" → "(none)"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lines(Objects(tc.id, obj(t, tc.a), obj(t, tc.b)))
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestMasking(t *testing.T) {
	secret := ObjectID{Kind: "Secret", Namespace: "ns", Name: "s"}
	policy := ObjectID{Group: "istio.alibabacloud.com", Kind: "ASMSecurityPolicy", Name: "oidc"}
	notCore := ObjectID{Group: "example.com", Kind: "Secret", Name: "s"}
	for _, tc := range []struct {
		name string
		id   ObjectID
		a, b string
		want string
	}{
		{"secret data", secret, `{"data":{"k":"YQ==","gone":"Yg=="}}`, `{"data":{"k":"Yw==","new":"ZA=="}}`,
			"data.gone: *** (removed)\ndata.k: *** (changed)\ndata.new: *** (added)"},
		{"secret stringData added whole", secret, `{}`, `{"stringData":{"password":"hunter2"}}`, "stringData: *** (added)"},
		{"secret metadata shown", secret, `{"metadata":{"labels":{"a":"1"}}}`, `{"metadata":{"labels":{"a":"2"}}}`, `metadata.labels.a: "1" → "2"`},
		{"data of a non-core Secret kind is not special", notCore, `{"data":{"k":"a"}}`, `{"data":{"k":"b"}}`, "data.k: a → b"},
		{"sensitive key", policy, `{"spec":{"oidcConfig":{"clientSecret":"${A}","clientID":"x"}}}`, `{"spec":{"oidcConfig":{"clientSecret":"${B}","clientID":"y"}}}`,
			"spec.oidcConfig.clientID: x → y\nspec.oidcConfig.clientSecret: *** (changed)"},
		{"sensitive key any case, below it too", deploy, `{"auth":{"apiToken":{"value":"a"}}}`, `{"auth":{"apiToken":{"value":"b"}}}`,
			"auth.apiToken.value: *** (changed)"},
		{"PASSWORD", deploy, `{"DB_PASSWORD":"a"}`, `{"DB_PASSWORD":"b"}`, "DB_PASSWORD: *** (changed)"},
		{"name-addressed item", deploy,
			`{"env":[{"name":"DB_PASSWORD","value":"a"},{"name":"HOST","value":"h"}]}`,
			`{"env":[{"name":"DB_PASSWORD","value":"b"},{"name":"HOST","value":"i"}]}`,
			"env[name=DB_PASSWORD].value: *** (changed)\nenv[name=HOST].value: h → i"},
		{"masked inside an added subtree", policy, `{"spec":{}}`, `{"spec":{"oidcConfig":{"clientID":"x","cookieSecret":"${C}"}}}`,
			`spec.oidcConfig: (added) {"clientID":"x","cookieSecret":"***"}`},
		{"masked inside an added list item", deploy, `{"env":[]}`, `{"env":[{"name":"API_TOKEN","value":"t0k3n"}]}`,
			`env[name=API_TOKEN]: *** (added)`},
		{"masked inside a changed list", deploy, `{"l":[1]}`, `{"l":{"token":"t0k3n"}}`, `l: [1] → {"token":"***"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := Objects(tc.id, obj(t, tc.a), obj(t, tc.b))
			if got := lines(cs); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			j, _ := json.Marshal(cs)
			for _, leak := range []string{"hunter2", "t0k3n", "${A}", "${B}", "${C}", "YQ==", "Yw=="} {
				if bytes.Contains(j, []byte(leak)) {
					t.Errorf("JSON leaks %q: %s", leak, j)
				}
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[any]string{
		"plain":                   "plain",
		"${OIDC_CLIENT_SECRET}":   "${OIDC_CLIENT_SECRET}",
		"https://x.example/a?b=c": "https://x.example/a?b=c",
		"250m":                    "250m",
		"2":                       `"2"`,
		"yes":                     `"yes"`,
		"***":                     `"***"`,
		"- a":                     `"- a"`,
		"a\nb":                    `"a\nb"`,
		"trailing ":               `"trailing "`,
		json.Number("1.5"):        "1.5",
		true:                      "true",
	} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%#v) = %s, want %s", v, got, want)
		}
	}
	long := FormatValue(strings.Repeat("a", 500))
	if n := len([]rune(long)); n != maxValue || !strings.HasSuffix(long, "…") {
		t.Errorf("long value: %d runes %q", n, long)
	}
}

const kust = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- apps\n"

func tree(replicas string, extra bool) emit.Tree {
	t := emit.Tree{
		"dev/ack/kustomization.yaml":      []byte(kust),
		"dev/ack/apps/kustomization.yaml": []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- d.yaml\n- s.yaml\n"),
		"dev/ack/apps/d.yaml":             []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  replicas: " + replicas + "\n"),
		"dev/ack/apps/s.yaml":             []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  ports:\n  - name: http\n    port: 80\n"),
		// No kustomization.yaml: read as plain YAML, several documents.
		"dev/gitops/all.yaml": []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# comment\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"),
		"README.md":           []byte("not a section\n"),
	}
	if extra {
		t["prod/asm/ns.yaml"] = []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: p\n")
	}
	return t
}

func TestRenderCompare(t *testing.T) {
	a, err := Render(tree("2", false))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(tree("3", true))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(a.Sections[Section{"dev", "gitops"}]); got != 2 {
		t.Errorf("dev/gitops: %d objects, want 2", got)
	}
	rep, err := Compare(a, b, Options{Base: "a", Head: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	want := `aimesh diff: a → b

dev/ack: 0 added, 0 removed, 1 changed
  ~ Deployment ns/app
      spec.replicas: 2 → 3

prod/asm: 1 added, 0 removed, 0 changed
  + Namespace p

1 added, 0 removed, 1 changed in 2 of 3 sections
`
	if txt.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", txt.String(), want)
	}
	if !rep.HasDifferences() {
		t.Error("HasDifferences = false")
	}

	rep, err = Compare(a, b, Options{Envs: []string{"prod"}})
	if err != nil || len(rep.Sections) != 1 || rep.Sections[0].Section != (Section{"prod", "asm"}) {
		t.Errorf("--env prod: %v %+v", err, rep)
	}
	if _, err := Compare(a, b, Options{Envs: []string{"qa"}}); err == nil {
		t.Error("an unknown environment is accepted")
	}
	rep, _ = Compare(a, a, Options{})
	if rep.HasDifferences() {
		t.Error("a version differs from itself")
	}
}

func TestRenderDuplicate(t *testing.T) {
	doc := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
	_, err := Render(emit.Tree{"dev/x/a.yaml": doc, "dev/x/b.yaml": doc})
	if err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("err = %v", err)
	}
}

func TestMarkdown(t *testing.T) {
	small := SectionDiff{Section: Section{"dev", "ack"}, Added: []ObjectID{{Kind: "Namespace", Name: "a"}}}
	big := SectionDiff{Section: Section{"prod", "asm"}}
	for i := 0; i < CollapseAfter+1; i++ {
		big.Added = append(big.Added, ObjectID{Kind: "Namespace", Name: "n" + strings.Repeat("x", i)})
	}
	same := SectionDiff{Section: Section{"staging", "a|b"}}
	rep := &Report{Base: "main", Head: "a`b", Sections: []SectionDiff{small, big, same}}
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"### aimesh diff: `main` → `` a`b ``\n",
		"| dev | ack | 1 | 0 | 0 |\n",
		"| staging | a\\|b | 0 | 0 | 0 |\n",
		"\n#### dev / ack\n\n```diff\n+ Namespace a\n```\n",
		"\n<details><summary><b>prod / asm</b>: 21 added, 0 removed, 0 changed</summary>\n\n```diff\n+ Namespace n\n",
		"```\n\n</details>\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "staging / ") {
		t.Errorf("a section without differences has a body:\n%s", md)
	}
}

func TestAmbiguousKinds(t *testing.T) {
	s := SectionDiff{Section: Section{"dev", "ack"},
		Added:   []ObjectID{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Namespace: "ns", Name: "g"}},
		Removed: []ObjectID{{Group: "networking.istio.io", Kind: "Gateway", Namespace: "ns", Name: "g"}, {Kind: "Service", Namespace: "ns", Name: "g"}}}
	got := strings.Join(s.lines(), "\n")
	want := "+ Gateway.gateway.networking.k8s.io ns/g\n- Gateway.networking.istio.io ns/g\n- Service ns/g"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
