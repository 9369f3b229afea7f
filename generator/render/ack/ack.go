package ack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/object"
)

// Units of the ACK target, in apply order.
const (
	UnitPlatform = "platform"
	UnitApps     = "apps"
)

// Annotations that keep the model PVC out of every prune.
const (
	ArgoSyncOptions = "argocd.argoproj.io/sync-options"
	FluxPrune       = "kustomize.toolkit.fluxcd.io/prune"
)

// Render returns the ACK objects of r. r must have passed generator/check.
// The bodies are shared through pool (nil: each object owns its body).
func Render(r *model.Resolved, pool *object.Pool) ([]object.Object, error) {
	var out []object.Object
	add := func(unit, origin string, v any) error {
		o, err := pool.FromTyped(object.ACK, unit, origin, v)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	}
	tm := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}

	// Namespaces: both join the mesh (the model namespace so that gateway
	// → runtime traffic is mTLS and authorised) and enforce their Pod
	// Security level.
	appNS := meshLabels(r.Mesh.Mode)
	podSecurityLabels(r.PodSecurity.App, appNS)
	if err := add(UnitPlatform, "namespaces.app", &corev1.Namespace{TypeMeta: tm("v1", "Namespace"),
		ObjectMeta: metav1.ObjectMeta{Name: r.Namespaces.App, Labels: appNS}}); err != nil {
		return nil, err
	}
	modelNS := meshLabels(r.Mesh.Mode)
	podSecurityLabels(r.PodSecurity.Models, modelNS)
	if err := add(UnitPlatform, "namespaces.models", &corev1.Namespace{TypeMeta: tm("v1", "Namespace"),
		ObjectMeta: metav1.ObjectMeta{Name: r.Namespaces.Models, Labels: modelNS}}); err != nil {
		return nil, err
	}

	// Service accounts, one per distinct name.
	seenSA := map[string]bool{}
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		if seenSA[s.ServiceAccount] {
			continue
		}
		seenSA[s.ServiceAccount] = true
		if err := add(UnitPlatform, model.Path("services", sn, "serviceAccount"), &corev1.ServiceAccount{
			TypeMeta:   tm("v1", "ServiceAccount"),
			ObjectMeta: metav1.ObjectMeta{Name: s.ServiceAccount, Namespace: r.Namespaces.App},
		}); err != nil {
			return nil, err
		}
	}

	// Model storage and ModelMesh configuration.
	ms := r.ModelServing
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta: tm("v1", "PersistentVolumeClaim"),
		ObjectMeta: metav1.ObjectMeta{Name: ms.PVC.Name, Namespace: ms.Namespace, Annotations: map[string]string{
			ArgoSyncOptions: "Prune=false,Delete=false",
			FluxPrune:       "disabled",
		}},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr.To(ms.PVC.StorageClass),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(ms.PVC.Size),
			}},
		},
	}
	for _, m := range ms.PVC.AccessModes {
		pvc.Spec.AccessModes = append(pvc.Spec.AccessModes, corev1.PersistentVolumeAccessMode(m))
	}
	if err := add(UnitPlatform, "modelServing.pvc", pvc); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("allowAnyPVC: true\ngrpcMaxMessageSizeBytes: %d\n", r.GRPCMaxMessageBytes())
	if ms.ServiceName != model.DefaultInferenceServiceName {
		// The routes point at ms.Host(); ModelMesh creates that Service
		// only when its config names it.
		cfg += "inferenceServiceName: " + ms.ServiceName + "\n"
	}
	if err := add(UnitPlatform, "modelServing", &corev1.ConfigMap{
		TypeMeta:   tm("v1", "ConfigMap"),
		ObjectMeta: metav1.ObjectMeta{Name: "model-serving-config", Namespace: ms.Namespace},
		Data:       map[string]string{"config.yaml": cfg},
	}); err != nil {
		return nil, err
	}

	// Workloads.
	for _, sn := range model.SortedKeys(r.Services) {
		s := r.Services[sn]
		origin := model.Path("services", sn)
		for _, p := range s.Pods() {
			var env []corev1.EnvVar
			if p.Variant != nil {
				env = []corev1.EnvVar{
					{Name: "MODEL_SERVER", Value: r.ModelServer()},
					{Name: "MODEL_NAME", Value: p.Variant.Model},
				}
			}
			for _, o := range workload(r, p, env) {
				if err := add(UnitApps, p.Origin, o); err != nil {
					return nil, err
				}
			}
		}
		svcLabels := map[string]string{"app": s.Name}
		if s.Waypoint && r.Mesh.Mode == "ambient" && r.IstioAtLeast(22) {
			svcLabels["istio.io/use-waypoint"] = r.WaypointName(s)
		}
		if err := add(UnitApps, origin, &corev1.Service{
			TypeMeta:   tm("v1", "Service"),
			ObjectMeta: metav1.ObjectMeta{Name: s.KubeName(), Namespace: r.Namespaces.App, Labels: svcLabels},
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: map[string]string{"app": s.Name},
				Ports: []corev1.ServicePort{{Name: "http", Port: s.Port, Protocol: corev1.ProtocolTCP,
					TargetPort: intstr.FromInt32(s.Port)}},
			},
		}); err != nil {
			return nil, err
		}
		if s.Waypoint && r.Mesh.Mode == "ambient" {
			if err := add(UnitApps, model.Path("services", sn, "waypoint"), waypoint(r, s)); err != nil {
				return nil, err
			}
		}
	}

	// Models.
	if job := loaderJob(r); job != nil {
		if err := add(UnitApps, "modelServing.loader", job); err != nil {
			return nil, err
		}
	}
	for _, mn := range model.SortedKeys(r.Models) {
		m := r.Models[mn]
		spec := ModelSpec{
			ModelFormat: ModelFormat{Name: m.Format, Version: m.FormatVersion},
			Runtime:     r.RuntimeFor(m),
		}
		if m.Storage.Path != "" {
			spec.Storage = &Storage{Path: m.Storage.Path, Parameters: map[string]string{"type": "pvc", "name": ms.PVC.Name}}
		} else {
			spec.StorageURI = m.Storage.URI
		}
		if err := add(UnitApps, model.Path("models", mn), &InferenceService{
			TypeMeta: tm("serving.kserve.io/v1beta1", "InferenceService"),
			ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: ms.Namespace,
				Annotations: map[string]string{"serving.kserve.io/deploymentMode": "ModelMesh"}},
			Spec: InferenceServiceSpec{Predictor: Predictor{Model: spec}},
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func resources(r *model.Resources) corev1.ResourceRequirements {
	var out corev1.ResourceRequirements
	if r == nil {
		return out
	}
	list := func(l *model.ResourceList) corev1.ResourceList {
		if l == nil {
			return nil
		}
		rl := corev1.ResourceList{}
		if l.CPU != "" {
			rl[corev1.ResourceCPU] = resource.MustParse(l.CPU)
		}
		if l.Memory != "" {
			rl[corev1.ResourceMemory] = resource.MustParse(l.Memory)
		}
		return rl
	}
	out.Requests = list(r.Requests)
	out.Limits = list(r.Limits)
	return out
}

// waypoint renders the ambient waypoint of s in the form of the mesh's
// Istio version (C15).
func waypoint(r *model.Resolved, s model.Service) *Gateway {
	g := &Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: r.WaypointName(s), Namespace: r.Namespaces.App},
		Spec:       GatewaySpec{GatewayClassName: "istio-waypoint"},
	}
	// Pin the waypoint's service account (Istio's default name): the
	// least-privilege policies admit the waypoint by this principal.
	g.Annotations = map[string]string{"gateway.istio.io/service-account": r.WaypointServiceAccount(s)}
	if r.IstioAtLeast(22) {
		g.TypeMeta = metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway"}
		g.Labels = map[string]string{"istio.io/waypoint-for": "service"}
		g.Spec.Listeners = []Listener{{Name: "mesh", Port: 15008, Protocol: "HBONE",
			AllowedRoutes: &AllowedRoutes{Namespaces: RouteNamespaces{From: "Same"}}}}
	} else {
		g.TypeMeta = metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1beta1", Kind: "Gateway"}
		g.Annotations["istio.io/for-service-account"] = s.ServiceAccount
		g.Spec.Listeners = []Listener{{Name: "mesh", Port: 15008, Protocol: "HBONE"}}
	}
	return g
}

// loaderJob copies every PVC-stored model from its source onto the model
// PVC. Its name carries a hash of its spec: a Job's pod template is
// immutable, so a changed model list (or image) must be a new Job.
func loaderJob(r *model.Resolved) *batchv1.Job {
	ms := r.ModelServing
	if ms.Loader == nil {
		return nil
	}
	var args []string
	for _, mn := range model.SortedKeys(r.Models) {
		m := r.Models[mn]
		if m.Storage.Path == "" || m.Source == "" {
			continue
		}
		args = append(args, m.Source+"="+"/mnt/models/"+m.Storage.Path)
	}
	if len(args) == 0 {
		return nil
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ms.Namespace, Labels: map[string]string{"app": "model-loader"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To(int32(3)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "model-loader"}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers: []corev1.Container{{
						Name:            "loader",
						Image:           ms.Loader.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            append([]string{"copy"}, args...),
						Resources:       loaderResources,
						VolumeMounts:    []corev1.VolumeMount{{Name: "models", MountPath: "/mnt/models"}},
					}},
					Volumes: []corev1.Volume{{Name: "models", VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ms.PVC.Name},
					}}},
				},
			},
		},
	}
	restrictedPod(&job.Spec.Template.Spec, nil, true, []string{"/tmp"})
	job.Spec.Template.Labels[VersionLabel] = model.VersionLabel(ms.Loader.Image)
	// The name hashes the whole (immutable) spec: any change is a new Job.
	spec, err := json.Marshal(job.Spec)
	if err != nil {
		panic(err) // typed value: cannot fail
	}
	sum := sha256.Sum256(spec)
	job.Name = "model-loader-" + hex.EncodeToString(sum[:])[:8]
	return job
}
