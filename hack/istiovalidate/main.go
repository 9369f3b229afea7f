package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: istiovalidate DIR_OR_FILE...")
		os.Exit(2)
	}
	res, err := Paths(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "istiovalidate:", err)
		os.Exit(2)
	}
	for _, f := range res.Findings {
		fmt.Println(f)
	}
	fmt.Printf("istiovalidate: %d Istio object(s), %d ASM extension field(s) removed, %d error(s), %d warning(s)\n",
		res.Objects, res.Stripped, res.Errors(), len(res.Findings)-res.Errors())
	if res.Errors() > 0 {
		os.Exit(1)
	}
	if res.Objects == 0 {
		fmt.Fprintln(os.Stderr, "istiovalidate: no Istio object found")
		os.Exit(1)
	}
}
