package check

// Rules of issue 9 ("accept only what the cluster, Istio and the identity
// provider will accept") that are enforced outside this package: by the
// CUE schema (one definition per concept, also for environment
// overrides), by generator/validate's Kubernetes and mesh layers on every
// rendered object, and by upstream Istio's validation in make test.

var (
	_ = rule(Rule{
		ID: "AM0030", Name: "https-identity-provider", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/sso-http-issuer", "golden/errors/env-sso-http-jwks", "golden/errors/sso-local-dev-prod-http", "golden/checks/sso-local-dev-http"},
		Prevents: "forgeable tokens: the issuer and JWKS URIs are https (base and environment overrides); sso.localDevInsecureHTTP is the one named opt-out, and prod must still override both with https",
	})
	_ = rule(Rule{
		ID: "AM0031", Name: "bare-host-names", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/exposure-host-url", "golden/errors/env-host-url", "golden/errors/sso-redirect-host-scheme"},
		Prevents: "hosts Istio rejects or never matches, and a broken login callback: exposure hosts, environment hosts and sso.redirectHost are bare lowercase DNS names (wildcard \"*.\" or \"*\" for hosts), no scheme, port, path or spaces",
	})
	_ = rule(Rule{
		ID: "AM0032", Name: "git-ref-names", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/git-branch-space", "golden/errors/git-branch-dotdot"},
		Prevents: "Argo CD and Flux failing to fetch: gitops.branch follows git check-ref-format (no spaces, \"..\", \"@{\", \"//\", control characters or ~^:?*[\\, no \".lock\" component)",
	})
	_ = rule(Rule{
		ID: "AM0033", Name: "reserved-namespaces", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/namespace-kube-system", "golden/errors/namespace-istio-system"},
		Prevents: "application objects (and their pruning) in namespaces the platform owns: kube-* and istio-system are refused for namespaces.app, namespaces.models and modelServing.namespace",
	})
	_ = rule(Rule{
		ID: "AM0034", Name: "variant-label-not-selector", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/variant-label-app"},
		Prevents: "a Service that selects no pods: variantLabel cannot be \"app\", the label the Service selects on (the kubernetes layer also checks every Service selects a pod template)",
	})
	_ = rule(Rule{
		ID: "AM0035", Name: "overrides-same-definition", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/env-sso-client-id-space", "golden/errors/env-replicas-overflow"},
		Prevents: "an environment override that the base field would refuse: clientID, images, replicas (int32), hosts, gateway types and replicas, SSO URIs and redirectHost use the base field's definition",
	})
	_ = rule(Rule{
		ID: "AM0036", Name: "exposure-ports-unique", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/exposure-duplicate-port"},
		Prevents: "a Gateway Istio rejects: exposure.ports [8000, 8000] renders two servers with one port name",
	})
	_ = rule(Rule{
		ID: "AM0037", Name: "service-names-dns1035", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/service-name-digit"},
		Prevents: "a Service the API server rejects: serviceName and modelServing.serviceName are DNS-1035 labels (start with a letter)",
	})
	_ = rule(Rule{
		ID: "AM0038", Name: "positive-volume-size", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/pvc-size-zero"},
		Prevents: "a PersistentVolumeClaim the API server rejects: the model PVC size is a quantity greater than zero",
	})
	_ = rule(Rule{
		ID: "AM0039", Name: "scope-and-repo-spelling", Family: "schema", Scope: Elsewhere,
		Where:    "schemas/platform.cue",
		Cases:    []string{"golden/errors/sso-scope-with-space", "golden/errors/gitops-repo-url-space"},
		Prevents: "a login request with a malformed scope parameter (each sso.scopes entry is one RFC 6749 scope-token) and a repository URL Argo CD and Flux cannot fetch (no whitespace)",
	})
	_ = rule(Rule{
		ID: "AM0040", Name: "no-flux-placeholders", Family: "schema", Scope: Elsewhere,
		Where:    "generator/load (placeholders.go)",
		Cases:    []string{"golden/errors/flux-placeholder"},
		Prevents: "a value changed or a sync failing at sync time: Flux's postBuild substitution replaces every ${...} of a Kustomization that substitutes, so a \"${\" in any string of the platform is refused at its position",
	})

	_ = rule(Rule{
		ID: "AM1101", Name: "kube-object-meta", Family: "kubernetes", Scope: Elsewhere,
		Where:    "generator/validate/kube.go",
		Cases:    []string{"golden/errors/service-key-digit"},
		Prevents: "objects the API server rejects for their metadata: names per kind (DNS-1035 for Services, DNS-1123 label for Namespaces, subdomain otherwise, Job names ≤ 63), namespaces, label keys and values, annotations (apimachinery api/validation)",
	})
	_ = rule(Rule{
		ID: "AM1102", Name: "kube-quantities", Family: "kubernetes", Scope: Elsewhere,
		Where:    "generator/validate/kube.go",
		Prevents: "Deployments and PVCs the API server rejects: quantities non-negative, requests ≤ limits (found first, at the value, by AM0708), a positive storage request (api/resource) (unit-tested in generator/validate/kube_test.go)",
	})
	_ = rule(Rule{
		ID: "AM1103", Name: "kube-ports", Family: "kubernetes", Scope: Elsewhere,
		Where:    "generator/validate/kube.go",
		Prevents: "workloads and Services the API server rejects: container port names are IANA service names unique per pod, Service port names DNS-1123 labels unique per Service (required when there are several), valid port numbers and target ports, probe ports that exist (unit-tested in generator/validate/kube_test.go)",
	})
	_ = rule(Rule{
		ID: "AM1104", Name: "kube-selectors", Family: "kubernetes", Scope: Elsewhere,
		Where:    "generator/validate/kube.go",
		Prevents: "a Deployment the API server rejects (selector not matching its pod template) and a Service it accepts but that has no endpoints (a selector matching no pod template of its namespace, a named targetPort no selected pod declares) (unit-tested in generator/validate/kube_test.go)",
	})

	_ = rule(Rule{
		ID: "AM1105", Name: "kube-object-size", Family: "kubernetes", Scope: Elsewhere,
		Where:    "generator/validate/size.go",
		Cases:    []string{"golden/errors/object-too-large"},
		Prevents: "an object the cluster cannot store: etcd refuses writes over 1.5 MiB and the API server request bodies over 3 MiB (RequestEntityTooLarge); every rendered object is at most 1 MiB, and the error names the field holding most of it",
	})

	_ = rule(Rule{
		ID: "AM1201", Name: "upstream-istio-validation", Family: "istio", Scope: Elsewhere,
		Where:    "hack/istiovalidate (make istio-validate)",
		Prevents: "Istio objects the admission webhook rejects: istio.io/istio pkg/config/validation runs on every networking.istio.io and security.istio.io object of every environment of overlays/, ASM-only fields removed first (they are checked by AM0052)",
	})
	_ = rule(Rule{
		ID: "AM1202", Name: "gateway-tls-settings", Family: "istio", Scope: Elsewhere,
		Where:    "generator/validate/gateways.go",
		Cases:    []string{"golden/checks/https-port-credential"},
		Prevents: "an HTTPS or terminating TLS gateway server without TLS settings or without credentialName, and key material (serverCertificate, privateKey, caCertificates) on the gateway",
	})
	_ = rule(Rule{
		ID: "AM1203", Name: "mesh-host-spelling", Family: "istio", Scope: Elsewhere,
		Where:    "generator/validate/gateways.go",
		Prevents: "Gateway and VirtualService hosts Istio rejects or never matches: \"*\", a DNS-1123 subdomain or a \"*.\" wildcard, with an optional namespace prefix on Gateways",
	})
	_ = rule(Rule{
		ID: "AM1204", Name: "gateway-port-host-owner", Family: "istio", Scope: Elsewhere,
		Where:    "generator/validate/gateways.go",
		Cases:    []string{"golden/errors/gateway-port-host-two-owners"},
		Prevents: "two Gateways claiming one port and host of one gateway workload: Envoy keeps one route table (IST0145 conflicting gateways)",
	})
)
