package model

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Resolved is the platform as one environment sees it: the base platform
// with the environment's overrides applied.
type Resolved struct {
	Platform
	Env Environment
	// Origin maps the CUE path of a base value to the path of the
	// environment override that replaced it.
	Origin map[string]string
}

// At returns the CUE path that produced the value at base path p in this
// environment: the override's path when the environment replaced it.
func (r *Resolved) At(p string) string {
	if o, ok := r.Origin[p]; ok {
		return o
	}
	return p
}

// EnvNames returns the environment names, sorted.
func (p *Platform) EnvNames() []string {
	return SortedKeys(p.Environments)
}

// SortedKeys returns the keys of m in lexical order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Resolve applies environment env's overrides to a copy of p.
func (p *Platform) Resolve(env string) (*Resolved, error) {
	e, ok := p.Environments[env]
	if !ok {
		return nil, fmt.Errorf("environment %q is not defined (defined: %v)", env, p.EnvNames())
	}
	var cp Platform
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, err
	}
	r := &Resolved{Platform: cp, Env: e, Origin: map[string]string{}}
	envPath := func(l ...any) string { return Path(append([]any{"environments", env}, l...)...) }

	for _, sn := range SortedKeys(e.Services) {
		es := e.Services[sn]
		s, ok := r.Services[sn]
		if !ok {
			continue // reported by check.References
		}
		// An environment's replicas or autoscaling replaces both of the
		// base level's: scaling is decided by one level (an HPA owns the
		// replicas of its Deployment).
		if es.Replicas != nil || es.Autoscaling != nil {
			s.Replicas, s.Autoscaling = es.Replicas, es.Autoscaling
			r.Origin[Path("services", sn, "replicas")] = envPath("services", sn, "replicas")
			r.Origin[Path("services", sn, "autoscaling")] = envPath("services", sn, "autoscaling")
		}
		if es.Image != "" {
			s.Image = es.Image
			r.Origin[Path("services", sn, "image")] = envPath("services", sn, "image")
		}
		if es.Resources != nil {
			s.Resources = es.Resources
			r.Origin[Path("services", sn, "resources")] = envPath("services", sn, "resources")
		}
		for _, vn := range SortedKeys(es.Variants) {
			ev := es.Variants[vn]
			v, ok := s.Variants[vn]
			if !ok {
				continue
			}
			if ev.Replicas != nil || ev.Autoscaling != nil {
				v.Replicas, v.Autoscaling = ev.Replicas, ev.Autoscaling
				r.Origin[Path("services", sn, "variants", vn, "replicas")] = envPath("services", sn, "variants", vn, "replicas")
				r.Origin[Path("services", sn, "variants", vn, "autoscaling")] = envPath("services", sn, "variants", vn, "autoscaling")
			}
			if ev.Image != "" {
				v.Image = ev.Image
				r.Origin[Path("services", sn, "variants", vn, "image")] = envPath("services", sn, "variants", vn, "image")
			}
			if ev.Resources != nil {
				v.Resources = ev.Resources
				r.Origin[Path("services", sn, "variants", vn, "resources")] = envPath("services", sn, "variants", vn, "resources")
			}
			s.Variants[vn] = v
		}
		r.Services[sn] = s
	}
	for _, gn := range SortedKeys(e.Gateways) {
		eg := e.Gateways[gn]
		g, ok := r.Gateways[gn]
		if !ok {
			continue
		}
		if eg.Replicas != nil {
			g.Replicas = eg.Replicas
			r.Origin[Path("gateways", gn, "replicas")] = envPath("gateways", gn, "replicas")
		}
		if eg.ServiceType != "" {
			g.ServiceType = eg.ServiceType
			r.Origin[Path("gateways", gn, "serviceType")] = envPath("gateways", gn, "serviceType")
		}
		r.Gateways[gn] = g
	}
	if e.SSO != nil && r.SSO != nil {
		set := func(dst *string, v, field string) {
			if v != "" {
				*dst = v
				r.Origin[Path("sso", field)] = envPath("sso", field)
			}
		}
		set(&r.SSO.Issuer, e.SSO.Issuer, "issuer")
		set(&r.SSO.JWKSURI, e.SSO.JWKSURI, "jwksUri")
		set(&r.SSO.ClientID, e.SSO.ClientID, "clientID")
		set(&r.SSO.RedirectHost, e.SSO.RedirectHost, "redirectHost")
	}
	if len(e.Hosts) > 0 {
		for _, sn := range SortedKeys(r.Services) {
			s := r.Services[sn]
			if s.Exposure != nil {
				s.Exposure.Hosts = append([]string(nil), e.Hosts...)
				r.Origin[Path("services", sn, "exposure", "hosts")] = envPath("hosts")
				r.Services[sn] = s
			}
		}
	}
	return r, nil
}
