// Package schemas embeds the aimesh CUE schema module aimesh.dev/schemas
// (platform.cue, version.cue, cue.mod/module.cue) so that the aimesh binary
// needs no file of this repository at run time. A user's platform imports
// the module as "aimesh.dev/schemas@v0" and embeds schemas.#Platform;
// aimesh init vendors the files into the platform's cue.mod/pkg so that
// cue vet, cue fmt, cue export and the CUE language server resolve it
// offline, and generator/load serves these embedded bytes at that path.
package schemas

import (
	"embed"
	"io/fs"
	"regexp"
	"sort"
)

// FS holds the schema package's .cue files and cue.mod/module.cue.
//
//go:embed *.cue cue.mod/module.cue
var FS embed.FS

// Module is the schema module path without its major version.
const Module = "aimesh.dev/schemas"

// Major is the schema major version this aimesh supports.
const Major = "v0"

// ImportPath is what a platform writes in its import declaration.
const ImportPath = Module + "@" + Major

var versionRE = regexp.MustCompile(`(?m)^#SchemaVersion:\s*"(v[0-9]+\.[0-9]+\.[0-9]+)"`)

// Version is the embedded schema's #SchemaVersion, e.g. "v0.1.0".
func Version() string { return ParseVersion(mustRead("version.cue")) }

// ParseVersion returns the #SchemaVersion declared in the source of a
// version.cue file, or "" when it declares none.
func ParseVersion(src []byte) string {
	if m := versionRE.FindSubmatch(src); m != nil {
		return string(m[1])
	}
	return ""
}

// Files returns the schema package's .cue files (not cue.mod) by name.
func Files() map[string][]byte {
	out := map[string][]byte{}
	names, _ := fs.Glob(FS, "*.cue")
	sort.Strings(names)
	for _, n := range names {
		out[n] = mustRead(n)
	}
	return out
}

func mustRead(name string) []byte {
	data, err := FS.ReadFile(name)
	if err != nil {
		panic("schemas: embedded file missing: " + name)
	}
	return data
}
