package check

import (
	"github.com/aimesh/aimesh/generator/model"
)

// replicasWithAutoscaling: replicas and autoscaling on the same level (a
// service, a variant, or an environment's override of either). An HPA
// owns the replicas of its Deployment; a spec.replicas from Git is
// re-applied on every Argo CD / Flux sync and fights it.
func (c *checker) replicasWithAutoscaling(p *model.Platform) {
	both := func(path string, r *int32, a *model.Autoscaling) {
		if r != nil && a != nil {
			c.errorf(path+".replicas", "remove replicas: autoscaling.min is the floor and the HorizontalPodAutoscaler owns the replica count",
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
		for sn, es := range p.Environments[en].Services {
			both(model.Path("environments", en, "services", sn), es.Replicas, es.Autoscaling)
			for vn, ev := range es.Variants {
				both(model.Path("environments", en, "services", sn, "variants", vn), ev.Replicas, ev.Autoscaling)
			}
		}
	}
}

// autoscalingRequests: a utilisation target needs the matching request;
// without it the HPA reports "missing request" and never scales.
func (c *checker) autoscalingRequests(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		for _, pod := range p.Services[sn].Pods() {
			as := pod.Autoscaling
			if as == nil {
				continue
			}
			var req model.ResourceList
			if pod.Resources != nil && pod.Resources.Requests != nil {
				req = *pod.Resources.Requests
			}
			cpu := as.TargetCPU != nil || as.TargetMemory == nil
			path := pod.Origin + ".autoscaling"
			if cpu && req.CPU == "" {
				c.errorf(path, "set resources.requests.cpu on "+pod.Deployment+" (utilisation is a percentage of the request)",
					"Deployment %s autoscales on CPU but requests no CPU: the HorizontalPodAutoscaler cannot compute utilisation", pod.Deployment)
			}
			if as.TargetMemory != nil && req.Memory == "" {
				c.errorf(path, "set resources.requests.memory on "+pod.Deployment,
					"Deployment %s autoscales on memory but requests no memory", pod.Deployment)
			}
		}
	}
}

// memoryBounded: every container has a memory limit (derived from the
// request when only the request is declared).
func (c *checker) memoryBounded(p *model.Platform) {
	for _, sn := range model.SortedKeys(p.Services) {
		for _, pod := range p.Services[sn].Pods() {
			r := pod.Resources
			if r != nil && ((r.Requests != nil && r.Requests.Memory != "") || (r.Limits != nil && r.Limits.Memory != "")) {
				continue
			}
			c.errorf(pod.Origin, "set resources.requests.memory (the limit defaults to it) or resources.limits.memory",
				"Deployment %s declares no memory: its container would run without a memory limit and can take a node's memory", pod.Deployment)
		}
	}
}
