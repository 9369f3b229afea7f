package diag

import "testing"

func TestMergeEnvsAndSort(t *testing.T) {
	p := Pos{File: "cue/a.cue", Line: 3, Col: 1}
	l := List{
		{Pos: p, Path: "x", Message: "m", Env: "prod"},
		{Pos: p, Path: "x", Message: "m", Env: "dev"},
		{Pos: p, Path: "y", Message: "only prod", Env: "prod"},
		{Pos: Pos{File: "cue/a.cue", Line: 1, Col: 1}, Path: "z", Message: "first"},
	}
	got := MergeEnvs(l, []string{"dev", "prod"})
	want := []string{
		"cue/a.cue:1:1: z: first",
		"cue/a.cue:3:1: x: m",
		"cue/a.cue:3:1: [env prod] y: only prod",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics: %v", len(got), got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("[%d] = %q, want %q", i, got[i].String(), want[i])
		}
	}
}

func TestSeverities(t *testing.T) {
	l := List{{Severity: Warning, Message: "w"}}
	if l.HasErrors() {
		t.Error("a warning counts as an error")
	}
	l = append(l, Diagnostic{Message: "e"})
	if !l.HasErrors() || len(l.Errors()) != 1 || len(l.Warnings()) != 1 {
		t.Errorf("split wrong: %v", l)
	}
}

func TestAlsoSetBeforeSee(t *testing.T) {
	d := Diagnostic{Pos: Pos{File: "cue/zz.cue", Line: 3, Col: 32}, Path: "calls", Message: "m",
		AlsoSet: []Pos{{File: "cue/services.cue", Line: 10, Col: 10}},
		Also:    []Pos{{File: "cue/cue.mod/pkg/aimesh.dev/schemas/platform.cue", Line: 1, Col: 2}}, Hint: "h"}
	want := "cue/zz.cue:3:32: calls: m\n    also set at cue/services.cue:10:10\n    see cue/cue.mod/pkg/aimesh.dev/schemas/platform.cue:1:2\n    hint: h"
	if got := d.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
