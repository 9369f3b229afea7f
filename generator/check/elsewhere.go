package check

// Rules enforced outside this package, listed so that docs/checks.md is
// one catalogue of everything aimesh refuses. The CUE schema enforces
// shapes before any Go code runs; generator/validate checks every rendered
// object. Their findings carry CUE positions but no rule ID.

var (
	_ = rule(Rule{
		ID: "AM0001", Cases: []string{"golden/errors/unknown-field", "golden/errors/many-errors"}, Name: "closed-definitions", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Prevents: "a typo silently ignored: every definition is closed, so an unknown field is an error",
	})
	_ = rule(Rule{
		ID: "AM0002", Cases: []string{"golden/errors/port-out-of-range", "golden/errors/gateway-name-too-long"}, Name: "names-ports-enums", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Prevents: "objects the API server rejects at sync time: DNS-1123 names, ports 1–65535, enums, image references",
	})
	_ = rule(Rule{
		ID: "AM0003", Cases: []string{"golden/errors/uppercase-header"}, Name: "lowercase-headers", Family: "schema", Scope: Elsewhere, Refs: "C1",
		Where:    "schemas/platform.cue",
		Prevents: "routes that never match: Envoy lowercases header names",
	})
	_ = rule(Rule{
		ID: "AM0004", Name: "static-tensor-shapes", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Prevents: "capacity that cannot be computed: every tensor dimension is a positive integer",
	})
	_ = rule(Rule{
		ID: "AM0005", Cases: []string{"golden/errors/literal-client-secret"}, Name: "secrets-by-reference", Family: "schema", Scope: Elsewhere, Refs: "C18",
		Where:    "schemas/platform.cue",
		Prevents: "a secret in Git: SSO secrets are only secretRefs; a literal is refused and masked in the error message",
	})
	_ = rule(Rule{
		ID: "AM0006", Cases: []string{"golden/errors/prod-latest-image"}, Name: "prod-pins-images", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Prevents: "`:latest` in production: environment prod always sets requirePinnedImages (see AM0501)",
	})

	_ = rule(Rule{
		ID: "AM0051", Name: "typed-core-kinds", Family: "validation", Scope: Elsewhere,
		Where:    "generator/validate",
		Prevents: "core Kubernetes objects with unknown fields or wrong types: strict decode into k8s.io/api types",
	})
	_ = rule(Rule{
		ID: "AM0052", Name: "istio-types", Family: "validation", Scope: Elsewhere,
		Where:    "generator/validate",
		Prevents: "Istio objects that do not decode: ASM extensions (headerToDynamicSubsetKey, dynamicSubset) are checked by typed structs and removed, the rest decodes strictly with protojson into istio.io/api",
	})
	_ = rule(Rule{
		ID: "AM0053", Name: "crd-schemas", Family: "validation", Scope: Elsewhere,
		Where:    "generator/validate/schema",
		Prevents: "KServe, Gateway API, Argo CD, Flux and ASM objects the API server rejects: OpenAPI schemas and CEL rules of the CRDs vendored in schemas/crds",
	})
)
