// Command crdpatch is a helper of hack/vendor-schemas.sh. It is not part of
// aimesh: it only prepares vendored CRD files under schemas/crds/.
//
//	crdpatch split    -in FILE -name CRD_NAME -out FILE
//	crdpatch testonly -in FILE -kind VirtualService|DestinationRule -source TEXT -out FILE
//
// split copies one document of a multi-document CRD file verbatim (byte for
// byte, no re-encoding), chosen by metadata.name.
//
// testonly writes a TEST-ONLY copy of an upstream Istio VirtualService or
// DestinationRule CRD whose openAPIV3Schema additionally declares the Alibaba
// Cloud Service Mesh (ASM) extension fields that upstream Istio rejects:
//
//	VirtualService:  spec.http[].headerToDynamicSubsetKey[]{header, key, defaultValue}
//	DestinationRule: loadBalancer.dynamicSubset{fallbackPolicy, defaultSubset,
//	                 subsetSelectors[]{keys, fallbackPolicy}, lbPolicy} in every
//	                 LoadBalancerSettings (spec.trafficPolicy, its portLevelSettings,
//	                 and the same under spec.subsets[])
//
// The shapes are those of ASM's own fork of the Istio CRDs
// (aliyun/alibabacloud-servicemesh-api kubernetes/customresourcedefinitions.gen.yaml).
//
// The copy exists only so that a test API server accepts ASM-flavoured
// objects; it is never used to validate aimesh output and must never be
// installed into a real cluster. The output is deterministic (sorted keys).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crdpatch split|testonly [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "split":
		err = runSplit(os.Args[2:])
	case "testonly":
		err = runTestOnly(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crdpatch:", err)
		os.Exit(1)
	}
}

func runSplit(args []string) error {
	fs := flag.NewFlagSet("split", flag.ContinueOnError)
	in := fs.String("in", "", "multi-document YAML file")
	name := fs.String("name", "", "metadata.name of the CRD to extract")
	out := fs.String("out", "", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *name == "" || *out == "" {
		return errors.New("split: -in, -name and -out are required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	doc, err := findDocument(data, *name)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	return os.WriteFile(*out, doc, 0o644)
}

// findDocument returns the bytes of the one YAML document whose
// metadata.name is name, ending in exactly one newline.
func findDocument(data []byte, name string) ([]byte, error) {
	var found []byte
	for _, doc := range splitDocuments(data) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, err
		}
		if meta.Metadata.Name != name {
			continue
		}
		if meta.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %s is a %s, not a CustomResourceDefinition", name, meta.Kind)
		}
		if found != nil {
			return nil, fmt.Errorf("two documents named %s", name)
		}
		found = append(bytes.TrimRight(doc, "\n"), '\n')
	}
	if found == nil {
		return nil, fmt.Errorf("no document named %s", name)
	}
	return found, nil
}

// splitDocuments splits on lines that are exactly "---".
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if string(bytes.TrimRight(line, "\r\n")) == "---" {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	docs = append(docs, cur)
	var out [][]byte
	for _, d := range docs {
		if len(bytes.TrimSpace(d)) > 0 {
			out = append(out, d)
		}
	}
	return out
}

func runTestOnly(args []string) error {
	fs := flag.NewFlagSet("testonly", flag.ContinueOnError)
	in := fs.String("in", "", "upstream CRD file (one document)")
	kind := fs.String("kind", "", "VirtualService or DestinationRule")
	source := fs.String("source", "", "provenance of the input, for the header comment")
	out := fs.String("out", "", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *kind == "" || *out == "" || *source == "" {
		return errors.New("testonly: -in, -kind, -source and -out are required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	if got := str(crd, "spec", "names", "kind"); got != *kind {
		return fmt.Errorf("%s: CRD kind is %q, want %q", *in, got, *kind)
	}
	var patch func(version string, spec map[string]any) error
	var fields string
	switch *kind {
	case "VirtualService":
		patch, fields = patchVirtualService, "spec.http[].headerToDynamicSubsetKey"
	case "DestinationRule":
		patch, fields = patchDestinationRule, "loadBalancer.dynamicSubset (spec.trafficPolicy, portLevelSettings[], subsets[].trafficPolicy)"
	default:
		return fmt.Errorf("testonly: unsupported kind %q", *kind)
	}
	versions, _ := get(crd, "spec", "versions").([]any)
	if len(versions) == 0 {
		return errors.New("CRD has no versions")
	}
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		spec, ok := get(vm, "schema", "openAPIV3Schema", "properties", "spec").(map[string]any)
		if !ok {
			return fmt.Errorf("version %s: no openAPIV3Schema.properties.spec", name)
		}
		if err := patch(name, spec); err != nil {
			return fmt.Errorf("version %s: %w", name, err)
		}
	}
	meta, _ := crd["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		meta["annotations"] = ann
	}
	ann["aimesh.io/test-only"] = "ASM extension fields added to the upstream Istio schema: " + fields + ". For test API servers only."

	body, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# TEST-ONLY. DO NOT INSTALL INTO A REAL CLUSTER. Generated by hack/vendor-schemas.sh (hack/crdpatch).\n")
	fmt.Fprintf(&buf, "# Upstream: %s\n", *source)
	fmt.Fprintf(&buf, "# Change: the schema additionally declares the ASM (Alibaba Cloud Service Mesh) field\n")
	fmt.Fprintf(&buf, "#   %s\n", fields)
	fmt.Fprintf(&buf, "# which upstream Istio rejects, so that a test kube-apiserver accepts ASM-flavoured objects.\n")
	fmt.Fprintf(&buf, "# The field shapes follow ASM's own fork of the Istio CRDs: aliyun/alibabacloud-servicemesh-api\n")
	fmt.Fprintf(&buf, "#   kubernetes/customresourcedefinitions.gen.yaml (commit %s),\n", asmForkCommit)
	fmt.Fprintf(&buf, "# which is not vendored (it is not a Go module served by the proxy and is based on an older Istio).\n")
	buf.Write(body)
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

// asmForkCommit is the commit of ASM's fork of the Istio CRDs that the field
// shapes were read from.
const asmForkCommit = "018f42ca9ff8ef0629bb2aa5330f415a28638235"

const asmNote = "ASM extension (Alibaba Cloud Service Mesh); TEST-ONLY schema patch, not part of upstream Istio. "

func patchVirtualService(_ string, spec map[string]any) error {
	props, ok := get(spec, "properties", "http", "items", "properties").(map[string]any)
	if !ok {
		return errors.New("no spec.properties.http.items.properties")
	}
	if _, dup := props["headerToDynamicSubsetKey"]; dup {
		return errors.New("headerToDynamicSubsetKey already declared upstream")
	}
	props["headerToDynamicSubsetKey"] = map[string]any{
		"description": asmNote + "Maps request headers to the dynamic subset keys that a DestinationRule dynamicSubset selects on.",
		"type":        "array",
		"items": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"header":       map[string]any{"type": "string", "description": "Request header name (lowercase)."},
				"key":          map[string]any{"type": "string", "description": "Dynamic subset key (endpoint label key) that receives the header value."},
				"defaultValue": map[string]any{"type": "string", "description": "Value used when the header is absent."},
			},
		},
	}
	return nil
}

// ASM's own fork of the Istio CRDs (aliyun/alibabacloud-servicemesh-api,
// kubernetes/customresourcedefinitions.gen.yaml) declares the enums with the
// proto zero values first.
var fallbackPolicies = []any{"UNSPECIFIED", "NO_FALLBACK", "ANY_ENDPOINT", "DEFAULT_SUBSET"}

func dynamicSubsetSchema() map[string]any {
	return map[string]any{
		"description": asmNote + "Dynamic subset load balancing (Envoy lb_subset_config); a member of the loadBalancer oneof, exclusive with simple, consistentHash and the other upstream members.",
		"type":        "object",
		"properties": map[string]any{
			"fallbackPolicy": map[string]any{
				"type":        "string",
				"enum":        fallbackPolicies,
				"description": "What to do when no subset matches.",
			},
			"defaultSubset": map[string]any{
				"type":                 "object",
				"additionalProperties": map[string]any{"type": "string"},
				"description":          "Endpoint labels of the subset used by fallbackPolicy DEFAULT_SUBSET.",
			},
			"subsetSelectors": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"keys": map[string]any{
							"type":  "array",
							"items": map[string]any{"type": "string"},
						},
						"fallbackPolicy": map[string]any{
							"type":        "string",
							"enum":        fallbackPolicies,
							"description": "Selector-level fallback policy.",
						},
					},
				},
			},
			"lbPolicy": map[string]any{
				"type":        "string",
				"enum":        []any{"UNDEFINED", "RANDOM", "ROUND_ROBIN", "LEAST_REQUEST"},
				"description": "Load balancing inside the chosen subset.",
			},
		},
	}
}

// patchDestinationRule adds dynamicSubset to every LoadBalancerSettings in
// the schema (trafficPolicy, its portLevelSettings, and the same under
// subsets[]), as ASM's fork of the CRD does.
func patchDestinationRule(_ string, spec map[string]any) error {
	n := 0
	var walk func(node any) error
	walk = func(node any) error {
		switch x := node.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				if lb, ok := props["loadBalancer"].(map[string]any); ok {
					if err := patchLoadBalancer(lb); err != nil {
						return err
					}
					n++
				}
			}
			for _, k := range sortedKeys(x) {
				if err := walk(x[k]); err != nil {
					return err
				}
			}
		case []any:
			for _, v := range x {
				if err := walk(v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(spec); err != nil {
		return err
	}
	if _, ok := get(spec, "properties", "trafficPolicy", "properties", "loadBalancer", "properties", "dynamicSubset").(map[string]any); !ok {
		return errors.New("spec.trafficPolicy.loadBalancer was not patched")
	}
	if n < 2 {
		return fmt.Errorf("patched %d loadBalancer schemas, expected trafficPolicy and subsets[].trafficPolicy at least", n)
	}
	return nil
}

func patchLoadBalancer(lb map[string]any) error {
	props, ok := lb["properties"].(map[string]any)
	if !ok {
		return errors.New("loadBalancer has no properties")
	}
	if _, dup := props["dynamicSubset"]; dup {
		return errors.New("dynamicSubset already declared upstream")
	}
	props["dynamicSubset"] = dynamicSubsetSchema()
	// Upstream declares the lb_policy oneof as
	//   oneOf: [ {not: {anyOf: [{required:[simple]}, ...]}}, {required:[simple]}, ... ]
	// Add dynamicSubset as one more member of that oneof.
	oneOf, ok := lb["oneOf"].([]any)
	if !ok || len(oneOf) < 2 {
		return errors.New("loadBalancer has no oneOf")
	}
	first, _ := oneOf[0].(map[string]any)
	anyOf, ok := get(first, "not", "anyOf").([]any)
	if !ok {
		return errors.New("loadBalancer.oneOf[0] is not {not: {anyOf: ...}}")
	}
	for _, alt := range oneOf[1:] {
		m, _ := alt.(map[string]any)
		req, _ := get(m, "required").([]any)
		if len(req) != 1 {
			return errors.New("loadBalancer.oneOf has an unexpected member")
		}
	}
	first["not"].(map[string]any)["anyOf"] = append(anyOf, map[string]any{"required": []any{"dynamicSubset"}})
	lb["oneOf"] = append(oneOf, map[string]any{"required": []any{"dynamicSubset"}})
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func get(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return strings.TrimSpace(s)
}
