// Command scalegen writes a synthetic aimesh platform of a given number of
// models for benchmarks: the reference application (cue/ and schemas/ of
// this repository) plus models/2 services with two variants each (one
// TensorFlow and one ONNX model, both served by triton-2.x), every one with
// a waypoint (traffic reaches the variants through ModelMesh dynamic-subset
// routing by model format), in the reference app's three
// environments (prod scales every variant to 2 replicas).
//
//	go run ./hack/scalegen -models 1000 -out /tmp/scale-1000
//	(cd /tmp/scale-1000 && aimesh generate --all)
//	(cd /tmp/scale-1000/cue && CUE_REGISTRY=none cue export) # the same CUE evaluation, the floor
//
// The output is deterministic; -port changes the port of every generated
// service (what the scaling benchmark's diff edits).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aimesh/aimesh/hack/scalegen/synth"
)

func main() {
	models := flag.Int("models", 1000, "number of models (two per service)")
	out := flag.String("out", "", "directory to write (its cue/ and schemas/ are replaced)")
	src := flag.String("src", ".", "repository root to copy cue/ and schemas/ from")
	port := flag.Int("port", 8000, "port of every generated service")
	flag.Parse()
	if *out == "" || *models < 2 {
		fmt.Fprintln(os.Stderr, "usage: scalegen -models N -out DIR [-src REPO] [-port P]")
		os.Exit(2)
	}
	if err := synth.Write(*src, *out, *models, *port); err != nil {
		fmt.Fprintln(os.Stderr, "scalegen:", err)
		os.Exit(1)
	}
}
