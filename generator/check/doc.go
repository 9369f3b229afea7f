// Package check owns the rules CUE cannot express because they need the
// whole platform or the rendered objects.
//
// Rules are data: each is a Rule value (ID, name, family, severity, what
// it prevents, scope, function) declared with rule() in the file of its
// family (references.go, runtimes.go, capacity.go, tiers.go, exposure.go,
// secrets.go, objects.go; elsewhere.go lists rules other packages enforce).
// Every finding carries the rule's ID, the CUE position of the value it
// rejects and a hint. docs/checks.md is generated from the catalogue
// (Markdown) and verified by TestChecksDoc; TestCatalogue requires a golden
// txtar case for every rule that a platform can trigger.
//
// IDs: the hundreds name the family. Taken: AM00xx schema and validation
// (elsewhere.go), AM01xx references, AM02xx runtimes and capacity, AM03xx
// tiers and headers, AM04xx exposure, AM05xx secrets, AM06xx objects.
// Reserved for families being added: AM07xx workloads, AM08xx mesh
// authorization, AM09xx input safety, AM10xx identity (OIDC) and GitOps,
// AM11xx Kubernetes parity, AM12xx Istio parity. A new family also gets a
// line in families (catalogue.go).
//
// Adding a rule: one Rule value in its family file and one txtar case under
// golden/ whose expected output names the rule's ID, then
// AIMESH_UPDATE=1 go test ./generator/check to refresh docs/checks.md.
package check
