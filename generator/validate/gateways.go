package validate

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aimesh/aimesh/generator/render/object"
)

// LayerMesh holds the Istio rules the admission webhook does not enforce
// (or enforces only per object): TLS settings of HTTPS/TLS gateway servers,
// host spelling, and one owner per gateway port and host across objects.
const LayerMesh = "mesh"

// meshHosts checks the hosts of Gateway servers and VirtualServices: "*",
// a DNS-1123 subdomain, or one behind a "*." wildcard; Gateway hosts may
// carry a "namespace/" prefix ("." or "*" or a namespace name).
func meshHosts(o object.Object) []Problem {
	var out []Problem
	spec, _ := o.Body["spec"].(map[string]any)
	check := func(path string, h string, gateway bool) {
		if gateway && !strings.Contains(h, "://") {
			if ns, host, ok := strings.Cut(h, "/"); ok {
				if ns != "." && ns != "*" && len(validation.IsDNS1123Label(ns)) > 0 {
					out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path,
						Message: fmt.Sprintf("host %q: namespace prefix %q is not \".\", \"*\" or a namespace name", h, ns)})
					return
				}
				h = host
			}
		}
		if msg := hostProblem(h); msg != "" {
			out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path, Message: fmt.Sprintf("host %q: %s", h, msg)})
		}
	}
	switch o.Kind() {
	case "Gateway":
		servers, _ := spec["servers"].([]any)
		for i, s := range servers {
			sm, _ := s.(map[string]any)
			hosts, _ := sm["hosts"].([]any)
			for j, h := range hosts {
				hs, _ := h.(string)
				check(fmt.Sprintf("spec.servers[%d].hosts[%d]", i, j), hs, true)
			}
		}
	case "VirtualService":
		hosts, _ := spec["hosts"].([]any)
		for j, h := range hosts {
			hs, _ := h.(string)
			check(fmt.Sprintf("spec.hosts[%d]", j), hs, false)
		}
	}
	return out
}

// hostProblem says what is wrong with a host name ("" when nothing).
func hostProblem(h string) string {
	switch {
	case h == "*":
		return ""
	case strings.Contains(h, "://"):
		return "a host name has no scheme: write the bare name (example.com)"
	case strings.ContainsAny(h, "/:? "):
		return "a host name has no port, path or spaces"
	case strings.HasPrefix(h, "*."):
		if msgs := validation.IsWildcardDNS1123Subdomain(h); len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
		return ""
	}
	if msgs := validation.IsDNS1123Subdomain(h); len(msgs) > 0 {
		return strings.Join(msgs, "; ")
	}
	return ""
}

// serverTLS: an HTTPS server, or a TLS server that terminates TLS, names a
// certificate Secret (credentialName) and never key material on disk.
func serverTLS(o object.Object) []Problem {
	if o.Kind() != "Gateway" || o.GVK().Group != "networking.istio.io" {
		return nil
	}
	var out []Problem
	spec, _ := o.Body["spec"].(map[string]any)
	servers, _ := spec["servers"].([]any)
	for i, s := range servers {
		sm, _ := s.(map[string]any)
		port, _ := sm["port"].(map[string]any)
		proto, _ := port["protocol"].(string)
		tls, _ := sm["tls"].(map[string]any)
		path := fmt.Sprintf("spec.servers[%d].tls", i)
		for _, k := range []string{"serverCertificate", "privateKey", "caCertificates"} {
			if _, ok := tls[k]; ok {
				out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path + "." + k,
					Message: "key material on the gateway's file system: reference a Secret with credentialName instead"})
			}
		}
		mode, _ := tls["mode"].(string)
		switch strings.ToUpper(proto) {
		case "HTTPS":
			if tls == nil {
				out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path,
					Message: "an HTTPS server needs TLS settings (mode SIMPLE and credentialName)"})
				continue
			}
			if mode == "PASSTHROUGH" || mode == "AUTO_PASSTHROUGH" {
				out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path + ".mode",
					Message: "an HTTPS server terminates TLS: use protocol TLS for passthrough"})
				continue
			}
		case "TLS":
			if tls == nil || mode == "PASSTHROUGH" || mode == "AUTO_PASSTHROUGH" || mode == "ISTIO_MUTUAL" {
				continue
			}
		default:
			continue
		}
		if mode != "ISTIO_MUTUAL" {
			if c, _ := tls["credentialName"].(string); c == "" {
				out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path + ".credentialName",
					Message: fmt.Sprintf("a %s server that terminates TLS names its certificate Secret", proto)})
			}
		}
	}
	return out
}

// gatewayOwners: across the Gateway objects that select one gateway
// workload, a (port, host) pair has one owner. Two servers claiming it
// make Envoy pick one route table (IST0145 conflicting gateways).
func gatewayOwners(objs []object.Object) []Problem {
	type claim struct {
		o    object.Object
		path string
	}
	owners := map[string]claim{}
	var out []Problem
	for _, o := range objs {
		if o.Kind() != "Gateway" || o.GVK().Group != "networking.istio.io" {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		sel, _ := spec["selector"].(map[string]any)
		workload := selectorKey(sel)
		servers, _ := spec["servers"].([]any)
		for i, s := range servers {
			sm, _ := s.(map[string]any)
			port, _ := sm["port"].(map[string]any)
			num := fmt.Sprint(port["number"])
			hosts, _ := sm["hosts"].([]any)
			for j, h := range hosts {
				hs, _ := h.(string)
				if _, host, ok := strings.Cut(hs, "/"); ok {
					hs = host
				}
				key := string(o.Target) + "|" + workload + "|" + num + "|" + hs
				path := fmt.Sprintf("spec.servers[%d].hosts[%d]", i, j)
				if prev, ok := owners[key]; ok {
					id := prev.o.Kind() + " " + prev.o.Namespace() + "/" + prev.o.Name()
					out = append(out, Problem{Object: o, Layer: LayerMesh, Path: path,
						Message: fmt.Sprintf("port %s host %q of gateway %s is already claimed by %s %s", num, hs, workload, id, prev.path)})
					continue
				}
				owners[key] = claim{o, path}
			}
		}
	}
	return out
}

func selectorKey(sel map[string]any) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%v", k, sel[k])
	}
	return b.String()
}
