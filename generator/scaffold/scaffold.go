package scaffold

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	platform "github.com/aimesh/aimesh/cue"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/schemas"
)

//go:embed all:starter
var starter embed.FS

// Template names.
const (
	Starter       = "platform"
	StyleTransfer = "style-transfer"
)

// Templates lists the templates Files accepts; the first is the default.
var Templates = []string{Starter, StyleTransfer}

// PlatformDir is the platform package's directory in a scaffolded
// repository; it is also the CUE module root.
const PlatformDir = "cue"

// VersionPlaceholder in the CI files is replaced by the aimesh version CI
// installs.
const VersionPlaceholder = "{{AIMESH_VERSION}}"

// Files returns the files of a new repository made from template, with
// CI installing aimesh at version (a module version such as v0.3.0, or
// "latest").
func Files(template, version string) (emit.Tree, error) {
	t := emit.Tree{}
	err := fs.WalkDir(starter, "starter", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, "starter/")
		if template != Starter && strings.HasPrefix(rel, PlatformDir+"/") {
			return nil
		}
		data, err := starter.ReadFile(p)
		if err != nil {
			return err
		}
		return t.Set(rel, []byte(strings.ReplaceAll(string(data), VersionPlaceholder, version)))
	})
	if err != nil {
		return nil, err
	}
	switch template {
	case Starter:
	case StyleTransfer:
		err := fs.WalkDir(platform.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := platform.FS.ReadFile(p)
			if err != nil {
				return err
			}
			return t.Set(path.Join(PlatformDir, p), data)
		})
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown template %q; known: %s", template, strings.Join(Templates, ", "))
	}
	for p, data := range SchemaFiles() {
		if err := t.Set(path.Join(PlatformDir, p), data); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// SchemaFiles returns the schema module built into aimesh at its vendored
// location relative to a CUE module root (cue.mod/pkg/aimesh.dev/schemas/).
func SchemaFiles() emit.Tree {
	t := emit.Tree{}
	names := make([]string, 0)
	files := schemas.Files()
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t[path.Join("cue.mod/pkg", schemas.Module, n)] = files[n]
	}
	return t
}
