package check

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// Family "workloads": Deployments that an HPA, a node drain and Pod
// Security admission can live with (render/ack derives the rest).

var ReplicasWithAutoscaling = rule(Rule{
	ID: "AM0701", Name: "replicas-with-autoscaling", Family: "workloads", Scope: OnPlatform,
	Prevents: "Argo CD / Flux resetting the autoscaler's replica count on every sync: replicas and autoscaling on the same level (service, variant, or an environment's override of either); an autoscaled Deployment is emitted without spec.replicas",
	platform: func(c *Ctx, p *model.Platform) {
		both := func(path string, r *int32, a *model.Autoscaling) {
			if r != nil && a != nil {
				c.Report(path+".replicas", "remove replicas: autoscaling.min is the floor and the HorizontalPodAutoscaler owns the replica count",
					"replicas and autoscaling are both set: Argo CD / Flux would reset the autoscaler's replica count on every sync")
			}
		}
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			both(model.Path("services", sn), s.Replicas, s.Autoscaling)
			for _, vn := range model.SortedKeys(s.Variants) {
				v := s.Variants[vn]
				both(model.Path("services", sn, "variants", vn), v.Replicas, v.Autoscaling)
			}
		}
		for _, en := range p.EnvNames() {
			e := p.Environments[en]
			for _, sn := range model.SortedKeys(e.Services) {
				es := e.Services[sn]
				both(model.Path("environments", en, "services", sn), es.Replicas, es.Autoscaling)
				for _, vn := range model.SortedKeys(es.Variants) {
					ev := es.Variants[vn]
					both(model.Path("environments", en, "services", sn, "variants", vn), ev.Replicas, ev.Autoscaling)
				}
			}
		}
	},
})

var AutoscalingNeedsRequests = rule(Rule{
	ID: "AM0702", Name: "autoscaling-needs-requests", Family: "workloads", Scope: OnEnvironment,
	Prevents: "an HPA that never scales (\"missing request for cpu\"): a utilisation target needs the matching resource request",
	platform: func(c *Ctx, p *model.Platform) {
		eachPod(p, func(_ string, pod model.Pod) {
			as := pod.Autoscaling
			if as == nil {
				return
			}
			var req model.ResourceList
			if pod.Resources != nil && pod.Resources.Requests != nil {
				req = *pod.Resources.Requests
			}
			path := pod.Origin + ".autoscaling"
			if (as.TargetCPU != nil || as.TargetMemory == nil) && req.CPU == "" {
				c.Report(path, "set resources.requests.cpu for "+pod.Deployment+" (utilisation is a percentage of the request)",
					"Deployment %s autoscales on CPU but requests no CPU: the HorizontalPodAutoscaler cannot compute utilisation", pod.Deployment)
			}
			if as.TargetMemory != nil && req.Memory == "" {
				c.Report(path, "set resources.requests.memory for "+pod.Deployment,
					"Deployment %s autoscales on memory but requests no memory: the HorizontalPodAutoscaler cannot compute utilisation", pod.Deployment)
			}
		})
	},
})

var RequestsWithinLimits = rule(Rule{
	ID: "AM0708", Name: "requests-within-limits", Family: "workloads", Scope: OnEnvironment,
	Prevents: "a Deployment the API server rejects (a request above its limit), reported at the resources an environment override sets rather than at the service: the request and the limit often come from different places (the base platform and environments.<env>)",
	platform: func(c *Ctx, p *model.Platform) {
		eachPod(p, func(_ string, pod model.Pod) {
			r := pod.Resources
			if r == nil || r.Requests == nil || r.Limits == nil {
				return
			}
			at := c.At(pod.Origin + ".resources")
			for _, q := range []struct{ name, req, lim string }{
				{"cpu", r.Requests.CPU, r.Limits.CPU},
				{"memory", r.Requests.Memory, r.Limits.Memory},
			} {
				req, err1 := resource.ParseQuantity(q.req)
				lim, err2 := resource.ParseQuantity(q.lim)
				if q.req == "" || q.lim == "" || err1 != nil || err2 != nil || req.Cmp(lim) <= 0 {
					continue
				}
				c.Report(at+".limits."+q.name, "raise the limit or lower the request (where each is set: the base platform or this environment's override)",
					"Deployment %s requests %s %s, above its limit of %s: the API server rejects it", pod.Deployment, q.name, q.req, q.lim)
			}
		})
	},
})

var CPUWholeMillicores = rule(Rule{
	ID: "AM0710", Name: "cpu-whole-millicores", Family: "workloads", Scope: OnEnvironment,
	Severity: diag.Warning,
	Prevents: "a pod that gets more CPU than written: a CPU request or limit finer than 1m (0.0001, 1.5m) is stored as written (100u, 1500u), but Kubernetes schedules and limits in whole millicores and rounds it up",
	platform: func(c *Ctx, p *model.Platform) {
		eachPod(p, func(_ string, pod model.Pod) {
			r := pod.Resources
			if r == nil {
				return
			}
			at := c.At(pod.Origin + ".resources")
			for _, q := range []struct {
				kind, noun string
				set        *model.ResourceList
			}{{"requests", "request", r.Requests}, {"limits", "limit", r.Limits}} {
				if q.set == nil || q.set.CPU == "" {
					continue
				}
				v, err := resource.ParseQuantity(q.set.CPU)
				if err != nil || v.ScaledValue(resource.Nano) == v.MilliValue()*1_000_000 {
					continue
				}
				c.Report(at+"."+q.kind+".cpu", fmt.Sprintf("write whole millicores (%dm), the CPU the pod gets", v.MilliValue()),
					"the cpu %s %s of Deployment %s is finer than a millicore: Kubernetes rounds it up to %dm", q.noun, q.set.CPU, pod.Deployment, v.MilliValue())
			}
		})
	},
})

var RoutedToZeroReplicas = rule(Rule{
	ID: "AM0709", Name: "routed-to-zero-replicas", Family: "workloads", Scope: OnEnvironment,
	Severity: diag.Warning,
	Prevents: "requests failing with 503 (no healthy upstream): a Deployment scaled to zero replicas, without autoscaling, behind a gateway exposure, another service's calls or a tier class",
	platform: func(c *Ctx, p *model.Platform) {
		routed := map[string]string{} // service name → why it receives traffic
		for _, sn := range model.SortedKeys(p.Services) {
			s := p.Services[sn]
			if s.Exposure != nil {
				routed[sn] = "exposed at gateway " + s.Exposure.Gateway
			}
			for _, callee := range s.Calls {
				if _, ok := routed[callee]; !ok {
					routed[callee] = "called by " + sn
				}
			}
		}
		tiers := map[string]string{} // service/variant → tier class
		var classes map[string]model.Tier
		if p.Tiers != nil {
			classes = p.Tiers.Classes
		}
		for _, tn := range model.SortedKeys(classes) {
			t := classes[tn]
			if _, ok := tiers[t.Service+"/"+t.Variant]; !ok {
				tiers[t.Service+"/"+t.Variant] = tn
			}
		}
		eachPod(p, func(sn string, pod model.Pod) {
			if pod.Autoscaling != nil || pod.Replicas != 0 {
				return
			}
			why, path := routed[sn], model.Path("services", sn)
			if pod.Variant != nil {
				if tn, ok := tiers[sn+"/"+pod.Variant.Name]; ok {
					why = "the target of tier class " + tn
				}
				if pod.Variant.Replicas != nil {
					path = pod.Origin
				}
			}
			if why == "" {
				return
			}
			c.Report(path+".replicas", "give it at least one replica (or autoscaling), or stop routing to it",
				"Deployment %s has 0 replicas but is %s: its requests fail with 503 (no healthy upstream)", pod.Deployment, why)
		})
	},
})

var MemoryBounded = rule(Rule{
	ID: "AM0703", Name: "memory-bounded", Family: "workloads", Scope: OnEnvironment,
	Prevents: "a container without a memory limit taking a node's memory: every Deployment declares memory (the limit defaults to the request)",
	platform: func(c *Ctx, p *model.Platform) {
		eachPod(p, func(_ string, pod model.Pod) {
			r := pod.Resources
			if r != nil && ((r.Requests != nil && r.Requests.Memory != "") || (r.Limits != nil && r.Limits.Memory != "")) {
				return
			}
			c.Report(pod.Origin, "set resources.requests.memory (the limit defaults to it) or resources.limits.memory",
				"Deployment %s declares no memory: its container would run without a memory limit", pod.Deployment)
		})
	},
})

var ProbeOneHandler = rule(Rule{
	ID: "AM0707", Name: "probe-one-handler", Family: "workloads", Scope: OnPlatform,
	Prevents: "a probe silently losing a check: a Kubernetes probe has one handler, so a probe declaring two of http, grpc and tcp would keep only the first",
	platform: func(c *Ctx, p *model.Platform) {
		eachWorkload(p, func(path, _ string, w model.Workload) {
			eachProbe(path, w, func(at, kind string, pr *model.Probe) {
				var set []string
				if pr.HTTP != nil {
					set = append(set, "http")
				}
				if pr.GRPC != nil {
					set = append(set, "grpc")
				}
				if pr.TCP != nil {
					set = append(set, "tcp")
				}
				if len(set) > 1 {
					c.Report(at+"."+set[1], "keep only one of "+strings.Join(set, ", ")+" in this probe (a probe without any checks the port over TCP)",
						"the %s probe declares %s: a Kubernetes probe runs exactly one handler", kind, strings.Join(set, " and "))
				}
			})
		})
	},
})

// eachWorkload calls f with the workload knobs as the CUE writes them: of
// every service, then of each of its variants, with their CUE path and
// the Deployments they describe.
func eachWorkload(p *model.Platform, f func(path, deployments string, w model.Workload)) {
	for _, sn := range model.SortedKeys(p.Services) {
		s := p.Services[sn]
		f(model.Path("services", sn), "the pods of service "+strconv.Quote(sn), s.Workload)
		for _, vn := range model.SortedKeys(s.Variants) {
			f(model.Path("services", sn, "variants", vn), "the pods of Deployment "+s.DeploymentName(s.Variants[vn]), s.Variants[vn].Workload)
		}
	}
}

// eachPod calls f with every Deployment the platform renders (model.Pod:
// a service's, or one per variant) and its service's name, in service
// order.
func eachPod(p *model.Platform, f func(service string, pod model.Pod)) {
	for _, sn := range model.SortedKeys(p.Services) {
		for _, pod := range p.Services[sn].Pods() {
			f(sn, pod)
		}
	}
}

// eachProbe calls f with every probe w declares, its CUE path (below
// path) and its kind.
func eachProbe(path string, w model.Workload, f func(at, kind string, pr *model.Probe)) {
	if w.Probes == nil {
		return
	}
	for _, kp := range []struct {
		kind string
		p    *model.Probe
	}{{"readiness", w.Probes.Readiness}, {"liveness", w.Probes.Liveness}, {"startup", w.Probes.Startup}} {
		if kp.p != nil {
			f(path+".probes."+kp.kind, kp.kind, kp.p)
		}
	}
}

var (
	_ = rule(Rule{
		ID: "AM0704", Cases: []string{"golden/checks/restricted-opt-out"}, Name: "pod-security-restricted", Family: "workloads", Scope: Elsewhere,
		Where:    "schemas/platform.cue, generator/render/ack",
		Prevents: "pods rejected by Pod Security admission or running privileged: every pod template is restricted (non-root, RuntimeDefault seccomp, no privilege escalation, capabilities dropped, read-only root filesystem by default); namespaces enforce restricted unless opted out with a reason (podSecurity); tested on a real kube-apiserver",
	})
	_ = rule(Rule{
		ID: "AM0705", Cases: []string{"golden/checks/probe-defaults"}, Name: "probes-derived", Family: "workloads", Scope: Elsewhere,
		Where:    "generator/model, generator/render/ack",
		Prevents: "traffic to pods that are not ready and hung pods never restarted: readiness (HTTP readinessPath or TCP), liveness (TCP) and, for model-bound variants, a startup probe, unless probes declares them",
	})
	_ = rule(Rule{
		ID: "AM0706", Cases: []string{"golden/checks/hpa-with-replicas"}, Name: "disruption-budget-and-spread", Family: "workloads", Scope: Elsewhere,
		Where:    "generator/render/ack",
		Prevents: "a drain or a zone outage taking every replica: a PodDisruptionBudget for every Deployment with 2+ replicas or an HPA, topology spreading where the environment sets topologySpread",
	})
)
