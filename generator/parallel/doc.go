// Package parallel runs the independent steps of a loop on every CPU:
// marshalling the objects of a kustomization root (emit), validating
// the objects of an environment (validate), resolving and checking the
// environments (check). Callers write results into
// slots indexed by the step, so the order of their output does not depend
// on scheduling.
package parallel
