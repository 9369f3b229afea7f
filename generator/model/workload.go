package model

import (
	"regexp"
	"strings"
)

// Workload, probes, autoscaling, Pod Security and topology spreading
// (issue 12). The types mirror the issue-12 block of schemas/platform.cue.

type ProbeHTTP struct {
	Path string `json:"path"`
	Port int32  `json:"port,omitempty"`
}

type ProbeGRPC struct {
	Port    int32  `json:"port,omitempty"`
	Service string `json:"service,omitempty"`
}

type ProbeTCP struct {
	Port int32 `json:"port,omitempty"`
}

type Probe struct {
	HTTP                *ProbeHTTP `json:"http,omitempty"`
	GRPC                *ProbeGRPC `json:"grpc,omitempty"`
	TCP                 *ProbeTCP  `json:"tcp,omitempty"`
	InitialDelaySeconds *int32     `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       int32      `json:"periodSeconds"`
	TimeoutSeconds      int32      `json:"timeoutSeconds"`
	FailureThreshold    int32      `json:"failureThreshold"`
}

type Probes struct {
	Readiness *Probe `json:"readiness,omitempty"`
	Liveness  *Probe `json:"liveness,omitempty"`
	Startup   *Probe `json:"startup,omitempty"`
}

type Autoscaling struct {
	Min          int32  `json:"min"`
	Max          int32  `json:"max"`
	TargetCPU    *int32 `json:"targetCPU,omitempty"`
	TargetMemory *int32 `json:"targetMemory,omitempty"`
}

// DefaultTargetCPU is the CPU utilisation target of an HPA that declares none.
const DefaultTargetCPU = 80

// Workload holds the pod knobs shared by services and variants.
type Workload struct {
	Probes                 *Probes      `json:"probes,omitempty"`
	Autoscaling            *Autoscaling `json:"autoscaling,omitempty"`
	ReadOnlyRootFilesystem *bool        `json:"readOnlyRootFilesystem,omitempty"`
	WritablePaths          []string     `json:"writablePaths,omitempty"`
	RunAsUser              *int64       `json:"runAsUser,omitempty"`
}

type PodSecurity struct {
	Enforce string `json:"enforce"`
	Reason  string `json:"reason,omitempty"`
}

type PodSecurityLevels struct {
	App    PodSecurity `json:"app"`
	Models PodSecurity `json:"models"`
}

type TopologySpread struct {
	Zones             bool   `json:"zones"`
	Nodes             bool   `json:"nodes"`
	WhenUnsatisfiable string `json:"whenUnsatisfiable"`
}

// Pod is one Deployment of the platform, with every knob resolved: the
// variant's value where it sets one, else the service's.
type Pod struct {
	Service     Service
	Variant     *Variant // nil for a service without variants
	Origin      string   // CUE path of the service or variant
	Deployment  string
	Image       string
	Labels      map[string]string // selector labels
	Replicas    int32             // when Autoscaling is nil
	Autoscaling *Autoscaling
	Resources   *Resources
	Probes      Probes // derived where the CUE has none
	ReadOnlyFS  bool
	Writable    []string
	RunAsUser   *int64
}

// Pods returns every Deployment of service s, variants sorted by name.
func (s Service) Pods() []Pod {
	if len(s.Variants) == 0 {
		return []Pod{s.pod(nil)}
	}
	var out []Pod
	for _, v := range s.SortedVariants() {
		out = append(out, s.pod(&v))
	}
	return out
}

func (s Service) pod(v *Variant) Pod {
	p := Pod{Service: s, Variant: v, Origin: Path("services", s.Name), Deployment: s.Name, Image: s.Image,
		Labels: map[string]string{"app": s.Name}, Resources: s.Resources}
	w := s.Workload
	replicas, as := s.Replicas, s.Autoscaling
	if v != nil {
		p.Origin = Path("services", s.Name, "variants", v.Name)
		p.Deployment = s.DeploymentName(*v)
		p.Image = v.Image
		p.Labels[s.VariantLabel] = v.Name
		if v.Resources != nil {
			p.Resources = v.Resources
		}
		// The variant decides scaling when it says anything about it.
		if v.Replicas != nil || v.Autoscaling != nil {
			replicas, as = v.Replicas, v.Autoscaling
		}
		w = w.overlay(v.Workload)
	}
	p.Autoscaling = as
	p.Replicas = 1
	if replicas != nil {
		p.Replicas = *replicas
	}
	p.ReadOnlyFS = w.ReadOnlyRootFilesystem == nil || *w.ReadOnlyRootFilesystem
	p.Writable = w.WritablePaths
	if p.Writable == nil {
		p.Writable = []string{"/tmp"}
	}
	p.RunAsUser = w.RunAsUser
	p.Probes = s.derivedProbes(v != nil && v.Model != "", w.Probes)
	return p
}

// overlay returns w with the fields that o sets replacing w's.
func (w Workload) overlay(o Workload) Workload {
	if o.Probes != nil {
		w.Probes = o.Probes
	}
	if o.ReadOnlyRootFilesystem != nil {
		w.ReadOnlyRootFilesystem = o.ReadOnlyRootFilesystem
	}
	if o.WritablePaths != nil {
		w.WritablePaths = o.WritablePaths
	}
	if o.RunAsUser != nil {
		w.RunAsUser = o.RunAsUser
	}
	return w
}

// StartupFailureThreshold is the derived startup probe's threshold: 30
// periods of 10 s give a model-bound variant five minutes to warm up.
const StartupFailureThreshold = 30

// derivedProbes fills the probes the CUE leaves out: readiness from
// readinessPath (HTTP) or the port (TCP), liveness a TCP check of the port,
// and for variants bound to a model a startup probe (the readiness check,
// 30 × 10 s) so liveness does not kill a slow warm-up.
func (s Service) derivedProbes(modelBound bool, set *Probes) Probes {
	var out Probes
	if set != nil {
		out = *set
	}
	ready := Probe{TCP: &ProbeTCP{}, PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}
	if s.ReadinessPath != "" {
		ready = Probe{HTTP: &ProbeHTTP{Path: s.ReadinessPath}, PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}
	}
	if out.Readiness == nil {
		r := ready
		out.Readiness = &r
	}
	if out.Liveness == nil {
		out.Liveness = &Probe{TCP: &ProbeTCP{}, PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}
	}
	if out.Startup == nil && modelBound {
		st := *out.Readiness
		st.FailureThreshold = StartupFailureThreshold
		st.InitialDelaySeconds = nil
		out.Startup = &st
	}
	return out
}

// ScaledOut reports whether the pod runs 2 or more replicas or autoscales:
// it then gets a PodDisruptionBudget and topology spreading.
func (p Pod) ScaledOut() bool { return p.Autoscaling != nil || p.Replicas >= 2 }

var labelValueRE = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

// VersionLabel derives the `version` pod label from an image reference:
// the tag; for a digest-only reference "sha256-" and the first 12 hex
// digits; "latest" for a reference with neither. The value is cut to a
// valid label value (63 characters, alphanumeric at both ends).
func VersionLabel(image string) string {
	ref, digest, _ := strings.Cut(image, "@")
	last := ref[strings.LastIndex(ref, "/")+1:]
	var v string
	if i := strings.LastIndex(last, ":"); i >= 0 {
		v = last[i+1:]
	} else if d, ok := strings.CutPrefix(digest, "sha256:"); ok && len(d) >= 12 {
		v = "sha256-" + d[:12]
	} else {
		v = "latest"
	}
	if len(v) > 63 {
		v = v[:63]
	}
	v = strings.TrimRight(v, "-_.")
	v = strings.TrimLeft(v, "-_.")
	if v == "" || !labelValueRE.MatchString(v) {
		return "unknown"
	}
	return v
}

// Principal is the SPIFFE principal of service account sa in namespace ns
// as AuthorizationPolicy spells it.
func (p *Platform) Principal(ns, sa string) string {
	td := p.Mesh.TrustDomain
	if td == "" {
		td = "cluster.local"
	}
	return td + "/ns/" + ns + "/sa/" + sa
}

// WaypointServiceAccount is the service account of the waypoint of s:
// Istio's default for the waypoint's Deployment (before 1.22
// <gateway>-istio-waypoint, from 1.22 the Gateway's name), also pinned
// with the gateway.istio.io/service-account annotation.
func (p *Platform) WaypointServiceAccount(s Service) string {
	if p.IstioAtLeast(22) {
		return p.WaypointName(s)
	}
	return p.WaypointName(s) + "-istio-waypoint"
}

// CallerIndex maps every called service to the services that declare a
// call to it (sorted), in one pass over the calls, so that code asking
// for the callers of every service stays linear.
func (p *Platform) CallerIndex() map[string][]string {
	out := map[string][]string{}
	for _, cn := range SortedKeys(p.Services) {
		seen := map[string]bool{}
		for _, c := range p.Services[cn].Calls {
			if !seen[c] {
				seen[c] = true
				out[c] = append(out[c], cn)
			}
		}
	}
	return out
}

// ModelCallers returns the services with at least one variant bound to a
// model: they call the model gateway.
func (p *Platform) ModelCallers() []string {
	var out []string
	for _, sn := range SortedKeys(p.Services) {
		for _, v := range p.Services[sn].Variants {
			if v.Model != "" {
				out = append(out, sn)
				break
			}
		}
	}
	return out
}
