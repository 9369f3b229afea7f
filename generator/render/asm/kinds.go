package asm

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ASM kinds (istio.alibabacloud.com/v1beta1), the fields aimesh sets,
// written from aliyun/alibabacloud-servicemesh-api alibabacloudservicemesh/v1.

const ASMAPIVersion = "istio.alibabacloud.com/v1beta1"

type ASMKServeConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ASMKServeConfigSpec `json:"spec"`
}

type ASMKServeConfigSpec struct {
	Enabled                       bool   `json:"enabled"`
	MultiModel                    bool   `json:"multiModel"`
	MultiModelControllerNamespace string `json:"multiModelControllerNamespace,omitempty"`
	Tag                           string `json:"tag,omitempty"`
}

type IstioGateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              IstioGatewaySpec `json:"spec"`
}

type IstioGatewaySpec struct {
	GatewayType  string              `json:"gatewayType"`
	ClusterIDs   []string            `json:"clusterIds"`
	ServiceType  string              `json:"serviceType"`
	ReplicaCount *int32              `json:"replicaCount,omitempty"`
	Ports        []IstioGatewayPort  `json:"ports"`
	Resources    *ResourceRequirment `json:"resources,omitempty"`
}

type IstioGatewayPort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort int32  `json:"targetPort"`
	Protocol   string `json:"protocol"`
}

type ResourceRequirment struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

type ASMGrpcJsonTranscoder struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ASMGrpcJsonTranscoderSpec `json:"spec"`
}

type ASMGrpcJsonTranscoderSpec struct {
	WorkloadSelector       WorkloadSelector `json:"workloadSelector"`
	IsGateway              bool             `json:"isGateway"`
	PortNumber             int32            `json:"portNumber"`
	BuiltinProtoDescriptor string           `json:"builtinProtoDescriptor"`
	Services               []string         `json:"services"`
}

type WorkloadSelector struct {
	Labels map[string]string `json:"labels"`
}

type ASMSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ASMSecurityPolicySpec `json:"spec"`
}

type ASMSecurityPolicySpec struct {
	OIDCConfig OIDCConfig `json:"oidcConfig"`
}

type OIDCConfig struct {
	IssuerURI          string   `json:"issuerURI"`
	ClientID           string   `json:"clientID"`
	ClientSecret       string   `json:"clientSecret"`
	CookieSecret       string   `json:"cookieSecret"`
	Scopes             []string `json:"scopes"`
	RedirectProtocol   string   `json:"redirectProtocol"`
	RedirectASMGateway string   `json:"redirectASMGateway"`
	RedirectDomain     string   `json:"redirectDomain"`
}

// HeaderToDynamicSubsetKey is ASM's VirtualService http[] extension.
type HeaderToDynamicSubsetKey struct {
	Header       string `json:"header"`
	Key          string `json:"key"`
	DefaultValue string `json:"defaultValue,omitempty"`
}

// DynamicSubset is ASM's DestinationRule loadBalancer extension.
type DynamicSubset struct {
	FallbackPolicy  string           `json:"fallbackPolicy"`
	SubsetSelectors []SubsetSelector `json:"subsetSelectors"`
}

// DynamicSubsetTrafficPolicy is a DestinationRule trafficPolicy whose load
// balancer is ASM's dynamicSubset (it replaces simple/consistentHash).
type DynamicSubsetTrafficPolicy struct {
	LoadBalancer DynamicSubsetLoadBalancer `json:"loadBalancer"`
}

type DynamicSubsetLoadBalancer struct {
	DynamicSubset DynamicSubset `json:"dynamicSubset"`
}

type SubsetSelector struct {
	Keys           []string `json:"keys"`
	FallbackPolicy string   `json:"fallbackPolicy,omitempty"`
}

// KServeV2Service is the gRPC service of the KServe v2 protocol.
const KServeV2Service = "inference.GRPCInferenceService"
