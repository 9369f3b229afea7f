package schema

//go:generate env AIMESH_UPDATE=1 go test -count=1 -run ^(TestCRDIndex|TestCRDJSON)$ .

import (
	"fmt"
	"sort"
	"strings"
)

// crdIndexEntry is what the validator needs to know about a vendored CRD
// file before it is used: its name and the kinds it serves. crdindex_gen.go
// holds one entry per file of crds.FS, in path order; TestCRDIndex checks it
// against the files and rewrites it with -update or AIMESH_UPDATE=1.
type crdIndexEntry struct {
	File   string   // path in crds.FS
	Name   string   // metadata.name
	Group  string   // spec.group
	Kind   string   // spec.names.kind
	Served []string // spec.versions[].name of the served versions, in file order
}

// indexDocuments is crdDocuments on the index: the entries sorted by CRD
// name, with the testonly/ ones replacing those of the same name when
// includeTestOnly, left out otherwise.
func indexDocuments(includeTestOnly bool) ([]crdIndexEntry, error) {
	byName := map[string]crdIndexEntry{}
	var testOnly []crdIndexEntry
	for _, e := range crdIndex {
		if strings.HasPrefix(e.File, testOnlyDir+"/") {
			testOnly = append(testOnly, e)
			continue
		}
		if prev, dup := byName[e.Name]; dup {
			return nil, fmt.Errorf("CRD %s is vendored twice: %s and %s", e.Name, prev.File, e.File)
		}
		byName[e.Name] = e
	}
	if includeTestOnly {
		for _, e := range testOnly {
			if _, ok := byName[e.Name]; !ok {
				return nil, fmt.Errorf("%s: test-only CRD %s replaces no vendored CRD", e.File, e.Name)
			}
			byName[e.Name] = e
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]crdIndexEntry, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out, nil
}
