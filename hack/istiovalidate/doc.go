// Command istiovalidate runs upstream Istio's own semantic validation (the
// code behind the admission webhook and `istioctl validate`:
// istio.io/istio/pkg/config/validation through schema.ValidateConfig) over
// every networking.istio.io and security.istio.io object of a tree of
// generated overlays.
//
// It lives in its own Go module because istio.io/istio is served only at
// pseudo-versions and pins its own istio.io/api and k8s.io versions, which
// must not reach the main module (github.com/aimesh/aimesh).
//
// ASM-only extension fields (headerToDynamicSubsetKey on VirtualService
// HTTP routes, dynamicSubset on DestinationRule load balancers) are removed
// before validation: upstream Istio rejects them as unknown fields. They
// are checked by their own typed rules in generator/validate (asmExtensions).
//
// Usage:
//
//	go run . DIR_OR_FILE...
//
// It prints one line per error and warning and exits 1 when any object is
// rejected or when no Istio object was found.
package main
