package validate

import (
	"fmt"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aimesh/aimesh/generator/render/object"
)

// LayerKube is the Kubernetes parity layer: the API server's own rules for
// names, labels, ports, quantities and selectors, from the libraries that
// implement them (k8s.io/apimachinery/pkg/util/validation,
// .../api/validation, .../apis/meta/v1/validation, .../api/resource).
// k8s.io/kubernetes/pkg/apis/core/validation itself is not importable
// outside the kubernetes module (it needs replace directives for every
// staging repository), so the rules of pkg/apis/core/validation that apply
// to what aimesh renders are restated here on top of those libraries; the
// real API server tests (generator/live) dry-run every overlay against the
// real implementation.
const LayerKube = "kube"

// nameFunc returns the API server's name rule of a kind.
func nameFunc(kind string) apivalidation.ValidateNameFunc {
	switch kind {
	case "Service":
		return apivalidation.NameIsDNS1035Label
	case "Namespace":
		return apivalidation.ValidateNamespaceName
	}
	// ConfigMap, Secret, ServiceAccount, PVC, Deployment, Job and every
	// custom resource: DNS-1123 subdomain.
	return apivalidation.NameIsDNSSubdomain
}

// clusterScoped lists the built-in cluster-scoped kinds aimesh renders.
var clusterScoped = map[string]bool{"Namespace": true}

// meta validates metadata the way the API server does on create.
func metaErrors(o object.Object) field.ErrorList {
	md, _ := o.Body["metadata"].(map[string]any)
	om, ok := plainMeta(md)
	if !ok {
		if err := strictDecode(md, &om); err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
		}
	}
	namespaced := o.Namespace() != ""
	if isBuiltin(o) {
		namespaced = !clusterScoped[o.Kind()]
	}
	errs := apivalidation.ValidateObjectMeta(&om, namespaced, nameFunc(o.Kind()), field.NewPath("metadata"))
	return errs
}

// plainMeta reads the metadata aimesh renders — name, namespace, labels
// and annotations, all strings — without the JSON round trip of
// strictDecode, which costs more than validating it. Anything else (another
// field, another type, a key spelt in another case, which encoding/json
// would match) returns false, and the caller decodes strictly.
// TestPlainMeta holds it equal to strictDecode.
func plainMeta(md map[string]any) (metav1.ObjectMeta, bool) {
	var om metav1.ObjectMeta
	for k, v := range md {
		var ok bool
		switch k {
		case "name":
			om.Name, ok = v.(string)
		case "namespace":
			om.Namespace, ok = v.(string)
		case "labels":
			om.Labels, ok = stringMap(v)
		case "annotations":
			om.Annotations, ok = stringMap(v)
		}
		if !ok {
			return metav1.ObjectMeta{}, false
		}
	}
	return om, true
}

func stringMap(v any) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}

// nameIsLabel lists the GitOps kinds whose name becomes a label value on
// every object they sync: such a name over 63 characters makes each apply
// fail (fluxcd/flux2#2004; Argo CD's label tracking).
var nameIsLabel = map[schema.GroupKind]string{
	{Group: "kustomize.toolkit.fluxcd.io", Kind: "Kustomization"}: "kustomize.toolkit.fluxcd.io/name",
	{Group: "argoproj.io", Kind: "Application"}:                   "app.kubernetes.io/instance",
}

func isBuiltin(o object.Object) bool {
	switch o.GVK().Group {
	case "", "apps", "batch":
		return true
	}
	return false
}

// kube validates one decoded built-in object (obj may be nil for custom
// resources: only metadata is checked then).
func kube(o object.Object, obj runtime.Object) []Problem {
	errs := metaErrors(o)
	if label, ok := nameIsLabel[o.GVK().GroupKind()]; ok {
		for _, m := range validation.IsValidLabelValue(o.Name()) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), o.Name(),
				"the engine labels every object it applies with "+label+": <this name>, and a label value "+m+
					" (shorten the platform name or the environment name, which the name is made of)"))
		}
	}
	if o.GVK().GroupKind() == istioGatewayKind {
		errs = append(errs, gatewayResources(o)...)
	}
	switch t := obj.(type) {
	case *corev1.Service:
		errs = append(errs, service(t)...)
	case *appsv1.Deployment:
		errs = append(errs, deployment(t)...)
	case *batchv1.Job:
		errs = append(errs, job(t)...)
	case *corev1.PersistentVolumeClaim:
		errs = append(errs, pvc(t)...)
	case *corev1.ConfigMap:
		errs = append(errs, configMap(t)...)
	case *corev1.ServiceAccount, *corev1.Namespace, nil:
	}
	var out []Problem
	for _, e := range errs {
		out = append(out, Problem{Object: o, Layer: LayerKube, Path: e.Field, Message: e.ErrorBody()})
	}
	return out
}

func strs(p *field.Path, value any, msgs []string) field.ErrorList {
	var out field.ErrorList
	for _, m := range msgs {
		out = append(out, field.Invalid(p, value, m))
	}
	return out
}

func service(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	switch s.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		if len(s.Spec.Ports) == 0 && s.Spec.ClusterIP != corev1.ClusterIPNone {
			errs = append(errs, field.Required(spec.Child("ports"), ""))
		}
	case corev1.ServiceTypeExternalName:
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Spec.Type, []string{"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}))
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	for i, p := range s.Spec.Ports {
		pp := spec.Child("ports").Index(i)
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), "when more than one port is defined"))
		}
		if p.Name != "" {
			errs = append(errs, strs(pp.Child("name"), p.Name, validation.IsDNS1123Label(p.Name))...)
			if names[p.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), p.Name))
			}
			names[p.Name] = true
		}
		errs = append(errs, strs(pp.Child("port"), p.Port, validation.IsValidPortNum(int(p.Port)))...)
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		switch proto {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs = append(errs, field.NotSupported(pp.Child("protocol"), proto, []string{"TCP", "UDP", "SCTP"}))
		}
		key := string(proto) + "/" + strconv.Itoa(int(p.Port))
		if ports[key] {
			errs = append(errs, field.Duplicate(pp, key))
		}
		ports[key] = true
		errs = append(errs, targetPort(pp.Child("targetPort"), p.TargetPort.Type == 1, p.TargetPort.StrVal, int(p.TargetPort.IntVal))...)
	}
	errs = append(errs, metavalidation.ValidateLabels(s.Spec.Selector, spec.Child("selector"))...)
	return errs
}

func targetPort(p *field.Path, isString bool, name string, num int) field.ErrorList {
	if isString {
		return strs(p, name, validation.IsValidPortName(name))
	}
	if num == 0 {
		return nil // defaults to port
	}
	return strs(p, num, validation.IsValidPortNum(num))
}

func deployment(d *appsv1.Deployment) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if d.Spec.Replicas != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*d.Spec.Replicas), spec.Child("replicas"))...)
	}
	errs = append(errs, selectorMatches(d.Spec.Selector, d.Spec.Template.Labels, spec, true)...)
	errs = append(errs, podTemplate(&d.Spec.Template, spec.Child("template"))...)
	return errs
}

func job(j *batchv1.Job) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	// The job controller labels its pods with the job name
	// (batch.kubernetes.io/job-name): the name must be a label value.
	errs = append(errs, strs(field.NewPath("metadata", "name"), j.Name, validation.IsValidLabelValue(j.Name))...)
	if j.Spec.Selector != nil {
		errs = append(errs, selectorMatches(j.Spec.Selector, j.Spec.Template.Labels, spec, false)...)
	}
	switch j.Spec.Template.Spec.RestartPolicy {
	case corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	default:
		errs = append(errs, field.NotSupported(spec.Child("template", "spec", "restartPolicy"), j.Spec.Template.Spec.RestartPolicy, []string{"OnFailure", "Never"}))
	}
	for _, f := range []struct {
		name string
		v    *int32
	}{{"parallelism", j.Spec.Parallelism}, {"completions", j.Spec.Completions}, {"backoffLimit", j.Spec.BackoffLimit}} {
		if f.v != nil {
			errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*f.v), spec.Child(f.name))...)
		}
	}
	errs = append(errs, podTemplate(&j.Spec.Template, spec.Child("template"))...)
	return errs
}

// selectorMatches: a workload's selector is valid, non-empty and selects
// its own pod template (apps/v1 and batch/v1 validation).
func selectorMatches(sel *metav1.LabelSelector, tmpl map[string]string, spec *field.Path, required bool) field.ErrorList {
	p := spec.Child("selector")
	if sel == nil {
		if required {
			return field.ErrorList{field.Required(p, "")}
		}
		return nil
	}
	errs := metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, p)
	if len(errs) > 0 {
		return errs
	}
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		return field.ErrorList{field.Invalid(p, sel, "empty selector is invalid for deployment")}
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return field.ErrorList{field.Invalid(p, sel, err.Error())}
	}
	if !s.Matches(labels.Set(tmpl)) {
		return field.ErrorList{field.Invalid(spec.Child("template", "metadata", "labels"), tmpl, "`selector` does not match template `labels`")}
	}
	return nil
}

func podTemplate(t *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := metavalidation.ValidateLabels(t.Labels, p.Child("metadata", "labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, p.Child("metadata", "annotations"))...)
	spec := t.Spec
	sp := p.Child("spec")
	if spec.ServiceAccountName != "" {
		errs = append(errs, strs(sp.Child("serviceAccountName"), spec.ServiceAccountName, apivalidation.ValidateServiceAccountName(spec.ServiceAccountName, false))...)
	}
	volumes := map[string]bool{}
	for i, v := range spec.Volumes {
		vp := sp.Child("volumes").Index(i)
		errs = append(errs, strs(vp.Child("name"), v.Name, validation.IsDNS1123Label(v.Name))...)
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes[v.Name] = true
		if c := v.PersistentVolumeClaim; c != nil {
			errs = append(errs, strs(vp.Child("persistentVolumeClaim", "claimName"), c.ClaimName, validation.IsDNS1123Subdomain(c.ClaimName))...)
		}
	}
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(sp.Child("containers"), ""))
	}
	containerNames := map[string]bool{}
	portNames := map[string]bool{}
	check := func(c corev1.Container, cp *field.Path) {
		errs = append(errs, strs(cp.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))...)
		if containerNames[c.Name] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		containerNames[c.Name] = true
		if c.Image == "" {
			errs = append(errs, field.Required(cp.Child("image"), ""))
		}
		own := map[string]bool{}
		for i, port := range c.Ports {
			pp := cp.Child("ports").Index(i)
			errs = append(errs, strs(pp.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
			if port.Name != "" {
				errs = append(errs, strs(pp.Child("name"), port.Name, validation.IsValidPortName(port.Name))...)
				if portNames[port.Name] {
					errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
				}
				portNames[port.Name] = true
				own[port.Name] = true
			}
		}
		for i, e := range c.Env {
			errs = append(errs, strs(cp.Child("env").Index(i).Child("name"), e.Name, validation.IsRelaxedEnvVarName(e.Name))...)
		}
		for i, m := range c.VolumeMounts {
			mp := cp.Child("volumeMounts").Index(i)
			if !volumes[m.Name] {
				errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
			}
			if m.MountPath == "" {
				errs = append(errs, field.Required(mp.Child("mountPath"), ""))
			}
		}
		for _, pr := range []struct {
			name string
			p    *corev1.Probe
		}{{"readinessProbe", c.ReadinessProbe}, {"livenessProbe", c.LivenessProbe}, {"startupProbe", c.StartupProbe}} {
			if pr.p == nil || pr.p.HTTPGet == nil {
				continue
			}
			port := pr.p.HTTPGet.Port
			pp := cp.Child(pr.name, "httpGet", "port")
			if port.Type == 1 {
				errs = append(errs, strs(pp, port.StrVal, validation.IsValidPortName(port.StrVal))...)
				if !own[port.StrVal] {
					errs = append(errs, field.Invalid(pp, port.StrVal, "no container port with this name"))
				}
			} else {
				errs = append(errs, strs(pp, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))...)
			}
		}
		errs = append(errs, resources(c.Resources, cp.Child("resources"))...)
	}
	for i, c := range spec.InitContainers {
		check(c, sp.Child("initContainers").Index(i))
	}
	for i, c := range spec.Containers {
		check(c, sp.Child("containers").Index(i))
	}
	return errs
}

var istioGatewayKind = schema.GroupKind{Group: "istio.alibabacloud.com", Kind: "IstioGateway"}

// gatewayResources checks an ASM IstioGateway's resources as the API
// server will check the gateway Deployment ASM makes from them.
func gatewayResources(o object.Object) field.ErrorList {
	spec, _ := o.Body["spec"].(map[string]any)
	raw, ok := spec["resources"]
	if !ok {
		return nil
	}
	p := field.NewPath("spec", "resources")
	var r corev1.ResourceRequirements
	if err := strictDecode(raw, &r); err != nil {
		return field.ErrorList{field.Invalid(p, nil, err.Error())}
	}
	return resources(r, p)
}

// resources: quantities are non-negative, requests do not exceed limits.
func resources(r corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, part := range []struct {
		name string
		l    corev1.ResourceList
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, name := range sortedResources(part.l) {
			q := part.l[name]
			if q.Sign() < 0 {
				errs = append(errs, field.Invalid(p.Child(part.name).Key(string(name)), q.String(), "must be greater than or equal to 0"))
			}
		}
	}
	for _, name := range sortedResources(r.Requests) {
		req := r.Requests[name]
		lim, ok := r.Limits[name]
		if ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(name)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	return errs
}

func sortedResources(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func pvc(c *corev1.PersistentVolumeClaim) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if len(c.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), "at least 1 access mode is required"))
	}
	for i, m := range c.Spec.AccessModes {
		switch m {
		case corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod:
		default:
			errs = append(errs, field.NotSupported(spec.Child("accessModes").Index(i), m, []string{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"}))
		}
	}
	sp := spec.Child("resources", "requests").Key(string(corev1.ResourceStorage))
	q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]
	switch {
	case !ok:
		errs = append(errs, field.Required(sp, ""))
	case q.Sign() <= 0:
		errs = append(errs, field.Invalid(sp, q.String(), "must be greater than zero"))
	}
	if sc := c.Spec.StorageClassName; sc != nil && *sc != "" {
		errs = append(errs, strs(spec.Child("storageClassName"), *sc, validation.IsDNS1123Subdomain(*sc))...)
	}
	return errs
}

func configMap(c *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for _, k := range sortedKeys(c.Data) {
		errs = append(errs, strs(field.NewPath("data").Key(k), k, validation.IsConfigMapKey(k))...)
		size += len(k) + len(c.Data[k])
	}
	if size > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", corev1.MaxSecretSize))
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// selectsPods: every Service with a selector selects the pod template of
// at least one workload of its namespace, and a named targetPort is a
// container port of each of them. The API server accepts such a Service;
// it then has no endpoints (the variantLabel collision of issue 9).
func selectsPods(objs []object.Object, refs map[int]*podRef) []Problem {
	type workload struct {
		ns     string
		labels map[string]string
		ports  map[string]bool
	}
	// Workloads by namespace and pod label: a Service's candidates are
	// those carrying the least common pair of its selector, so the check
	// stays linear in the number of objects (a selector matches few pods).
	type pair struct{ ns, key, value string }
	byLabel := map[pair][]workload{}
	for i, o := range objs {
		if r := refs[i]; r != nil && r.workload {
			w := workload{ns: o.Namespace(), labels: r.labels, ports: r.ports}
			for k, v := range r.labels {
				byLabel[pair{w.ns, k, v}] = append(byLabel[pair{w.ns, k, v}], w)
			}
		}
	}
	var out []Problem
	for i, o := range objs {
		r := refs[i]
		if r == nil || r.workload || len(r.selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(r.selector)
		var candidates []workload
		first := true
		for k, v := range r.selector {
			c := byLabel[pair{o.Namespace(), k, v}]
			if first || len(c) < len(candidates) {
				candidates, first = c, false
			}
		}
		var matched []workload
		for _, w := range candidates {
			if sel.Matches(labels.Set(w.labels)) {
				matched = append(matched, w)
			}
		}
		if len(matched) == 0 {
			out = append(out, Problem{Object: o, Layer: LayerKube, Path: "spec.selector",
				Message: fmt.Sprintf("selects no pods: no Deployment in namespace %q has pod labels matching %s", o.Namespace(), sel.String())})
			continue
		}
		for j, name := range r.targetPorts {
			if name == "" {
				continue
			}
			for _, w := range matched {
				if !w.ports[name] {
					out = append(out, Problem{Object: o, Layer: LayerKube, Path: fmt.Sprintf("spec.ports[%d].targetPort", j),
						Message: fmt.Sprintf("named port %q is not a container port of a selected pod", name)})
					break
				}
			}
		}
	}
	return out
}

// podRef is what selectsPods needs of a decoded Deployment (pod labels
// and named container ports) or Service (selector and named targetPorts,
// "" for a number): kept instead of the decoded value, which would hold
// every remembered object's whole typed form in memory.
type podRef struct {
	workload    bool
	labels      map[string]string
	ports       map[string]bool
	selector    map[string]string
	targetPorts []string
}

func refOf(obj runtime.Object) *podRef {
	switch d := obj.(type) {
	case *appsv1.Deployment:
		r := &podRef{workload: true, labels: d.Spec.Template.Labels, ports: map[string]bool{}}
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name != "" {
					r.ports[p.Name] = true
				}
			}
		}
		return r
	case *corev1.Service:
		r := &podRef{selector: d.Spec.Selector}
		for _, p := range d.Spec.Ports {
			name := ""
			if p.TargetPort.Type == intstr.String {
				name = p.TargetPort.StrVal
			}
			r.targetPorts = append(r.targetPorts, name)
		}
		return r
	}
	return nil
}
