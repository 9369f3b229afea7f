// Package platform embeds the bundled reference platform, the CUE files of
// this directory and cue.mod/module.cue, so that aimesh init --example
// style-transfer writes exactly what make example compiles (one source, no
// copy that could drift). The vendored schema under cue.mod/pkg is not
// embedded here: init writes the schema built into aimesh, which a test
// keeps identical to schemas/.
package platform

import "embed"

// FS holds the reference platform's files at their paths relative to cue/.
//
//go:embed *.cue cue.mod/module.cue
var FS embed.FS
