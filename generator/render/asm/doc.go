// Package asm renders the objects of the ASM (service-mesh control plane)
// target from a resolved platform: namespaces, ASMKServeConfig,
// IstioGateways, the model routing (Gateway, VirtualService with
// headerToDynamicSubsetKey, DestinationRule with dynamicSubset), the KServe
// v2 JSON→gRPC transcoder and its buffer limit, the app routing and tier
// routing, and the SSO objects. Istio specs are istio.io/api messages; ASM
// kinds and ASM extension fields are the typed structs in kinds.go.
package asm
