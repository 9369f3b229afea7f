// Package emit owns the last step of generate: it turns rendered objects
// into a file tree (one YAML file per object, or one multi-document file per
// root above MaxObjectFiles objects, with sorted keys, a
// DO-NOT-EDIT header, LF endings, kustomization.yaml per unit and target,
// objects in apply order; units, and the GitOps objects of <env>/gitops,
// over MaxRootResources split into stable shards, see Roots) and writes that tree atomically: the new tree is
// written beside the old one and swapped in with renames, so a failed run
// leaves the previous output untouched and stale files vanish by
// construction. It is the only package that writes or deletes: it deletes
// or replaces only what its ownership manifest (.aimesh-manifest) says it
// wrote, refuses dangerous output directories (GuardOut), serialises
// concurrent runs (flock), and swaps with renameat2(RENAME_EXCHANGE).
package emit
