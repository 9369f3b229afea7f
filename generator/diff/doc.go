// Package diff compares the rendered output of two versions of an aimesh
// platform: what `kubectl apply` would see, not the CUE source.
//
// A version is a git ref (LoadRef materialises the .cue files of the
// ref's cue/ directory, with its cue.mod, from git objects into a
// temporary directory, leaving the working tree alone) or the working tree (LoadWorktree), loaded and
// checked once; CompareVersions then compiles one environment at a time
// in both versions, compares it and drops it, so a diff of thousands of
// models holds one environment of each version in memory. The compiled
// objects are compared directly: aimesh's overlays are plain resources
// that kustomize passes through unchanged (TestFromResultMatchesKrusty
// proves the sets equal the krusty build). An overlays directory already
// on disk (RenderDir, --dirs) is built with kustomize
// (sigs.k8s.io/kustomize/api/krusty, on an in-memory file system) so the
// comparison sees exactly the objects a GitOps engine would apply; a
// directory without a kustomization.yaml is read as plain YAML.
//
// Both inputs may be someone else's (a pull request): a ref is checked out
// with the loader's limits, streamed from git (Checkout), a directory is
// read within the MaxOverlay limits, and a YAML file whose aliases expand
// beyond a bound is refused before kustomize expands it.
//
// Compare pairs the objects of each env/target section by API group, kind,
// namespace and name (the version is compared as a field) and reports
// added, removed and changed objects; a changed object lists its field
// differences with YAML paths such as
//
//	spec.template.spec.containers[name=style-transfer-tf].image
//
// Lists whose items all carry a unique string "name" are matched by name,
// other lists by index. Map keys are visited in sorted order, so a Report
// is deterministic.
//
// Values that may be credentials are never printed: everything under the
// data and stringData of a core Secret, and every field whose key (or
// list item name) matches (?i)secret|password|token, is shown as "***".
//
// A Report is written as text, as Markdown meant for a pull-request
// comment, or as JSON (see WriteJSON for the schema).
package diff
