package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"

	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
)

// Finding is one error or warning for one object.
type Finding struct {
	File    string
	Object  string // Kind namespace/name
	Warning bool
	Message string
}

func (f Finding) String() string {
	sev := "error"
	if f.Warning {
		sev = "warning"
	}
	return fmt.Sprintf("%s: %s: %s: %s", f.File, f.Object, sev, f.Message)
}

// Result is the outcome of validating a set of files.
type Result struct {
	Objects  int // Istio objects validated
	Stripped int // ASM extension fields removed before validation
	Findings []Finding
}

// Errors counts the findings that are not warnings.
func (r Result) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Warning {
			n++
		}
	}
	return n
}

// IsIstio reports whether an API group is validated by this command.
func IsIstio(group string) bool {
	return group == "networking.istio.io" || group == "security.istio.io"
}

// Paths validates every YAML file under the given files or directories, in
// lexical order.
func Paths(paths []string) (Result, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return Result{}, err
		}
	}
	sort.Strings(files)
	var res Result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return res, err
		}
		if err := res.add(f, data); err != nil {
			return res, err
		}
	}
	return res, nil
}

// add validates every Istio document of one multi-document YAML stream.
func (r *Result) add(file string, data []byte) error {
	dec := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		if m == nil {
			continue
		}
		un := &unstructured.Unstructured{Object: m}
		if !IsIstio(un.GroupVersionKind().Group) {
			continue
		}
		r.Objects++
		id := un.GetKind() + " " + un.GetName()
		if ns := un.GetNamespace(); ns != "" {
			id = un.GetKind() + " " + ns + "/" + un.GetName()
		}
		r.Stripped += StripASM(un)
		warn, err := Object(un)
		for _, w := range warn {
			r.Findings = append(r.Findings, Finding{File: file, Object: id, Warning: true, Message: w})
		}
		for _, e := range err {
			r.Findings = append(r.Findings, Finding{File: file, Object: id, Message: e})
		}
	}
}

// StripASM removes ASM's extension fields, which upstream Istio does not
// know, and returns how many it removed. The list mirrors asmExtensions in
// generator/validate, which validates these fields with typed structs.
func StripASM(un *unstructured.Unstructured) int {
	n := 0
	spec, _ := un.Object["spec"].(map[string]any)
	switch un.GetKind() {
	case "VirtualService":
		http, _ := spec["http"].([]any)
		for _, h := range http {
			route, _ := h.(map[string]any)
			if _, ok := route["headerToDynamicSubsetKey"]; ok {
				delete(route, "headerToDynamicSubsetKey")
				n++
			}
		}
	case "DestinationRule":
		n += stripPolicy(spec)
		subsets, _ := spec["subsets"].([]any)
		for _, s := range subsets {
			sm, _ := s.(map[string]any)
			n += stripPolicy(sm)
		}
	}
	return n
}

// stripPolicy strips the dynamicSubset of parent's trafficPolicy and drops
// a trafficPolicy left empty: for ASM it held only the dynamic subset.
func stripPolicy(parent map[string]any) int {
	n := stripDynamicSubset(parent["trafficPolicy"])
	if tp, ok := parent["trafficPolicy"].(map[string]any); ok && n > 0 && len(tp) == 0 {
		delete(parent, "trafficPolicy")
	}
	return n
}

func stripDynamicSubset(tp any) int {
	m, _ := tp.(map[string]any)
	n := 0
	if lb, ok := m["loadBalancer"].(map[string]any); ok {
		if _, ok := lb["dynamicSubset"]; ok {
			delete(lb, "dynamicSubset")
			n++
			if len(lb) == 0 {
				// A load balancer left empty is what ASM sees as "dynamic
				// subset only"; upstream Istio requires one of simple or
				// consistentHash, so drop the empty shell.
				delete(m, "loadBalancer")
			}
		}
	}
	pls, _ := m["portLevelSettings"].([]any)
	for _, p := range pls {
		n += stripDynamicSubset(p)
	}
	return n
}

var topLevel = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "spec": true}

// Object validates one Istio object the way the admission webhook does:
// strict decode of the spec into the istio.io/api message of its kind, then
// the kind's validation function.
func Object(un *unstructured.Unstructured) (warnings, errs []string) {
	gvk := un.GroupVersionKind()
	s, ok := collections.Pilot.FindByGroupVersionAliasesKind(config.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind})
	if !ok {
		return nil, []string{fmt.Sprintf("unknown Istio kind %s", gvk)}
	}
	var keys []string
	for k := range un.Object {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !topLevel[k] {
			errs = append(errs, fmt.Sprintf("unknown top-level field %q", k))
		}
	}
	cfg, err := convert(s, un)
	if err != nil {
		return nil, append(errs, "cannot parse spec: "+err.Error())
	}
	if cfg.Namespace == "" && !s.IsClusterScoped() {
		errs = append(errs, "namespace is not set")
		cfg.Namespace = "default"
	}
	w, err := s.ValidateConfig(*cfg)
	if w != nil {
		warnings = append(warnings, splitMulti(w)...)
	}
	if err != nil {
		errs = append(errs, splitMulti(err)...)
	}
	return warnings, errs
}

func convert(s resource.Schema, un *unstructured.Unstructured) (*config.Config, error) {
	data, err := json.Marshal(un.Object["spec"])
	if err != nil {
		return nil, err
	}
	spec, err := s.NewInstance()
	if err != nil {
		return nil, err
	}
	if err := config.ApplyJSONStrict(spec, string(data)); err != nil {
		return nil, err
	}
	return &config.Config{
		Meta: config.Meta{
			GroupVersionKind: s.GroupVersionKind(),
			Name:             un.GetName(),
			Namespace:        un.GetNamespace(),
			Labels:           un.GetLabels(),
			Annotations:      un.GetAnnotations(),
		},
		Spec: spec,
	}, nil
}

// splitMulti flattens a multierror into one line per error.
func splitMulti(err error) []string {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range u.Unwrap() {
			out = append(out, splitMulti(e)...)
		}
		return out
	}
	if u, ok := err.(interface{ WrappedErrors() []error }); ok {
		var out []string
		for _, e := range u.WrappedErrors() {
			out = append(out, splitMulti(e)...)
		}
		return out
	}
	return []string{strings.TrimSpace(err.Error())}
}
