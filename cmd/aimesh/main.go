// Command aimesh compiles a CUE platform into kustomize overlays for ACK
// and ASM. All behaviour lives in generator/cli.
package main

import (
	"os"

	"github.com/aimesh/aimesh/generator/cli"
)

func main() { os.Exit(cli.Run()) }
