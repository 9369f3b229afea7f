package model

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// IstioAtLeast reports whether the mesh's Istio version is >= 1.minor.
func (p *Platform) IstioAtLeast(minor int) bool {
	parts := strings.SplitN(p.Mesh.IstioVersion, ".", 2)
	if len(parts) != 2 {
		return false
	}
	m, err := strconv.Atoi(parts[1])
	return err == nil && m >= minor
}

// GatewayService is the Service ASM creates for IstioGateway gw.
func GatewayService(gw string) string { return "istio-" + gw }

// ModelServer is the MODEL_SERVER address of callers of the model gateway:
// the Service ASM creates for it, on the transcoder port (C4).
func (p *Platform) ModelServer() string {
	return fmt.Sprintf("%s.istio-system.svc.cluster.local:%d", GatewayService(p.ModelServing.Gateway), p.ModelServing.Port)
}

// WaypointName is the name of the waypoint Gateway of service s. Istio
// before 1.22 scopes a waypoint by service account, so the waypoint takes
// the service account's name (Istio names its Deployment
// <gateway>-istio-waypoint). From 1.22 it is <service>-waypoint: Istio
// then gives the waypoint's Deployment and Service the Gateway's own name
// (the istio-waypoint class has no name suffix), so a waypoint named after
// the service would collide with the service's Service, which Istio
// leaves alone, and the waypoint would get no address of its own.
func (p *Platform) WaypointName(s Service) string {
	if p.IstioAtLeast(22) {
		return s.Name + WaypointSuffix
	}
	return s.ServiceAccount
}

// WaypointSuffix ends the name of a service's waypoint from Istio 1.22.
const WaypointSuffix = "-waypoint"

// WaypointWorkload is the name Istio gives the Deployment and the Service
// it creates for the waypoint of s, in the application namespace: the
// Gateway's name from 1.22, <gateway>-istio-waypoint before.
func (p *Platform) WaypointWorkload(s Service) string {
	if p.IstioAtLeast(22) {
		return p.WaypointName(s)
	}
	return p.WaypointName(s) + "-istio-waypoint"
}

// RuntimesInUse returns the names of runtimes that serve at least one
// model, sorted. Runtime choice must already be resolved (check.Runtimes).
func (p *Platform) RuntimesInUse() []string {
	set := map[string]bool{}
	for _, m := range p.Models {
		if rt := p.RuntimeFor(m); rt != "" {
			set[rt] = true
		}
	}
	return SortedKeys(set)
}

// RuntimeFor returns the runtime that serves m: the explicit one, or the
// only runtime that auto-selects m's format; "" when ambiguous or none.
func (p *Platform) RuntimeFor(m Model) string {
	if m.Runtime != "" {
		return m.Runtime
	}
	cands := p.AutoSelecting(m.Format)
	if len(cands) == 1 {
		return cands[0]
	}
	return ""
}

// AutoSelecting lists the runtimes that auto-select format, sorted.
func (p *Platform) AutoSelecting(format string) []string {
	var out []string
	for _, name := range SortedKeys(p.Runtimes) {
		if _, auto := p.Runtimes[name].Supports(format); auto {
			out = append(out, name)
		}
	}
	return out
}

// DynamicSubsetFormats are the model formats the model gateway routes on:
// every format listed by a runtime in use, sorted and unique.
func (p *Platform) DynamicSubsetFormats() []string {
	set := map[string]bool{}
	for _, rt := range p.RuntimesInUse() {
		for _, f := range p.Runtimes[rt].SupportedFormats {
			set[f.Name] = true
		}
	}
	return SortedKeys(set)
}

// FormatHeader is the request header that asks the model gateway for a
// runtime serving format f; underscores in format names become hyphens (C1).
func (p *Platform) FormatHeader(f string) string {
	return p.ModelServing.HeaderPrefix + strings.ReplaceAll(f, "_", "-")
}

// DataTypeBytes is the size of one element of a KServe v2 datatype; BYTES
// counts as 1 per element (a lower bound).
var DataTypeBytes = map[string]int64{
	"BOOL": 1, "UINT8": 1, "INT8": 1, "BYTES": 1,
	"UINT16": 2, "INT16": 2, "FP16": 2, "BF16": 2,
	"UINT32": 4, "INT32": 4, "FP32": 4,
	"UINT64": 8, "INT64": 8, "FP64": 8,
}

// Elements is the number of elements of t, saturated at math.MaxInt64
// (see Overflows).
func (t Tensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n = MulSat(n, d)
	}
	return n
}

// Overflows reports whether t's element count or byte size does not fit
// in an int64 (the shape is then refused as input, rule safety-tensor-size).
func (t Tensor) Overflows() bool {
	n := int64(1)
	for _, d := range t.Shape {
		if d <= 0 {
			continue
		}
		if n > math.MaxInt64/d {
			return true
		}
		n *= d
	}
	b := DataTypeBytes[t.DataType]
	if b == 0 {
		b = 1
	}
	return n > math.MaxInt64/b/JSONBytesPerElement
}

// MulSat multiplies non-negative a and b, saturating at math.MaxInt64.
func MulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return a * b
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// AddSat adds non-negative a and b, saturating at math.MaxInt64.
func AddSat(a, b int64) int64 {
	if a > 0 && b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// WireBytes is the size of t's raw data in a gRPC message (saturated).
func (t Tensor) WireBytes() int64 { return MulSat(t.Elements(), DataTypeBytes[t.DataType]) }

// JSONBytesPerElement is the worst-case size of one element in a KServe v2
// JSON body: a full-precision float with its separator (C9 measures about
// 19.5 B per float with json.dumps).
const JSONBytesPerElement = 20

// JSONBodyOverhead covers the fixed JSON envelope of a request or response.
const JSONBodyOverhead = 4096

// TensorSide is a model's inputs or outputs, with the CUE field that holds
// them ("inputs" or "outputs").
type TensorSide struct {
	Field   string
	Tensors []Tensor
}

// Sides returns the model's inputs and outputs, in that order.
func (m Model) Sides() []TensorSide {
	return []TensorSide{{"inputs", m.Inputs}, {"outputs", m.Outputs}}
}

// JSONBytes is the worst-case JSON size of tensors ts in one body.
func JSONBytes(ts []Tensor) int64 {
	n := int64(JSONBodyOverhead)
	for _, t := range ts {
		n = AddSat(n, MulSat(t.Elements(), JSONBytesPerElement))
	}
	return n
}

// WireBytesOf sums the raw sizes of ts.
func WireBytesOf(ts []Tensor) int64 {
	var n int64
	for _, t := range ts {
		n = AddSat(n, t.WireBytes())
	}
	return n
}

// BufferLimitBytes is the listener buffer the model gateway needs: the
// largest JSON request or response of any model, rounded up to a MiB, and
// never below Envoy's default of 1 MiB (C9).
func (p *Platform) BufferLimitBytes() int64 {
	const mib = 1 << 20
	largest := int64(mib)
	for _, name := range SortedKeys(p.Models) {
		m := p.Models[name]
		largest = max(largest, JSONBytes(m.Inputs), JSONBytes(m.Outputs))
	}
	if largest > math.MaxInt64-mib {
		return largest / mib * mib
	}
	return (largest + mib - 1) / mib * mib
}

// GRPCMaxMessageBytes is the ModelMesh-wide gRPC cap: the largest cap of
// the runtimes in use.
func (p *Platform) GRPCMaxMessageBytes() int64 {
	var n int64
	for _, rt := range p.RuntimesInUse() {
		n = max(n, p.Runtimes[rt].GRPCMaxMessageBytes)
	}
	if n == 0 {
		n = 16 << 20
	}
	return n
}

// Shape formats a shape as 1×3×512×512.
func Shape(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return strings.Join(parts, "×")
}

// SortedVariants returns the service's variants sorted by name.
func (s Service) SortedVariants() []Variant {
	out := make([]Variant, 0, len(s.Variants))
	for _, k := range SortedKeys(s.Variants) {
		out = append(out, s.Variants[k])
	}
	return out
}

// SortedTiers returns the tiers of service svc, the default last, the
// others by name.
func (t *Tiers) ForService(svc string) []Tier {
	if t == nil {
		return nil
	}
	var out []Tier
	for _, k := range SortedKeys(t.Classes) {
		if t.Classes[k].Service == svc {
			out = append(out, t.Classes[k])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Default && out[j].Default })
	return out
}

// Supporting lists the runtimes that list format at all, sorted.
func (p *Platform) Supporting(format string) []string {
	var out []string
	for _, name := range SortedKeys(p.Runtimes) {
		if listed, _ := p.Runtimes[name].Supports(format); listed {
			out = append(out, name)
		}
	}
	return out
}
