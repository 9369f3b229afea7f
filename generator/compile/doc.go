// Package compile owns one compilation: it runs the data path
// load → check → render (ACK, ASM, GitOps) → object checks → validate
// (typed, Istio, CRD schemas) → emit.Build for
// the requested environments and returns the file tree and the warnings,
// or every error at once. It writes nothing; callers decide whether to
// write (generate), compare (check, diff) or discard (vet).
package compile
