// Package crds embeds the CustomResourceDefinitions vendored under
// schemas/crds by hack/vendor-schemas.sh; SOURCES.md lists where each file
// comes from. It only carries the files: generator/validate/schema loads and
// uses them.
//
// Layout: <group>/*.yaml are published CRDs copied from Go modules, asm/ holds
// the hand-written Alibaba Cloud Service Mesh CRDs, and testonly/ holds
// patched Istio CRDs meant for test API servers only.
package crds

import (
	"embed"
	"strings"
)

// FS holds SOURCES.md and every vendored CRD file, at paths relative to
// schemas/crds (for example "asm/istio.alibabacloud.com_istiogateways.yaml").
//
//go:embed SOURCES.md */*.yaml
var FS embed.FS

// JSON holds each CRD file of FS converted to compact JSON, at
// "json/<path without .yaml>.json", so that a program decodes a CRD without
// parsing YAML. The files are derived: generator/validate/schema's
// TestCRDJSON checks them against FS and rewrites them with AIMESH_UPDATE=1.
//
//go:embed json
var JSON embed.FS

// JSONPath is the path in JSON of the CRD at path p of FS.
func JSONPath(p string) string {
	return "json/" + strings.TrimSuffix(p, ".yaml") + ".json"
}
