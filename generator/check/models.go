package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// Models: values that each pass the schema but contradict each other, so
// the models deploy and then serve the wrong thing. Family "runtimes"
// (AM025x, clear of the capacity rules' numbers).

var StoragePathsDistinct = rule(Rule{
	ID: "AM0250", Name: "storage-paths-distinct", Family: "runtimes", Scope: OnPlatform,
	Prevents: "ModelMesh loading one model's files as another's: two models on one storage location, or one PVC directory inside another",
	platform: func(c *Ctx, p *model.Platform) {
		type loc struct{ model, where string }
		var seen []loc
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			where, field := m.Storage.Path, "path"
			if where == "" {
				where, field = strings.TrimSuffix(m.Storage.URI, "/")+"/", "uri"
			}
			for _, s := range seen {
				if s.where == where {
					c.Report(model.Path("models", mn, "storage", field), "give each model its own directory",
						"model %q uses the storage of model %q (%s)", mn, s.model, where)
					break
				}
				if strings.HasPrefix(where, s.where) || strings.HasPrefix(s.where, where) {
					c.Report(model.Path("models", mn, "storage", field), "give each model its own directory, not nested in another's",
						"storage %s of model %q and %s of model %q are nested", where, mn, s.where, s.model)
					break
				}
			}
			seen = append(seen, loc{mn, where})
		}
	},
})

var TensorNamesUnique = rule(Rule{
	ID: "AM0251", Name: "tensor-names-unique", Family: "runtimes", Scope: OnPlatform,
	Prevents: "requests that fill one tensor twice and another never: KServe v2 addresses inputs and outputs by name",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			for _, side := range m.Sides() {
				first := map[string]int{}
				for i, t := range side.Tensors {
					if j, ok := first[t.Name]; ok {
						c.Report(model.Path("models", mn, side.Field)+fmt.Sprintf("[%d].name", i), "rename one of the tensors to the model's real tensor name",
							"tensor name %q is already used by %s[%d]", t.Name, side.Field, j)
						continue
					}
					first[t.Name] = i
				}
			}
		}
	},
})
