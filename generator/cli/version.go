package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/schemas"
)

// Modules whose versions aimesh version reports: what the output targets.
var reportedModules = []struct{ path, what string }{
	{"cuelang.org/go", "CUE"},
	{"sigs.k8s.io/kustomize/api", "kustomize API"},
	{"k8s.io/api", "Kubernetes API"},
	{"istio.io/api", "Istio API"},
}

// Version is the aimesh version from the build information: the module
// version for go install …@vX.Y.Z, else "devel" with the VCS revision
// (and "+dirty" for a modified work tree) when go build recorded one.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}

// installVersion is the version a scaffolded CI installs: this release,
// or latest for a development build.
func installVersion() string {
	if v := Version(); strings.HasPrefix(v, "v") {
		return v
	}
	return "latest"
}

func (a *app) version(args []string) int {
	fs := a.flagSet("version", "")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(a.stdout, "aimesh %s\n", Version())
	fmt.Fprintf(a.stdout, "schema %s %s\n", schemas.ImportPath, schemas.Version())
	fmt.Fprintf(a.stdout, "go %s\n", runtime.Version())
	deps := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			deps[d.Path] = d.Version
		}
	}
	for _, m := range reportedModules {
		v := deps[m.path]
		if v == "" {
			v = "unknown (no build information)"
		}
		fmt.Fprintf(a.stdout, "%-16s %s %s\n", m.what+":", m.path, v)
	}
	fmt.Fprintf(a.stdout, "%-16s %s Application, %s Kustomization, %s GitRepository\n", "GitOps APIs:",
		gitops.ArgoCDAPIVersion, gitops.FluxKustomizeAPIVersion, gitops.FluxSourceAPIVersion)
	return ExitOK
}
