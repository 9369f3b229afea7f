#!/usr/bin/env bash
# Installs the command-line tools the build and the tests use, pinned, into
# ${AIMESH_CACHE:-$HOME/.cache/aimesh}/bin, and prints that directory.
# Everything comes from the Go module proxy; nothing else is downloaded.
set -euo pipefail

BIN="${AIMESH_CACHE:-$HOME/.cache/aimesh}/bin"
mkdir -p "$BIN"

install() { # name module@version
	local name=$1 pkg=$2 stamp="$BIN/.$1.version"
	if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$pkg" ]]; then
		return
	fi
	echo "tools.sh: installing $pkg" >&2
	GOBIN="$BIN" GOFLAGS=-mod=mod go install "$pkg" >&2
	echo "$pkg" >"$stamp"
}

install cue cuelang.org/go/cmd/cue@v0.17.1
install staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2
install kustomize sigs.k8s.io/kustomize/kustomize/v5@v5.8.2
echo "$BIN"
