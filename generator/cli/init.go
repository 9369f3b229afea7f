package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/scaffold"
	"github.com/aimesh/aimesh/schemas"
)

func (a *app) initRepo(args []string) int {
	fs := a.flagSet("init", "[--example style-transfer] [--vendor-schema] [DIR]")
	example := fs.String("example", "", "start from a bundled example instead of the small starter platform: "+strings.Join(scaffold.Templates[1:], ", "))
	vendor := fs.Bool("vendor-schema", false, "only (re)write the schema module vendored in DIR/cue/cue.mod/pkg with the one built into this aimesh")
	// Flags may come before or after DIR.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK
			}
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(dirs) > 1 {
		fmt.Fprintf(a.stderr, "aimesh init: give at most one directory, got %s\n", strings.Join(dirs, " "))
		fs.Usage()
		return ExitUsage
	}
	dir := "."
	if len(dirs) == 1 {
		dir = dirs[0]
	}
	abs := a.abs(dir)
	if *vendor {
		if *example != "" {
			fmt.Fprintln(a.stderr, "aimesh init: --vendor-schema and --example exclude each other")
			return ExitUsage
		}
		return a.vendorSchema(abs, dir)
	}
	template := scaffold.Starter
	if *example != "" {
		template = *example
	}
	files, err := scaffold.Files(template, installVersion())
	if err != nil {
		fmt.Fprintf(a.stderr, "aimesh init: --example: %v\n", err)
		return ExitUsage
	}
	if err := emit.Create(abs, files); err != nil {
		var ee *emit.ExistsError
		if errors.As(err, &ee) {
			fmt.Fprintf(a.stderr, "aimesh init: %s already holds %s; nothing was changed\n", dir, strings.Join(ee.Paths, ", "))
			fmt.Fprintln(a.stderr, "    hint: run aimesh init in an empty directory, or move those files away")
			return ExitInvalid
		}
		fmt.Fprintf(a.stderr, "aimesh init: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(a.stdout, "created %d files in %s (platform: %s, schema %s %s)\n", len(files), dir, template, schemas.ImportPath, schemas.Version())
	fmt.Fprintf(a.stdout, "next: edit %s/*.cue, then\n", scaffold.PlatformDir)
	fmt.Fprintln(a.stdout, "  aimesh generate --all        # write overlays/")
	fmt.Fprintf(a.stdout, "  (cd %s && cue vet ./...)     # the schema checks, with the standard CUE tools\n", scaffold.PlatformDir)
	fmt.Fprintln(a.stdout, "  git init && git add . && git commit -m 'aimesh platform'")
	fmt.Fprintln(a.stdout, "  then apply overlays/<env>/bootstrap once (see README.md)")
	return ExitOK
}

// vendorSchema replaces the vendored schema module of the platform in dir.
func (a *app) vendorSchema(abs, dir string) int {
	modRoot := filepath.Join(abs, scaffold.PlatformDir)
	if fi, err := os.Stat(filepath.Join(modRoot, "cue.mod")); err != nil || !fi.IsDir() {
		fmt.Fprintf(a.stderr, "aimesh init --vendor-schema: %s has no CUE module (cue.mod)\n", filepath.Join(dir, scaffold.PlatformDir))
		fmt.Fprintln(a.stderr, "    hint: run it in the repository root that aimesh init created")
		return ExitUsage
	}
	files := scaffold.SchemaFiles()
	if err := emit.Replace(modRoot, files); err != nil {
		fmt.Fprintf(a.stderr, "aimesh init --vendor-schema: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(a.stdout, "wrote schema %s %s to %s\n", schemas.ImportPath, schemas.Version(),
		filepath.ToSlash(filepath.Join(dir, scaffold.PlatformDir, load.VendorPath)))
	return ExitOK
}
