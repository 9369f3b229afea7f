// Package load owns the first step of the data path: it evaluates the
// user's CUE platform (cue/) against the schemas (schemas/), validates it
// with cue.Concrete(true), reports every CUE error at once with
// file:line:col relative to the repository, and decodes the result strictly
// into model.Platform. It also indexes the source position of every field so
// later Go checks can point at the value they reject.
//
// The input is untrusted (a pull request): hermetic.go vets every file
// before CUE reads it and CUE is given only the vetted bytes; numbers.go
// turns integers the Go model cannot hold into positioned errors.
//
// Each call to Load uses its own cue.Context; values never cross goroutines.
package load
