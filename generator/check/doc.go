// Package check owns the rules CUE cannot express because they need the
// whole platform: references between entities, runtime selection (C5),
// tier defaults, header spelling and collisions (C1), gateway wiring (C3),
// pinned images, unspoofable tier routing (C12-C14), gRPC and buffer
// capacity (C6, C9), ModelMesh memory fit, exposure, literal secrets (C18),
// and, on rendered objects, identity collisions, host identity (C2) and
// dynamicSubset placement (C16, C17). Every finding carries the CUE
// position of the value it rejects and a hint. docs/checks.md lists them.
package check
