// Package live talks to a real Kubernetes API server (an ACK cluster, the
// ASM control plane, or the cluster running the GitOps engine) with
// server-side apply, through fluxcd/pkg/ssa and controller-runtime's
// client. Every request carries the field manager "aimesh" (FieldManager).
//
// Apply applies objects for real in stages, as ssa.ResourceManager's
// ApplyAllStaged does: CRDs, ClusterRoles and Namespaces first (waiting
// until they are established / active), then everything else; with
// ApplyOptions.Wait it then waits for every object to become ready
// (kstatus).
//
// DryRun sends every object as a server-side dry-run apply and collects
// what the server refuses: schema errors of CRDs (unknown fields, wrong
// types; the server may answer them with HTTP 500, so only the message is
// meaningful), CEL rules, built-in validation and missing namespaces. It
// writes nothing: CRDs and namespaces the objects depend on must already
// exist (apply them first).
//
// Diff compares the rendered objects with the cluster, as `kubectl diff`
// does with server-side apply: each object is dry-run applied with force
// (ssa.ResourceManager.Diff) and the merged result is compared with the
// live object. Only fields aimesh applies can drift: a field another
// manager added, that aimesh does not set, is not a difference. Objects
// absent from the cluster are "added" (also when their namespace is added
// by the same diff); objects in the cluster that are not rendered are not
// reported (there is no inventory). Server-managed fields are ignored:
// status, metadata.managedFields, resourceVersion, uid, generation,
// creationTimestamp, selfLink and the kubectl.kubernetes.io/last-applied-
// configuration annotation. ssa's own normalisation is used only for its
// drifted/not-drifted verdict; the field differences are computed on the
// live and merged objects by generator/diff.Objects, so the report has the
// offline diff's paths, masking (Secret data, keys matching
// secret|password|token) and formats.
package live
