// Package parallel runs the independent steps of a loop on every CPU:
// marshalling the objects of a kustomization root (emit) and validating
// the objects of an environment (validate). Callers write results into
// slots indexed by the step, so the order of their output does not depend
// on scheduling.
package parallel
