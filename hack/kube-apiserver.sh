#!/usr/bin/env bash
# Provides a real etcd + kube-apiserver for the test suite (generator/kubetest).
#
# Usage:
#   export AIMESH_KUBE_ASSETS="$(hack/kube-apiserver.sh)"
#   go test ./...
#
# Prints (on stdout, and nothing else) one directory that holds both `etcd`
# and `kube-apiserver`: ${AIMESH_CACHE:-$HOME/.cache/aimesh}/kube-apiserver/v1.37.2
# Progress messages go to stderr.
#
# - etcd comes from the Debian package etcd-server (installed with apt-get
#   only when /usr/bin/etcd is missing; the system etcd service is kept from
#   running). It is symlinked into the cache directory.
# - kube-apiserver is not packaged: it is built from the Go module
#   k8s.io/kubernetes in a scratch module in a temp dir (never in this repo),
#   with every k8s.io staging repo replaced by its v0.X.Y module. A cold build
#   takes about 10 minutes on 2 cores (2.5 GB RAM); the binary is cached and
#   reused, so a second run returns in milliseconds.
#
# Environment:
#   AIMESH_CACHE   cache root (default $HOME/.cache/aimesh)
set -euo pipefail

K8S_VERSION=1.37.2                       # k8s.io/kubernetes v1.37.2
STAGING_VERSION="v0.${K8S_VERSION#1.}"   # k8s.io/<staging repo> v0.37.2
CACHE="${AIMESH_CACHE:-$HOME/.cache/aimesh}/kube-apiserver/v${K8S_VERSION}"
ETCD=/usr/bin/etcd

log() { echo "kube-apiserver.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

ensure_etcd() {
	[[ -x $ETCD ]] && return 0
	command -v apt-get >/dev/null 2>&1 || die "$ETCD is missing and apt-get is not available; install etcd (>= 3.4) at $ETCD"
	log "installing Debian package etcd-server"
	# Keep the package's service from starting (it would listen on 2379):
	# a policy-rc.d that denies every action, removed again afterwards.
	local policy=/usr/sbin/policy-rc.d created_policy=
	if [[ ! -e $policy ]]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
		created_policy=1
	fi
	local rc=0
	{
		as_root apt-get update -qq &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server
	} >&2 || rc=$?
	if [[ -n $created_policy ]]; then
		as_root rm -f "$policy"
	fi
	[[ $rc -eq 0 ]] || die "apt-get install etcd-server failed (exit $rc)"
	# Belt and braces: on a systemd machine, make sure the service is stopped and disabled.
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		as_root systemctl disable --now etcd.service >/dev/null 2>&1 || true
	fi
	[[ -x $ETCD ]] || die "etcd-server installed but $ETCD is missing"
}

build_kube_apiserver() {
	command -v go >/dev/null 2>&1 || die "go is not on PATH"
	local tmp
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/aimesh-kube-apiserver.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	trap 'exit 130' INT TERM

	# A scratch module outside the repository: never touches the repo's go.mod.
	export GOWORK=off GOFLAGS=-mod=mod
	cd "$tmp"

	log "downloading k8s.io/kubernetes@v${K8S_VERSION}"
	local gomod
	gomod="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
	[[ -f $gomod ]] || die "go mod download k8s.io/kubernetes@v${K8S_VERSION} gave no go.mod"

	# Staging repos: the `k8s.io/X => ./staging/src/k8s.io/X` replaces in kubernetes' go.mod.
	local staging
	staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\1#p' "$gomod")"
	[[ -n $staging ]] || die "no staging repos found in $gomod"
	local goline godebug
	goline="$(grep -m1 '^go [0-9]' "$gomod")"
	godebug="$(grep '^godebug ' "$gomod" || true)"

	{
		echo "module aimesh.local/kube-apiserver-build"
		echo
		echo "$goline"
		[[ -z $godebug ]] || printf '\n%s\n' "$godebug"
		echo
		echo "require k8s.io/kubernetes v${K8S_VERSION}"
		echo
		echo "replace ("
		local m
		for m in $staging; do
			echo "	$m => $m $STAGING_VERSION"
		done
		echo ")"
	} >go.mod
	log "scratch module in $tmp ($(echo "$staging" | wc -l) staging replaces)"

	log "building kube-apiserver v${K8S_VERSION} (cold: ~10 min on 2 cores)"
	local pkg=k8s.io/component-base/version
	local ldflags="-s -w -X $pkg.gitVersion=v${K8S_VERSION} -X $pkg.gitMajor=${K8S_VERSION%%.*}"
	ldflags+=" -X $pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
	ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	local start=$SECONDS
	go build -ldflags="$ldflags" -o "$CACHE/kube-apiserver.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver >&2
	mv -f "$CACHE/kube-apiserver.tmp.$$" "$CACHE/kube-apiserver"
	log "built $CACHE/kube-apiserver in $((SECONDS - start))s"
}

main() {
	mkdir -p "$CACHE"
	# Serialise concurrent runs (two CI jobs, two shells) on the same cache.
	exec 9>"$CACHE/.lock"
	if command -v flock >/dev/null 2>&1; then
		flock 9
	fi

	ensure_etcd
	ln -sfn "$ETCD" "$CACHE/etcd"

	if [[ -x $CACHE/kube-apiserver ]]; then
		log "reusing cached $CACHE/kube-apiserver"
	else
		(build_kube_apiserver)
	fi
	[[ -x $CACHE/kube-apiserver && -x $CACHE/etcd ]] || die "assets missing in $CACHE"
	echo "$CACHE"
}

main "$@"
