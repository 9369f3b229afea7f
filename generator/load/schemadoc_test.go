package load

import (
	"testing"

	"github.com/aimesh/aimesh/generator/diag"
)

func TestSchemaDocs(t *testing.T) {
	src := `package schemas

// #Port is a port.
#Port: int & >=1 & <=65535

#Undocumented: string

#Workload: {
	// runAsUser is a user ID
	// of at most 2147483647.
	runAsUser?: int & <=2147483647
	other: int
}
`
	d := &schemaDocs{files: map[string][]byte{"platform.cue": []byte(src)}}
	for _, tc := range []struct {
		line int
		want string
	}{
		{4, "#Port is a port."},
		{6, ""},
		{11, "runAsUser is a user ID of at most 2147483647."},
		{12, ""}, // inside #Workload, which has no doc of its own
		{1, ""},
	} {
		if got := d.at("platform.cue", tc.line); got != tc.want {
			t.Errorf("line %d: %q, want %q", tc.line, got, tc.want)
		}
	}
	poss := []diag.Pos{
		{File: "cue/zz.cue", Line: 4},
		{File: "cue/cue.mod/pkg/aimesh.dev/schemas/platform.cue", Line: 6},
		{File: "cue/cue.mod/pkg/aimesh.dev/schemas/platform.cue", Line: 4},
	}
	if got := d.hint("cue/cue.mod/pkg/aimesh.dev/schemas", poss); got != "#Port is a port." {
		t.Errorf("hint = %q", got)
	}
	if got := d.hint("elsewhere", poss); got != "" {
		t.Errorf("hint outside the schema = %q", got)
	}
}
