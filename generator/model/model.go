package model

// Platform mirrors schemas #Platform. Field names and JSON tags must match
// the CUE schema exactly: decoding is strict and fails on drift.
type Platform struct {
	Name         string                 `json:"name"`
	Namespaces   Namespaces             `json:"namespaces"`
	Mesh         Mesh                   `json:"mesh"`
	Gateways     map[string]Gateway     `json:"gateways"`
	Runtimes     map[string]Runtime     `json:"runtimes"`
	Models       map[string]Model       `json:"models"`
	Services     map[string]Service     `json:"services"`
	Tiers        *Tiers                 `json:"tiers,omitempty"`
	SSO          *SSO                   `json:"sso,omitempty"`
	ModelServing ModelServing           `json:"modelServing"`
	GitOps       *GitOps                `json:"gitops,omitempty"`
	Environments map[string]Environment `json:"environments"`
}

type Namespaces struct {
	App    string `json:"app"`
	Models string `json:"models"`
}

type Mesh struct {
	Mode                   string `json:"mode"`
	IstioVersion           string `json:"istioVersion"`
	ASMVersion             string `json:"asmVersion,omitempty"`
	AllowUnderscoreHeaders bool   `json:"allowUnderscoreHeaders"`
}

type Resources struct {
	Requests *ResourceList `json:"requests,omitempty"`
	Limits   *ResourceList `json:"limits,omitempty"`
}

type ResourceList struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

type GatewayPort struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	// CredentialName: the Secret with the certificate of an HTTPS port.
	CredentialName string `json:"credentialName,omitempty"`
}

type Gateway struct {
	Name        string        `json:"name"`
	ServiceType string        `json:"serviceType"`
	Public      bool          `json:"public"`
	Replicas    *int32        `json:"replicas,omitempty"`
	Ports       []GatewayPort `json:"ports"`
	Resources   *Resources    `json:"resources,omitempty"`
}

// HasPort reports whether the gateway exposes port.
func (g Gateway) HasPort(port int32) bool {
	for _, p := range g.Ports {
		if p.Port == port {
			return true
		}
	}
	return false
}

type SupportedFormat struct {
	Name       string `json:"name"`
	Version    string `json:"version,omitempty"`
	AutoSelect bool   `json:"autoSelect"`
}

type Runtime struct {
	Name                string            `json:"name"`
	SupportedFormats    []SupportedFormat `json:"supportedFormats"`
	GRPCMaxMessageBytes int64             `json:"grpcMaxMessageBytes"`
	MemoryBytes         int64             `json:"memoryBytes,omitempty"`
	MemBufferBytes      int64             `json:"memBufferBytes"`
}

// Supports reports whether the runtime lists format, and whether it
// auto-selects it.
func (r Runtime) Supports(format string) (listed, autoSelect bool) {
	for _, f := range r.SupportedFormats {
		if f.Name == format {
			listed = true
			autoSelect = autoSelect || f.AutoSelect
		}
	}
	return listed, autoSelect
}

type Tensor struct {
	Name     string  `json:"name"`
	DataType string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

type Storage struct {
	Path string `json:"path,omitempty"`
	URI  string `json:"uri,omitempty"`
}

type Model struct {
	Name          string   `json:"name"`
	Format        string   `json:"format"`
	FormatVersion string   `json:"formatVersion,omitempty"`
	Runtime       string   `json:"runtime,omitempty"`
	Storage       Storage  `json:"storage"`
	Source        string   `json:"source,omitempty"`
	Inputs        []Tensor `json:"inputs"`
	Outputs       []Tensor `json:"outputs"`
	SizeBytes     int64    `json:"sizeBytes,omitempty"`
}

type Variant struct {
	Name       string     `json:"name"`
	Deployment string     `json:"deployment,omitempty"`
	Image      string     `json:"image"`
	Model      string     `json:"model"`
	Replicas   *int32     `json:"replicas,omitempty"`
	Resources  *Resources `json:"resources,omitempty"`
}

type Exposure struct {
	Gateway        string   `json:"gateway"`
	GatewayObject  string   `json:"gatewayObject"`
	VirtualService string   `json:"virtualService"`
	Ports          []int32  `json:"ports"`
	Hosts          []string `json:"hosts"`
}

type ServiceRouting struct {
	VirtualService  string `json:"virtualService"`
	DestinationRule string `json:"destinationRule"`
}

type Service struct {
	Name           string             `json:"name"`
	ServiceName    string             `json:"serviceName,omitempty"`
	ServiceAccount string             `json:"serviceAccount"`
	Port           int32              `json:"port"`
	Image          string             `json:"image,omitempty"`
	Replicas       int32              `json:"replicas"`
	Resources      *Resources         `json:"resources,omitempty"`
	Env            map[string]string  `json:"env"`
	Variants       map[string]Variant `json:"variants"`
	VariantLabel   string             `json:"variantLabel"`
	ReadinessPath  string             `json:"readinessPath,omitempty"`
	Waypoint       bool               `json:"waypoint"`
	Exposure       *Exposure          `json:"exposure,omitempty"`
	Routing        *ServiceRouting    `json:"routing,omitempty"`
}

// KubeName is the name of the Kubernetes Service.
func (s Service) KubeName() string {
	if s.ServiceName != "" {
		return s.ServiceName
	}
	return s.Name
}

// DeploymentName is the Deployment name of variant v.
func (s Service) DeploymentName(v Variant) string {
	if v.Deployment != "" {
		return v.Deployment
	}
	return s.Name + "-" + v.Name
}

type Tier struct {
	Name    string `json:"name"`
	Service string `json:"service"`
	Variant string `json:"variant"`
	Value   string `json:"value,omitempty"`
	Default bool   `json:"default"`
}

type Tiers struct {
	Header  string          `json:"header"`
	Classes map[string]Tier `json:"classes"`
}

type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type SecretRef struct {
	SecretRef SecretKeyRef `json:"secretRef"`
}

type ClaimHeader struct {
	Claim  string `json:"claim"`
	Header string `json:"header"`
}

type SSO struct {
	Provider   string `json:"provider"`
	PolicyName string `json:"policyName"`
	// LocalDevInsecureHTTP: http:// issuer and JWKS URIs accepted (schema).
	LocalDevInsecureHTTP bool          `json:"localDevInsecureHTTP"`
	Issuer               string        `json:"issuer"`
	JWKSURI              string        `json:"jwksUri"`
	ClientID             string        `json:"clientID"`
	ClientSecret         SecretRef     `json:"clientSecret"`
	CookieSecret         SecretRef     `json:"cookieSecret"`
	Scopes               []string      `json:"scopes"`
	Gateway              string        `json:"gateway"`
	RedirectProtocol     string        `json:"redirectProtocol"`
	RedirectHost         string        `json:"redirectHost"`
	Claims               []ClaimHeader `json:"claims"`
	Audiences            []string      `json:"audiences,omitempty"`
}

type ModelServingObjects struct {
	Gateway         string `json:"gateway"`
	VirtualService  string `json:"virtualService"`
	DestinationRule string `json:"destinationRule"`
	Transcoder      string `json:"transcoder"`
	BufferFilter    string `json:"bufferFilter"`
}

type PVC struct {
	Name         string   `json:"name"`
	StorageClass string   `json:"storageClass"`
	Size         string   `json:"size"`
	AccessModes  []string `json:"accessModes"`
}

type Loader struct {
	Image string `json:"image"`
}

type ModelServing struct {
	Namespace            string              `json:"namespace"`
	KServeTag            string              `json:"kserveTag"`
	ServiceName          string              `json:"serviceName"`
	GRPCPort             int32               `json:"grpcPort"`
	Gateway              string              `json:"gateway"`
	Port                 int32               `json:"port"`
	Objects              ModelServingObjects `json:"objects"`
	HeaderPrefix         string              `json:"headerPrefix"`
	SubsetKeyPrefix      string              `json:"subsetKeyPrefix"`
	FallbackPolicy       string              `json:"fallbackPolicy"`
	MemoryFit            string              `json:"memoryFit"`
	TranscoderDescriptor string              `json:"transcoderDescriptor"`
	PVC                  PVC                 `json:"pvc"`
	Loader               *Loader             `json:"loader,omitempty"`
}

// DefaultInferenceServiceName is ModelMesh's default inferenceServiceName
// (the Service its controller creates in the model namespace).
const DefaultInferenceServiceName = "modelmesh-serving"

// Host is the FQDN of ModelMesh's Service; the VirtualService destination
// and the DestinationRule host are both derived from it (C2).
func (m ModelServing) Host() string {
	return m.ServiceName + "." + m.Namespace + ".svc.cluster.local"
}

type Cluster struct {
	ID     string `json:"id"`
	Server string `json:"server"`
	Name   string `json:"name"`
	// Shared: other environments may deploy to this cluster too.
	Shared bool `json:"shared"`
}

type EnvVariant struct {
	Replicas  *int32     `json:"replicas,omitempty"`
	Image     string     `json:"image,omitempty"`
	Resources *Resources `json:"resources,omitempty"`
}

type EnvService struct {
	Replicas  *int32                `json:"replicas,omitempty"`
	Image     string                `json:"image,omitempty"`
	Resources *Resources            `json:"resources,omitempty"`
	Variants  map[string]EnvVariant `json:"variants,omitempty"`
}

type EnvGateway struct {
	Replicas    *int32 `json:"replicas,omitempty"`
	ServiceType string `json:"serviceType,omitempty"`
}

type EnvSSO struct {
	Issuer       string `json:"issuer,omitempty"`
	JWKSURI      string `json:"jwksUri,omitempty"`
	ClientID     string `json:"clientID,omitempty"`
	RedirectHost string `json:"redirectHost,omitempty"`
}

type Clusters struct {
	ACK Cluster `json:"ack"`
	ASM Cluster `json:"asm"`
}

type Environment struct {
	Name                string                `json:"name"`
	Clusters            Clusters              `json:"clusters"`
	RequirePinnedImages bool                  `json:"requirePinnedImages"`
	Services            map[string]EnvService `json:"services"`
	Gateways            map[string]EnvGateway `json:"gateways"`
	SSO                 *EnvSSO               `json:"sso,omitempty"`
	Hosts               []string              `json:"hosts,omitempty"`
}

type GitOps struct {
	Engine   string       `json:"engine"`
	RepoURL  string       `json:"repoURL"`
	Branch   string       `json:"branch"`
	Path     string       `json:"path"`
	Interval string       `json:"interval"`
	Prune    bool         `json:"prune"`
	SelfHeal bool         `json:"selfHeal"`
	ArgoCD   ArgoCDConfig `json:"argocd"`
	Flux     FluxConfig   `json:"flux"`
}

// Argo reports whether Argo CD objects are generated.
func (g *GitOps) Argo() bool { return g != nil && (g.Engine == "argocd" || g.Engine == "both") }

// UsesFlux reports whether Flux objects are generated.
func (g *GitOps) UsesFlux() bool { return g != nil && (g.Engine == "flux" || g.Engine == "both") }

type ArgoCDConfig struct {
	Namespace string `json:"namespace"`
	Project   string `json:"project"`
}

type FluxConfig struct {
	Namespace string `json:"namespace"`
	Timeout   string `json:"timeout"`
}
