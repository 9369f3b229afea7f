package ack

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/aimesh/aimesh/generator/model"
)

// Pod Security Standards namespace labels.
const (
	PSAEnforce = "pod-security.kubernetes.io/enforce"
	PSAWarn    = "pod-security.kubernetes.io/warn"
	PSAAudit   = "pod-security.kubernetes.io/audit"
)

// VersionLabel is the pod label Istio telemetry reads the workload
// version from.
const VersionLabel = "version"

// podSecurityLabels labels a namespace with the level it enforces; warn
// and audit always report against restricted, so an opt-out stays visible.
func podSecurityLabels(ps model.PodSecurity, into map[string]string) {
	level := ps.Enforce
	if level == "" {
		level = "restricted"
	}
	into[PSAEnforce] = level
	into[PSAWarn] = "restricted"
	into[PSAAudit] = "restricted"
}

// restrictedPod applies Pod Security "restricted" to a pod spec: non-root,
// RuntimeDefault seccomp, and on every container no privilege escalation,
// all capabilities dropped, and a read-only root filesystem when readOnly
// (with an emptyDir on each writable path).
func restrictedPod(spec *corev1.PodSpec, runAsUser *int64, readOnly bool, writable []string) {
	spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      runAsUser,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		c.SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
		if readOnly {
			c.SecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
			for j, p := range writable {
				name := fmt.Sprintf("writable-%d", j)
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: p})
				if i == 0 {
					spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name,
						VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
				}
			}
		}
	}
}

// probe renders p against the container's named port "http" (or p's port).
func probe(p *model.Probe, port int32) *corev1.Probe {
	if p == nil {
		return nil
	}
	at := func(n int32) intstr.IntOrString {
		if n == 0 || n == port {
			return intstr.FromString("http")
		}
		return intstr.FromInt32(n)
	}
	out := &corev1.Probe{PeriodSeconds: p.PeriodSeconds, TimeoutSeconds: p.TimeoutSeconds,
		FailureThreshold: p.FailureThreshold}
	if p.InitialDelaySeconds != nil {
		out.InitialDelaySeconds = *p.InitialDelaySeconds
	}
	switch {
	case p.HTTP != nil:
		out.HTTPGet = &corev1.HTTPGetAction{Path: p.HTTP.Path, Port: at(p.HTTP.Port)}
	case p.GRPC != nil:
		n := p.GRPC.Port
		if n == 0 {
			n = port
		}
		out.GRPC = &corev1.GRPCAction{Port: n}
		if p.GRPC.Service != "" {
			out.GRPC.Service = ptr.To(p.GRPC.Service)
		}
	default:
		n := int32(0)
		if p.TCP != nil {
			n = p.TCP.Port
		}
		out.TCPSocket = &corev1.TCPSocketAction{Port: at(n)}
	}
	// Server defaults that are not written (seed-differences: defaulted fields).
	if out.TimeoutSeconds == 1 {
		out.TimeoutSeconds = 0
	}
	if out.PeriodSeconds == 10 {
		out.PeriodSeconds = 0
	}
	if out.FailureThreshold == 3 {
		out.FailureThreshold = 0
	}
	return out
}

// memoryLimited returns res with limits.memory derived from
// requests.memory when only the request is declared: a container without
// a memory limit can take a node's memory.
func memoryLimited(res *model.Resources) *model.Resources {
	if res == nil || res.Requests == nil || res.Requests.Memory == "" {
		return res
	}
	if res.Limits != nil && res.Limits.Memory != "" {
		return res
	}
	out := *res
	lim := model.ResourceList{Memory: res.Requests.Memory}
	if res.Limits != nil {
		lim.CPU = res.Limits.CPU
	}
	out.Limits = &lim
	return &out
}

// spread renders the topology spread constraints of a scaled-out pod.
func spread(ts *model.TopologySpread, labels map[string]string) []corev1.TopologySpreadConstraint {
	if ts == nil {
		return nil
	}
	var out []corev1.TopologySpreadConstraint
	add := func(key string) {
		out = append(out, corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       key,
			WhenUnsatisfiable: corev1.UnsatisfiableConstraintAction(ts.WhenUnsatisfiable),
			LabelSelector:     &metav1.LabelSelector{MatchLabels: labels},
			// Spread each rollout's pods, not old and new together.
			MatchLabelKeys: []string{"pod-template-hash"},
		})
	}
	if ts.Zones {
		add(corev1.LabelTopologyZone)
	}
	if ts.Nodes {
		add(corev1.LabelHostname)
	}
	return out
}

// pdb keeps all but one pod of a scaled-out Deployment up during
// voluntary disruptions (node drains, cluster upgrades).
func pdb(ns, name string, labels map[string]string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": labels["app"]}},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
		},
	}
}

// hpa renders the autoscaling/v2 HorizontalPodAutoscaler of a Deployment.
func hpa(ns, name, app string, as *model.Autoscaling) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    ptr.To(as.Min),
			MaxReplicas:    as.Max,
		},
	}
	metric := func(r corev1.ResourceName, pct int32) autoscalingv2.MetricSpec {
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: r, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(pct)}}}
	}
	cpu := as.TargetCPU
	if cpu == nil && as.TargetMemory == nil {
		cpu = ptr.To(int32(model.DefaultTargetCPU))
	}
	if cpu != nil {
		h.Spec.Metrics = append(h.Spec.Metrics, metric(corev1.ResourceCPU, *cpu))
	}
	if as.TargetMemory != nil {
		h.Spec.Metrics = append(h.Spec.Metrics, metric(corev1.ResourceMemory, *as.TargetMemory))
	}
	return h
}

// workload renders the Deployment of pod p and, when it is scaled out,
// its PodDisruptionBudget and HorizontalPodAutoscaler.
func workload(r *model.Resolved, p model.Pod, extraEnv []corev1.EnvVar) []any {
	s := p.Service
	ns := r.Namespaces.App
	var env []corev1.EnvVar
	for _, k := range model.SortedKeys(s.Env) {
		env = append(env, corev1.EnvVar{Name: k, Value: s.Env[k]})
	}
	env = append(env, extraEnv...)
	tmplLabels := map[string]string{VersionLabel: model.VersionLabel(p.Image)}
	for k, v := range p.Labels {
		tmplLabels[k] = v
	}
	spec := corev1.PodSpec{
		ServiceAccountName: s.ServiceAccount,
		Containers: []corev1.Container{{
			Name:            p.Deployment,
			Image:           p.Image,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Env:             env,
			Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: s.Port, Protocol: corev1.ProtocolTCP}},
			Resources:       resources(memoryLimited(p.Resources)),
			ReadinessProbe:  probe(p.Probes.Readiness, s.Port),
			LivenessProbe:   probe(p.Probes.Liveness, s.Port),
			StartupProbe:    probe(p.Probes.Startup, s.Port),
		}},
	}
	restrictedPod(&spec, p.RunAsUser, p.ReadOnlyFS, p.Writable)
	if p.ScaledOut() {
		spec.TopologySpreadConstraints = spread(r.Env.TopologySpread, p.Labels)
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Deployment, Namespace: ns, Labels: map[string]string{"app": s.Name}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: p.Labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge: ptr.To(intstr.FromString("25%")), MaxUnavailable: ptr.To(intstr.FromString("25%"))}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: tmplLabels}, Spec: spec},
		},
	}
	// An HPA owns the replicas of its Deployment: a spec.replicas in Git
	// would be re-applied by Argo CD / Flux on every sync, fighting it.
	if p.Autoscaling == nil {
		d.Spec.Replicas = ptr.To(p.Replicas)
	}
	out := []any{d}
	if p.ScaledOut() {
		out = append(out, pdb(ns, p.Deployment, p.Labels))
	}
	if p.Autoscaling != nil {
		out = append(out, hpa(ns, p.Deployment, s.Name, p.Autoscaling))
	}
	return out
}

// loaderResources: the model-loader copies files; its memory is bounded.
var loaderResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100m"),
		corev1.ResourceMemory: resource.MustParse("256Mi"),
	},
	Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
}

// meshLabels are the namespace labels that put a namespace in the mesh.
func meshLabels(mode string) map[string]string {
	if strings.EqualFold(mode, "ambient") {
		return map[string]string{"istio.io/dataplane-mode": "ambient"}
	}
	return map[string]string{"istio-injection": "enabled"}
}
