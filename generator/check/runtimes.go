package check

import (
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// Family "runtimes": every model gets exactly one serving runtime (C5).

var RuntimeDefined = rule(Rule{
	ID: "AM0201", Name: "runtime-defined", Family: "runtimes", Scope: OnEnvironment, Refs: "C5",
	Prevents: "an InferenceService naming a runtime ModelMesh does not have (the model never loads)",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			if m.Runtime == "" {
				continue
			}
			if _, ok := p.Runtimes[m.Runtime]; !ok {
				c.Report(model.Path("models", mn, "runtime"), "use one of the runtimes: "+names(p.Runtimes),
					"runtime %q is not defined", m.Runtime)
			}
		}
	},
})

var RuntimeSupportsFormat = rule(Rule{
	ID: "AM0202", Name: "runtime-supports-format", Family: "runtimes", Scope: OnEnvironment, Refs: "C5",
	Prevents: "a model pinned to a runtime that cannot load its format",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			rt, ok := p.Runtimes[m.Runtime]
			if m.Runtime == "" || !ok {
				continue
			}
			if listed, _ := rt.Supports(m.Format); !listed {
				c.Report(model.Path("models", mn, "runtime"), "pick a runtime that lists "+m.Format+fmtCands(p.Supporting(m.Format)),
					"runtime %q does not support format %q (C5)", m.Runtime, m.Format)
			}
		}
	},
})

var RuntimeAutoSelect = rule(Rule{
	ID: "AM0203", Name: "runtime-auto-select", Family: "runtimes", Scope: OnEnvironment, Refs: "C5, kserve#3073",
	Prevents: "KServe picking a runtime at random among several that auto-select a format, or none at all",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			if m.Runtime != "" {
				continue
			}
			switch cands := p.AutoSelecting(m.Format); len(cands) {
			case 0:
				c.Report(model.Path("models", mn, "format"), "set models."+quote(mn)+".runtime"+fmtCands(p.Supporting(m.Format)),
					"no runtime auto-selects format %q (C5)", m.Format)
			case 1:
			default:
				c.Report(model.Path("models", mn, "format"), "set models."+quote(mn)+".runtime to one of: "+strings.Join(cands, ", "),
					"runtime choice for format %q is ambiguous: %s all auto-select it (C5)", m.Format, strings.Join(cands, ", "))
			}
		}
	},
})

func fmtCands(c []string) string {
	if len(c) == 0 {
		return " (no runtime lists it: add one to runtimes)"
	}
	return " (candidates: " + strings.Join(c, ", ") + ")"
}
