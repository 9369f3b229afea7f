package emit

import (
	"fmt"
	"strings"
	"testing"
)

// benchTree is an output of envs environments with files files each, of
// about 1 KiB per file (the size of a rendered Deployment).
func benchTree(envs, files int, variant string) Tree {
	t := Tree{}
	body := strings.Repeat("spec: {containers: [{image: registry/x:1}]}\n", 24)
	for e := 0; e < envs; e++ {
		env := fmt.Sprintf("env%d", e)
		for f := 0; f < files; f++ {
			t[fmt.Sprintf("%s/ack/apps/deployment-ns-model-%04d.yaml", env, f)] = []byte(Header(env) + "variant: " + variant + "\n" + body)
		}
	}
	return t
}

// BenchmarkWriteChanged rewrites 3 environments of 500 files each with new
// content every iteration (write, sync, swap, remove the old tree).
func BenchmarkWriteChanged(b *testing.B) {
	out := b.TempDir()
	trees := [2]Tree{benchTree(3, 500, "a"), benchTree(3, 500, "b")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := benchWrite(out, trees[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteUnchanged writes the same 3×500 files again: nothing
// changes on disk.
func BenchmarkWriteUnchanged(b *testing.B) {
	out := b.TempDir()
	tr := benchTree(3, 500, "a")
	if err := benchWrite(out, tr); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := benchWrite(out, tr); err != nil {
			b.Fatal(err)
		}
	}
}
func benchWrite(out string, t Tree) error {
	_, err := Write(out, t, Options{})
	return err
}
