package diff

import (
	"io"
	"path/filepath"
	"runtime"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/load"
)

// referenceTree compiles the repository's own platform.
func referenceTree(b *testing.B) *compile.Result {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	res, err := compile.Compile(compile.Options{Load: load.Options{Root: root}})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkRender is the kustomize part of one version: every
// <env>/<target> of the reference application.
func BenchmarkRender(b *testing.B) {
	res := referenceTree(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Render(res.Tree); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare is the comparison and Markdown output of two rendered
// versions that differ in one field.
func BenchmarkCompare(b *testing.B) {
	res := referenceTree(b)
	base, err := Render(res.Tree)
	if err != nil {
		b.Fatal(err)
	}
	head, err := Render(res.Tree)
	if err != nil {
		b.Fatal(err)
	}
	for id, body := range head.Sections[Section{"prod", "ack"}] {
		if id.Kind == "Deployment" {
			body["spec"].(map[string]any)["replicas"] = 9
			break
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Compare(base, head, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := rep.WriteMarkdown(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckAliases is the alias bound of Render over every file of
// the reference application: as Render runs it (files without "&" are
// not parsed; the reference app has none), and with every file parsed in
// both readings, as if each held an anchor.
func BenchmarkCheckAliases(b *testing.B) {
	res := referenceTree(b)
	b.Run("as-rendered", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range res.Tree.Paths() {
				if err := checkAliases(res.Tree[p]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("all-parsed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range res.Tree.Paths() {
				data := res.Tree[p]
				if err := checkExpansion(parseDocs(data)); err != nil {
					b.Fatal(err)
				}
				var docs []*yaml.Node
				for _, part := range kyamlDocuments(data) {
					docs = append(docs, parseDocs(part)...)
				}
				if err := checkExpansion(docs); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
