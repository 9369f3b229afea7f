# aimesh — see README.md. Every target installs what it needs.
SHELL := /bin/bash
GO    ?= go
TOOLS  = $(shell ./hack/tools.sh)

.PHONY: example build generate test check lint unit fuzz sweep istio-validate regen-check bench bench-scale vendor-schemas kube-assets update help

help:
	@echo "make example        install tools, then generate overlays for every environment of the bundled example"
	@echo "make test           the whole test suite (lint, unit + txtar + API-server tests with -race, golden drift)"
	@echo "make build          a reproducible, version-stamped binary in bin/aimesh (-trimpath, build info)"
	@echo "make fuzz           a short run of every fuzz target (FUZZTIME=15s each)"
	@echo "make sweep          every mutation of every literal field of cue/ through generate --all (~8 min)"
	@echo "make bench          Go benchmarks; figures go to docs/performance.md"
	@echo "make bench-scale    generate/kustomize/diff on synthetic platforms of 100, 1,000, 10,000 models (SIZES=...)"
	@echo "make update         refresh golden files and overlays/"
	@echo "make vendor-schemas re-vendor the CRD schemas under schemas/crds (offline from module caches)"

## README command 1: install what is needed, generate all environments.
example:
	./hack/tools.sh >/dev/null
	$(GO) run ./cmd/aimesh generate --all

# Reproducible: -trimpath drops local paths, the version comes from the
# module's build info (go install …@vX.Y.Z, or the VCS revision of a clone).
build:
	$(GO) build -trimpath -buildvcs=auto -o bin/aimesh ./cmd/aimesh
	@bin/aimesh version | head -2

generate:
	$(GO) run ./cmd/aimesh generate --all

## README command 2: the whole test suite. CI (.ci/run) runs exactly this.
test: lint kube-assets unit istio-validate fuzz regen-check

kube-assets:
	./hack/kube-apiserver.sh >/dev/null

lint:
	@bin=$(TOOLS); \
	unformatted=$$(gofmt -l cmd generator schemas cue hack/istiovalidate 2>/dev/null); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi; \
	$(GO) vet ./... && \
	$$bin/staticcheck ./... && \
	(cd hack/istiovalidate && $(GO) vet ./...) && \
	(cd schemas && $$bin/cue fmt --check ./...) && \
	(cd cue && $$bin/cue fmt --check ./...) && \
	(cd generator/scaffold/starter/cue && $$bin/cue fmt --check ./...) && \
	(cd cue && CUE_REGISTRY=none $$bin/cue vet -c ./...) && \
	echo "lint: ok"

# -timeout: the -race run of generator/cli takes about 7 minutes on the
# 2-core machine, close to go test's default of 10 per package; a loaded
# machine went past it. 30 minutes still ends a hang inside CI's budget.
unit:
	AIMESH_KUBE_ASSETS=$$(./hack/kube-apiserver.sh) $(GO) test -race -count=1 -timeout 30m ./...

# A short run of every native fuzz target (the seed corpora run in unit
# too). A crasher is written to the package's testdata/fuzz/ and fails the
# run: commit it as a regression case. hack/fuzz.sh tells that apart from Go
# 1.26's fuzztime deadline race (golang/go#75804), which it answers by
# replaying the corpus. FUZZTIME=2m for a longer run.
FUZZTIME ?= 15s
fuzz:
	./hack/fuzz_selftest.sh
	GO=$(GO) ./hack/fuzz.sh FuzzLoad ./generator/load $(FUZZTIME)
	GO=$(GO) ./hack/fuzz.sh FuzzParseONNX ./generator/modelstore $(FUZZTIME)
	GO=$(GO) ./hack/fuzz.sh FuzzEncodeYAML ./generator/emit $(FUZZTIME)
	GO=$(GO) ./hack/fuzz.sh FuzzSpecializedMatchesFull ./generator/validate/schema $(FUZZTIME)
	GO=$(GO) ./hack/fuzz.sh FuzzClassVerdicts ./generator/validate/schema $(FUZZTIME)

# The field-mutation sweep (generator/cli/sweep_test.go) in full: every
# literal field of the reference platform, mutated by every entry of its
# table (wrong values and types, null, deleted), through generate --all.
# go test runs a deterministic sample of it.
sweep:
	AIMESH_SWEEP=full $(GO) test -run TestFieldMutations -count=1 -timeout 60m ./generator/cli

# Upstream Istio's own validation (the admission webhook's code, from
# istio.io/istio; its own Go module so that its pins stay out of go.mod) over
# every networking.istio.io / security.istio.io object of every environment
# of overlays/. Its unit tests include objects Istio rejects. Cold build
# ≈ 6 min on 2 cores, ≈ 20 s warm.
istio-validate:
	cd hack/istiovalidate && $(GO) test -count=1 ./... && $(GO) run . ../../overlays

# Regenerating must not change anything committed (overlays/, golden/):
# generate every environment and refresh every golden, then the tree must
# be clean.
regen-check:
	$(GO) run ./cmd/aimesh generate --all
	$(GO) run ./cmd/aimesh check
	AIMESH_UPDATE=1 $(GO) test -count=1 ./generator/compile ./generator/cli ./schemas >/dev/null
	AIMESH_UPDATE=1 $(GO) test -count=1 ./generator/check >/dev/null
	@if [ -n "$$(git status --porcelain -- overlays golden docs/checks.md cue/cue.mod)" ]; then \
		echo "regenerating changed committed files:"; git status --porcelain -- overlays golden docs/checks.md cue/cue.mod; \
		git --no-pager diff --stat -- overlays golden docs/checks.md cue/cue.mod; exit 1; fi

check:
	$(GO) run ./cmd/aimesh check

update:
	$(GO) run ./cmd/aimesh generate --all
	AIMESH_UPDATE=1 $(GO) test ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./...

## Scaling table of docs/performance.md (minutes; 10,000 models take ~1 GiB of disk in /tmp).
SIZES ?= 100 1000 10000
bench-scale:
	./hack/bench-scale.sh $(SIZES)

vendor-schemas:
	./hack/vendor-schemas.sh
	$(GO) generate ./generator/validate/schema
