// Package schema validates the objects aimesh emits whose kinds are neither
// core Kubernetes nor Istio (KServe, Gateway API, Flux, Argo CD and Alibaba
// Cloud Service Mesh kinds) offline, against the OpenAPI v3 schemas of the
// CustomResourceDefinitions vendored in schemas/crds (see SOURCES.md there and
// hack/vendor-schemas.sh).
//
// Validation reproduces what kube-apiserver does with a custom resource on
// create, using the same k8s.io/apiextensions-apiserver code:
//
//  1. unknown fields (pruning against the structural schema, including
//     metadata and embedded resources) are reported as errors, where the
//     server would silently drop them or, under server-side apply, reject
//     them with "field not declared in schema";
//  2. nulls in non-nullable fields are dropped and schema defaults applied;
//     status is dropped when the version has a status subresource;
//  3. metadata is checked as the server checks ObjectMeta (name, labels,
//     annotations; a namespace on a cluster-scoped kind is an error; a
//     missing namespace on a namespaced kind is NOT, since it is filled in
//     at apply time);
//  4. the OpenAPI schema (types, enums, formats, patterns, bounds, required,
//     oneOf/anyOf/not), x-kubernetes-list-type map/set uniqueness and
//     embedded-resource metadata;
//  5. CEL rules (x-kubernetes-validations), with the server's cost limits,
//     unless step 4 found an error that makes them unreliable (as the server
//     does).
//
// Every problem is one FieldError with the JSON field path, e.g.
// "spec.predictor.model.modelFormat.name" or "spec.listeners[0].port".
//
// Load covers every vendored CRD except the Istio ones (Istio objects are
// validated with the istio.io/api protos elsewhere, and the upstream Istio
// schemas reject ASM's extension fields) and except schemas/crds/testonly/.
// LoadAll adds the Istio CRDs, optionally with the TEST-ONLY VirtualService
// and DestinationRule variants that declare ASM's fields. CRDs returns the CRD
// objects themselves, for installing into a test API server.
//
// Start-up is cheap: Load and LoadAll only read the generated index of kinds
// (crdindex_gen.go). A CRD is parsed from its pre-converted JSON form
// (schemas/crds/json, no YAML parsing at run time) the first time an object
// of that kind is validated. Both derived forms are checked against the
// vendored YAML by TestCRDIndex and TestCRDJSON and refreshed with
// `go generate ./generator/validate/schema` (AIMESH_UPDATE=1).
//
// An object is validated against its kind's schema specialised to the
// object's shape (specialize.go): the properties the object lacks are cut
// down to their type, except where the API server could still read them
// (defaults, the subtree of a CEL rule). The structural schema, OpenAPI
// validator and CEL rules are compiled once per kind and shape, at most
// maxShapes times per kind before falling back to the whole schema. The
// verdict, and the object as pruned and defaulted, are the same as with
// the whole schema: TestSpecializedMatchesFull compares both on the
// reference app's objects and their mutations, FuzzSpecializedMatchesFull
// (in make fuzz) on arbitrary ones. The InferenceService schema, a PodSpec
// for every model framework, took ≈ 0.15 s to compile whole; specialised
// to what aimesh emits, a few milliseconds.
package schema
