#!/usr/bin/env bash
# Scaling benchmark (make bench-scale): for each number of models, writes a
# synthetic platform (hack/scalegen: models/2 two-variant services, the
# reference app's 3 environments) and measures, with the built binary:
#   floor     `cue export` of the same CUE (cue/ embeds the schema), the CUE cost alone
#   generate  `aimesh generate --all` into an empty overlays/ (wall, CPU, peak RSS)
#   kustomize `kustomize build` (CLI) of every root an Argo CD Application or
#             Flux Kustomization points at: count and the slowest
#   diff      `aimesh diff --base HEAD --format markdown` after changing the
#             port of every generated service (wall, peak RSS, output size)
# Usage: hack/bench-scale.sh [SIZE...]   (default: 100 1000 10000)
# AIMESH_SCALE_DIR (default /tmp/aimesh-scale) holds the platforms.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(./hack/tools.sh)"
WORK="${AIMESH_SCALE_DIR:-/tmp/aimesh-scale}"
mkdir -p "$WORK"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 10000)
go build -o "$WORK/aimesh" ./cmd/aimesh
go build -o "$WORK/scalegen" ./hack/scalegen
REPO="$PWD"
measure() { # label cmd... ; prints "label: wall s, user s, sys s, max RSS MiB"
	local label=$1 out
	shift
	/usr/bin/time -o "$WORK/time.out" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
	read -r wall user sys rss < <(tail -1 "$WORK/time.out")
	printf '  %-10s %7.2f s wall  %7.2f s user  %6.2f s sys  %6d MiB peak\n' "$label" "$wall" "$user" "$sys" $((rss / 1024))
}
echo "load: $(uptime)"
for n in "${sizes[@]}"; do
	dir="$WORK/$n"
	rm -rf "$dir"
	"$WORK/scalegen" -models "$n" -out "$dir" -src "$REPO"
	echo "== $n models"
	(cd "$dir/cue" && measure floor env CUE_REGISTRY=none "$BIN/cue" export)
	(cd "$dir" && measure generate "$WORK/aimesh" generate --all)
	(cd "$dir" && rm -rf overlays.prev && cp -r overlays overlays.prev && measure regenerate "$WORK/aimesh" generate --all)
	echo "  files      $(find "$dir/overlays" -type f | wc -l) ($(du -sm "$dir/overlays" | cut -f1) MiB)"
	# Every root a GitOps object syncs: Flux spec.path and Argo CD
	# spec.source.path, of the objects in gitops/ (one file each, or the
	# resources.yaml of its shards) and of the root objects in bootstrap/.
	roots=$(cat "$dir"/overlays/*/gitops/*.yaml "$dir"/overlays/*/bootstrap/*.yaml \
		$(find "$dir"/overlays/*/gitops -mindepth 2 -name resources.yaml) |
		grep -h -E '^    path: |^  path: ' | sed -E 's/^ *path: (\.\/)?//' | sort -u)
	total=$(echo "$roots" | wc -l)
	if [[ $n -gt 1000 ]]; then
		# Above 1,000 models, build the 10 roots holding the most objects
		# (top-level kinds in their files; a shard is one multi-document file).
		roots=$(for r in $roots; do
			echo "$(find "$dir/$r" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml -exec cat {} + | grep -c '^kind: ') $r"
		done | sort -rn | sed -n 1,10p | cut -d' ' -f2) # sed, not head: head would close the pipe early and pipefail stop the script
	fi
	slow=0 slowcpu=0 slowroot="" count=0 maxres=0
	for r in $roots; do
		count=$((count + 1))
		/usr/bin/time -o "$WORK/time.out" -f '%e %U %S' "$BIN/kustomize" build "$dir/$r" >"$WORK/build.out"
		res=$(grep -c '^kind: ' "$WORK/build.out" || true)
		read -r t u s <"$WORK/time.out"
		if (($(echo "$t > $slow" | bc))); then slow=$t slowcpu=$(echo "$u + $s" | bc) slowroot=$r; fi
		if ((res > maxres)); then maxres=$res; fi
	done
	printf '  kustomize  %d synced roots (%d built), at most %d resources; slowest %.2f s wall (%.2f s CPU): %s\n' "$total" "$count" "$maxres" "$slow" "$slowcpu" "$slowroot"
	agg="$dir/overlays/prod/ack"
	if [[ $n -le 1000 ]]; then
		(measure "aggregate" "$BIN/kustomize" build "$agg") | sed 's/aggregate /prod\/ack* /'
	fi
	(cd "$dir" && rm -rf .git && git init -q && git add cue schemas && git -c user.email=bench@example.com -c user.name=bench commit -q -m base)
	"$WORK/scalegen" -models "$n" -out "$dir" -src "$REPO" -port 8001
	(cd "$dir" && measure diff "$WORK/aimesh" diff --base HEAD --format markdown)
	(cd "$dir" && { "$WORK/aimesh" diff --base HEAD --format markdown >"$WORK/diff-$n.md" || true; } &&
		{ "$WORK/aimesh" diff --base HEAD --format json >"$WORK/diff-$n.json" || true; })
	echo "  diff out   markdown $(wc -m <"$WORK/diff-$n.md") chars, json $(wc -c <"$WORK/diff-$n.json") bytes"
done
echo "load: $(uptime)"
echo "(* the aggregate prod/ack root, for humans; nothing syncs it)"
