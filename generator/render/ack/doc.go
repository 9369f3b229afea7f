// Package ack renders the objects of the ACK (data-plane Kubernetes)
// target from a resolved platform: namespaces, service accounts, one
// Deployment per service variant, Services, the model PVC and ModelMesh
// configuration, the model-loader Job, InferenceServices and the ambient
// waypoint. Core kinds use k8s.io/api types; KServe and Gateway API kinds
// use the small typed structs in kinds.go.
package ack
