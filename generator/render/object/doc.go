// Package object owns the in-memory form of one emitted Kubernetes object:
// its identity (target, unit, apiVersion, kind, namespace, name), its body
// as a plain JSON-compatible map, and the CUE path it was rendered from.
// Renderers build objects from typed values (k8s.io/api structs, istio.io/api
// protos, small typed structs for ASM and KServe kinds) through the
// constructors here; nothing downstream assembles maps by hand. A Pool
// shares the bodies several environments render alike; a rendered body
// then changes only through Annotate, which copies what it changes.
package object
