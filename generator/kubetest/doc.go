// Package kubetest owns the real Kubernetes API server used by aimesh's
// tests: it starts a throw-away etcd and kube-apiserver on 127.0.0.1 (free
// ports, temp data and cert dirs, an admin bearer token in system:masters,
// RBAC) and hands out a *rest.Config and a kubeconfig for it, so tests can
// run server-side dry-runs and applies against real validation.
//
// The binaries come from hack/kube-apiserver.sh, which prints the directory
// to export as AIMESH_KUBE_ASSETS:
//
//	export AIMESH_KUBE_ASSETS="$(hack/kube-apiserver.sh)"
//
// Tests call RequireServer: without assets it skips, except under CI=true,
// where it fails. One server is shared by all tests of a package when its
// TestMain calls Main; otherwise each RequireServer call starts its own.
package kubetest
