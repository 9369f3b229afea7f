// Package load owns the first step of the data path: it evaluates the
// user's CUE platform (cue/), which imports the schema module
// aimesh.dev/schemas@v0 and embeds schemas.#Platform, validates it with
// cue.Concrete(true), reports every CUE error at once with file:line:col
// relative to the repository, and decodes the result strictly into
// model.Platform. It also indexes the source position of every field so
// later Go checks can point at the value they reject.
//
// The import resolves, as for cue vet, to the module's
// cue.mod/pkg/aimesh.dev/schemas; load serves the schema built into aimesh
// (package schemas, or Options.SchemaDir) there through a load.Config
// overlay, so the binary needs no repository file and always checks
// against its own schema. Before evaluating, it refuses an import of
// another schema major version and a vendored copy newer than its own,
// and warns about a vendored copy that differs (module.go).
//
// The input is untrusted (a pull request): hermetic.go vets every file
// before CUE reads it, the vendored schema copy included, and CUE is given
// only the vetted bytes (with the served schema in place of the vendored
// copy); imports are limited to the standard library, the platform module
// and the schema module. numbers.go turns integers the Go model cannot
// hold into positioned errors.
//
// Each call to Load uses its own cue.Context; values never cross goroutines.
package load
