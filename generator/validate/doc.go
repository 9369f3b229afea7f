// Package validate owns the proof that a cluster will accept what aimesh
// emits, without a cluster. Every rendered object passes one of three
// layers, chosen by its kind:
//
//   - core Kubernetes kinds: strict decoding into the k8s.io/api types of
//     client-go's scheme (unknown fields and wrong types are errors);
//   - Istio kinds: ASM's extension fields (headerToDynamicSubsetKey,
//     dynamicSubset) are removed and validated with their own typed
//     structs, then the spec is decoded with strict protojson into the
//     istio.io/api message (the client-go Istio types drop unknown fields,
//     so they cannot be the validator);
//   - everything else (KServe, Gateway API, Argo CD, Flux, ASM kinds): the
//     OpenAPI schemas of the vendored CRDs (generator/validate/schema).
//
// On top of these, built-in kinds and the metadata of every object pass the
// Kubernetes parity layer (kube.go: the API server's rules for names per
// kind, labels, ports, quantities and selectors, from k8s.io/apimachinery's
// validation packages; and that every Service selects a pod template), and
// Istio objects pass the mesh layer (gateways.go: TLS settings of HTTPS
// servers, host spelling, one owner per gateway port and host). Upstream
// Istio's own validation runs in make test (hack/istiovalidate).
//
// A kind no layer knows is itself a problem. Problems name the object, the
// field path and, through the object's origin, the CUE position.
package validate
