package check

import (
	"fmt"
	"math"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/model"
)

// Family "capacity": requests, responses and models fit what carries them.

var GRPCMessageCap = rule(Rule{
	ID: "AM0211", Name: "grpc-message-cap", Family: "capacity", Scope: OnEnvironment, Refs: "C6",
	Prevents: "RESOURCE_EXHAUSTED on the first large image: a request or response larger than the runtime's gRPC cap",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			rtName := p.RuntimeFor(m)
			rt, ok := p.Runtimes[rtName]
			if !ok {
				continue
			}
			for _, dir := range m.Sides() {
				total := model.WireBytesOf(dir.Tensors)
				if total <= rt.GRPCMaxMessageBytes {
					continue
				}
				// Point at the largest tensor.
				li := 0
				for i, t := range dir.Tensors {
					if t.WireBytes() > dir.Tensors[li].WireBytes() {
						li = i
					}
				}
				t := dir.Tensors[li]
				c.Report(model.Path("models", mn, dir.Field)+fmt.Sprintf("[%d].shape", li),
					fmt.Sprintf("shrink the tensor, or raise runtimes.%s.grpcMaxMessageBytes (and the runtime's own limit)", quote(rtName)),
					"%s %s %s = %s > %s cap of %s (C6)", model.Shape(t.Shape), t.DataType, trimWhat(dir.Field), humanBytes(total), humanBytes(rt.GRPCMaxMessageBytes), rtName)
			}
		}
	},
})

// ModelMeshMemoryFit encodes ModelMesh's sizing rule: the models a runtime serves,
// each at size × 1.25, fit its memory minus its buffer.
var ModelMeshMemoryFit = rule(Rule{
	ID: "AM0212", Name: "modelmesh-memory-fit", Family: "capacity", Scope: OnEnvironment,
	Prevents: "models that thrash ModelMesh's cache: Σ size × 1.25 of the models on a runtime exceeds its memory − memBufferBytes (error, or warning with modelServing.memoryFit: \"warn\")",
	platform: func(c *Ctx, p *model.Platform) {
		for _, rtName := range p.RuntimesInUse() {
			rt := p.Runtimes[rtName]
			if rt.MemoryBytes == 0 {
				continue
			}
			var need float64
			var last string
			for _, mn := range model.SortedKeys(p.Models) {
				m := p.Models[mn]
				if p.RuntimeFor(m) == rtName && m.SizeBytes > 0 {
					need += float64(m.SizeBytes) * 1.25
					last = mn
				}
			}
			avail := rt.MemoryBytes - rt.MemBufferBytes
			if last == "" || need <= float64(avail) {
				continue
			}
			sev, hint := diag.Error, "raise memoryBytes, spread the models over runtimes, or set modelServing.memoryFit: \"warn\""
			if p.ModelServing.MemoryFit == "warn" {
				sev, hint = diag.Warning, "raise memoryBytes or spread the models over runtimes; ModelMesh will evict models to make room"
			}
			needs := "more than 9.2 EB" // beyond int64
			if need < math.MaxInt64 {
				needs = humanBytes(int64(math.Ceil(need)))
			}
			c.ReportAs(sev, model.Path("runtimes", rtName, "memoryBytes"), hint,
				"models on %s need %s (size × 1.25) but the runtime has %s (memory − buffer)", rtName,
				needs, humanBytes(avail))
		}
	},
})

// EnvoyBufferMax is the largest per_connection_buffer_limit_bytes Envoy
// accepts (a uint32).
const EnvoyBufferMax = math.MaxUint32

var GatewayBufferFits = rule(Rule{
	ID: "AM0214", Name: "gateway-buffer-fits", Family: "capacity", Scope: OnEnvironment, Refs: "C9",
	Prevents: "an EnvoyFilter Istio rejects: the model gateway's buffer (the largest JSON body, AM0213) must fit Envoy's 32-bit per_connection_buffer_limit_bytes (4 GiB − 1)",
	platform: func(c *Ctx, p *model.Platform) {
		if b := p.BufferLimitBytes(); b <= EnvoyBufferMax || b >= math.MaxInt64-(1<<20) {
			return // fits, or a size beyond int64 (AM0901)
		}
		// Point at the model with the largest body.
		var worst, what string
		var most int64
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			for _, dir := range m.Sides() {
				if n := model.JSONBytes(dir.Tensors); n > most {
					worst, what, most = mn, dir.Field, n
				}
			}
		}
		c.Report(model.Path("models", worst, what),
			"shrink the tensors, or send them as binary gRPC instead of JSON through the gateway",
			"the JSON %s of model %s can reach %s, more than the 4 GiB − 1 buffer Envoy can hold", trimWhat(what), worst, humanBytes(most))
	},
})

var GatewayBufferDerived = rule(Rule{
	ID: "AM0213", Name: "gateway-buffer-derived", Family: "capacity", Scope: Elsewhere, Refs: "C9",
	Where:    "generator/model (derive.go), rendered by generator/render/asm",
	Prevents: "413s from the transcoder, or a magic 100 MB: the model gateway's per_connection_buffer_limit_bytes is the largest JSON body (elements × 20 B + 4 KiB) rounded up to a MiB (at least 1 MiB); ModelMesh's grpcMaxMessageSizeBytes is the largest cap of the runtimes in use",
})

func trimWhat(w string) string {
	if w == "inputs" {
		return "request"
	}
	return "response"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%d B", n)
	}
}
