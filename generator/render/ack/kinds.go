package ack

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// InferenceService is the subset of serving.kserve.io/v1beta1 that aimesh
// emits (the KServe Go module does not build next to k8s.io v0.37).
type InferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              InferenceServiceSpec `json:"spec"`
}

type InferenceServiceSpec struct {
	Predictor Predictor `json:"predictor"`
}

type Predictor struct {
	Model ModelSpec `json:"model"`
}

type ModelSpec struct {
	ModelFormat ModelFormat `json:"modelFormat"`
	Runtime     string      `json:"runtime"`
	Storage     *Storage    `json:"storage,omitempty"`
	StorageURI  string      `json:"storageUri,omitempty"`
}

type ModelFormat struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type Storage struct {
	Path       string            `json:"path"`
	Parameters map[string]string `json:"parameters"`
}

// Gateway is the subset of gateway.networking.k8s.io Gateway used for
// ambient waypoints.
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              GatewaySpec `json:"spec"`
}

type GatewaySpec struct {
	GatewayClassName string     `json:"gatewayClassName"`
	Listeners        []Listener `json:"listeners"`
}

type Listener struct {
	Name          string         `json:"name"`
	Port          int32          `json:"port"`
	Protocol      string         `json:"protocol"`
	AllowedRoutes *AllowedRoutes `json:"allowedRoutes,omitempty"`
}

type AllowedRoutes struct {
	Namespaces RouteNamespaces `json:"namespaces"`
}

type RouteNamespaces struct {
	From string `json:"from"`
}
