package cli

import (
	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/diag"
)

func vetModels(res *compile.Result, dir string) diag.List { return nil }

func (a *app) diff(args []string) int { return ExitUsage }
