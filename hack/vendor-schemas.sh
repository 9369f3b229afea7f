#!/usr/bin/env bash
# Vendors the published CRDs whose OpenAPI schemas aimesh validates its output
# against (generator/validate/schema), plus the Istio CRDs a test API server
# needs, into schemas/crds/, and writes schemas/crds/SOURCES.md.
#
# Usage: hack/vendor-schemas.sh        (from anywhere; no arguments)
#
# - Every source is a Go module at an exact version. The script first asks the
#   local module cache (GOPROXY=off) and only falls back to `go mod download`
#   through the configured module proxy when the cache lacks the module, so a
#   machine that has run it once re-runs it offline.
# - Files are copied byte for byte. Istio ships all its CRDs in one file; each
#   CRD needed is cut out verbatim (hack/crdpatch split).
# - schemas/crds/testonly/ holds patched copies of the Istio VirtualService and
#   DestinationRule CRDs that also declare ASM's extension fields. They are
#   generated here (hack/crdpatch testonly), for test API servers only.
# - schemas/crds/asm/ is hand-written (ASM publishes no CRD YAML); the script
#   never writes there, it only lists those files in SOURCES.md.
# - The output is deterministic: re-running rewrites identical bytes.
#
# Writes only: schemas/crds/<group>/ for the groups below, schemas/crds/testonly/,
# schemas/crds/SOURCES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/schemas/crds"
export LC_ALL=C

log() { echo "vendor-schemas.sh: $*" >&2; }
die() { log "$*"; exit 1; }

command -v go >/dev/null || die "go not found"
command -v sha256sum >/dev/null || die "sha256sum not found"

# Module sources: module@version (exact versions; listing versions is refused
# by the proxy here, and newer releases may need a newer Go).
KSERVE=github.com/kserve/kserve@v0.14.0
GATEWAY_API=sigs.k8s.io/gateway-api@v1.6.3
FLUX_SOURCE=github.com/fluxcd/source-controller@v1.7.0
FLUX_KUSTOMIZE=github.com/fluxcd/kustomize-controller@v1.6.0 # v1.7.0 is not served by the proxy
ARGOCD=github.com/argoproj/argo-cd/v3@v3.1.0
ISTIO_API=istio.io/api@v1.32.0                               # same version as in go.mod

SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

# json_field FILE KEY: value of a top-level string field of `go mod download -json`.
json_field() {
	sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" "$1" | head -n1
}

declare -A MODDIR MODSUM
# fetch MODULE@VERSION: sets MODDIR and MODSUM (go.sum h1: hash of the module zip).
fetch() {
	local mv="$1" js="$SCRATCH/dl.json"
	# Run outside any module so the repository's go.mod/go.sum are never touched.
	if ! (cd "$SCRATCH" && GOFLAGS= GOPROXY=off go mod download -json "$mv" >"$js" 2>/dev/null); then
		log "not in the module cache, downloading $mv"
		(cd "$SCRATCH" && GOFLAGS= go mod download -json "$mv" >"$js") ||
			die "go mod download $mv failed: $(json_field "$js" Error)"
	fi
	local dir sum
	dir="$(json_field "$js" Dir)"
	sum="$(json_field "$js" Sum)"
	[[ -n "$dir" && -d "$dir" ]] || die "$mv: no module directory"
	MODDIR[$mv]="$dir"
	MODSUM[$mv]="$sum"
}

# spdx MODULE@VERSION: SPDX id of the module's top-level LICENSE.
spdx() {
	local lic="${MODDIR[$1]}/LICENSE"
	[[ -f "$lic" ]] || die "$1: no LICENSE file"
	if grep -q "Apache License" "$lic" && grep -q "Version 2.0, January 2004" "$lic"; then
		echo "Apache-2.0"
	else
		die "$1: LICENSE is not Apache-2.0; add a rule for it"
	fi
}

ROWS="$SCRATCH/rows" # file|module@version|path in module|licence
: >"$ROWS"

# copy MODULE@VERSION PATH_IN_MODULE DEST_REL
copy() {
	local mv="$1" src="$2" dst="$3"
	[[ -f "${MODDIR[$mv]}/$src" ]] || die "$mv: $src not found"
	mkdir -p "$(dirname "$OUT/$dst")"
	cp "${MODDIR[$mv]}/$src" "$OUT/$dst"
	chmod 0644 "$OUT/$dst"
	echo "$dst|$mv|$src|$(spdx "$mv")" >>"$ROWS"
}

CRDPATCH="$SCRATCH/crdpatch"
(cd "$ROOT" && go build -o "$CRDPATCH" ./hack/crdpatch) || die "building hack/crdpatch failed"

# cutdoc MODULE@VERSION PATH_IN_MODULE CRD_NAME DEST_REL
cutdoc() {
	local mv="$1" src="$2" name="$3" dst="$4"
	mkdir -p "$(dirname "$OUT/$dst")"
	"$CRDPATCH" split -in "${MODDIR[$mv]}/$src" -name "$name" -out "$OUT/$dst"
	chmod 0644 "$OUT/$dst"
	echo "$dst|$mv|$src (document $name)|$(spdx "$mv")" >>"$ROWS"
}

# testonly MODULE@VERSION SOURCE_REL KIND DEST_REL: patched TEST-ONLY copy.
testonly() {
	local mv="$1" src="$2" kind="$3" dst="$4"
	local srcdesc
	srcdesc="$(grep -F "${src}|" "$ROWS" | head -n1 | cut -d'|' -f2,3 | sed 's/|/ /')"
	mkdir -p "$(dirname "$OUT/$dst")"
	"$CRDPATCH" testonly -in "$OUT/$src" -kind "$kind" -source "$srcdesc" -out "$OUT/$dst"
	chmod 0644 "$OUT/$dst"
	echo "$dst|$mv|TEST-ONLY patch of $src (hack/crdpatch)|$(spdx "$mv")" >>"$ROWS"
}

for mv in "$KSERVE" "$GATEWAY_API" "$FLUX_SOURCE" "$FLUX_KUSTOMIZE" "$ARGOCD" "$ISTIO_API"; do
	fetch "$mv"
done

# Start clean: every directory below is owned by this script.
GEN_DIRS=(serving.kserve.io gateway.networking.k8s.io source.toolkit.fluxcd.io
	kustomize.toolkit.fluxcd.io argoproj.io networking.istio.io security.istio.io testonly)
for d in "${GEN_DIRS[@]}"; do rm -rf "${OUT:?}/$d"; done
mkdir -p "$OUT"

# KServe: config/crd/full is what config/crd/kustomization.yaml installs
# (its only patch targets apiextensions.k8s.io/v1beta1 CRDs and is a no-op for these).
for f in inferenceservices servingruntimes clusterservingruntimes; do
	copy "$KSERVE" "config/crd/full/serving.kserve.io_$f.yaml" "serving.kserve.io/serving.kserve.io_$f.yaml"
done

# Gateway API, standard channel.
for f in gateways gatewayclasses; do
	copy "$GATEWAY_API" "config/crd/standard/gateway.networking.k8s.io_$f.yaml" "gateway.networking.k8s.io/gateway.networking.k8s.io_$f.yaml"
done

# Flux: the CRDs live in the controller modules, not in their api modules.
copy "$FLUX_SOURCE" config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml source.toolkit.fluxcd.io/source.toolkit.fluxcd.io_gitrepositories.yaml
copy "$FLUX_KUSTOMIZE" config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml kustomize.toolkit.fluxcd.io/kustomize.toolkit.fluxcd.io_kustomizations.yaml

# Argo CD.
copy "$ARGOCD" manifests/crds/application-crd.yaml argoproj.io/application-crd.yaml
copy "$ARGOCD" manifests/crds/appproject-crd.yaml argoproj.io/appproject-crd.yaml

# Istio: for the test API server only (Istio objects are validated with the
# istio.io/api protos elsewhere). One file per CRD, cut out verbatim.
ISTIO_ALL=kubernetes/customresourcedefinitions.gen.yaml
for r in virtualservices destinationrules gateways envoyfilters; do
	cutdoc "$ISTIO_API" "$ISTIO_ALL" "$r.networking.istio.io" "networking.istio.io/networking.istio.io_$r.yaml"
done
for r in requestauthentications authorizationpolicies; do
	cutdoc "$ISTIO_API" "$ISTIO_ALL" "$r.security.istio.io" "security.istio.io/security.istio.io_$r.yaml"
done

# TEST-ONLY: Istio VirtualService/DestinationRule plus ASM's extension fields.
testonly "$ISTIO_API" networking.istio.io/networking.istio.io_virtualservices.yaml VirtualService testonly/networking.istio.io_virtualservices.yaml
testonly "$ISTIO_API" networking.istio.io/networking.istio.io_destinationrules.yaml DestinationRule testonly/networking.istio.io_destinationrules.yaml

# ---- SOURCES.md -------------------------------------------------------------
sha() { sha256sum "$OUT/$1" | cut -d' ' -f1; }

{
	echo "# Vendored CRD schemas"
	echo
	echo "Generated by \`hack/vendor-schemas.sh\`; do not edit by hand (except the hand-written"
	echo "files under \`asm/\`, which the script only lists). Paths are relative to \`schemas/crds/\`."
	echo "Re-run the script after changing a version; it rewrites identical bytes when nothing changed."
	echo
	echo "## Copied from published modules"
	echo
	echo "Files are byte-for-byte copies of the upstream file, or of one document of it where noted."
	echo "\`testonly/\` files are generated patches (see below) and are not used to validate aimesh output."
	echo
	echo "| file | upstream module@version | path in module | licence | sha256 |"
	echo "|---|---|---|---|---|"
	sort "$ROWS" | while IFS='|' read -r file mv path lic; do
		echo "| \`$file\` | \`$mv\` | \`$path\` | $lic | \`$(sha "$file")\` |"
	done
	echo
	echo "## Modules"
	echo
	echo "| module@version | go.sum hash of the module zip |"
	echo "|---|---|"
	for mv in $(printf '%s\n' "${!MODDIR[@]}" | sort); do
		echo "| \`$mv\` | \`${MODSUM[$mv]}\` |"
	done
	echo
	echo "## Hand-written (not published CRDs)"
	echo
	echo "Alibaba Cloud Service Mesh publishes no CRD YAML for these kinds. The schemas were written by hand"
	echo "from the Go API types in the public repository aliyun/alibabacloud-servicemesh-api"
	echo "(\`alibabacloudservicemesh/v1/*_types.go\`); each file's header names its source and the fields that"
	echo "were inferred rather than read from the types."
	echo
	echo "| file | source | licence | sha256 |"
	echo "|---|---|---|---|"
	for f in $(cd "$OUT" && ls asm/*.yaml 2>/dev/null | sort); do
		src="$(sed -n 's/^# Hand-written from aliyun\/alibabacloud-servicemesh-api \(.*\)\. Not a published CRD\.$/\1/p' "$OUT/$f" | head -n1)"
		[[ -n "$src" ]] || die "$f: missing the '# Hand-written from aliyun/alibabacloud-servicemesh-api ...' header"
		echo "| \`$f\` | hand-written from aliyun/alibabacloud-servicemesh-api $src | Apache-2.0 (licence headers in the source package; no LICENSE file seen in the repository) | \`$(sha "$f")\` |"
	done
	echo
	echo "## TEST-ONLY patches"
	echo
	echo "\`testonly/networking.istio.io_virtualservices.yaml\` and \`testonly/networking.istio.io_destinationrules.yaml\`"
	echo "are the upstream Istio CRDs above, re-encoded by \`hack/crdpatch\` with ASM's extension fields added to every"
	echo "version's schema: \`spec.http[].headerToDynamicSubsetKey[]{header,key,defaultValue}\` and"
	echo "\`loadBalancer.dynamicSubset{fallbackPolicy,defaultSubset,subsetSelectors[]{keys,fallbackPolicy},lbPolicy}\` in every"
	echo "load balancer settings block (\`spec.trafficPolicy\`, its \`portLevelSettings[]\`, and the same under \`spec.subsets[]\`);"
	echo "\`dynamicSubset\` joins the upstream \`loadBalancer\` oneOf. The shapes and enums are those of ASM's own fork of the"
	echo "Istio CRDs (aliyun/alibabacloud-servicemesh-api \`kubernetes/customresourcedefinitions.gen.yaml\`, commit"
	echo "018f42ca9ff8ef0629bb2aa5330f415a28638235), which is not vendored: it is no Go module the proxy serves, and it is"
	echo "based on an older Istio. Upstream Istio rejects these fields; the copies exist so that a test kube-apiserver"
	echo "accepts ASM-flavoured objects. They are never used to validate aimesh output. Never install them into a real cluster."
} >"$OUT/SOURCES.md.tmp"
mv "$OUT/SOURCES.md.tmp" "$OUT/SOURCES.md"

log "wrote $(wc -l <"$ROWS") vendored files and SOURCES.md under ${OUT#"$ROOT"/}"
