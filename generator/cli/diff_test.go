package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// gitEnv makes git usable in a hermetic test: a fixed identity, no user or
// system configuration.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=aimesh", "GIT_AUTHOR_EMAIL=aimesh@example.invalid",
	"GIT_COMMITTER_NAME=aimesh", "GIT_COMMITTER_EMAIL=aimesh@example.invalid",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
}

// TestDiff runs golden/diff: each script builds a git repository of the
// repository's platform in $WORK, edits it and pins the diff output.
// Refresh the expectations with -update or AIMESH_UPDATE=1.
func TestDiff(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	p := scriptParams(t, filepath.Join(repoRoot(t), "golden", "diff"))
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		for _, kv := range gitEnv {
			k, v, _ := strings.Cut(kv, "=")
			env.Setenv(k, v)
		}
		return nil
	}
	testscript.Run(t, p)
}

// gitRepo creates a git repository in a temporary directory holding the
// repository's cue/ and schemas/, committed once.
func gitRepo(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	for _, d := range []string{"cue", "schemas"} {
		if err := copyTree(filepath.Join(repoRoot(t), d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "init", "-q")
	runGit(t, dir, "add", "cue", "schemas")
	runGit(t, dir, "commit", "-q", "-m", "base")
	return dir
}

func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func editFile(t testing.TB, path, old, repl string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte(old)) != 1 {
		t.Fatalf("%q does not occur exactly once in %s", old, path)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(repl), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	prodReplicas    = "pytorch: replicas: 2"
	prodReplicasNew = "pytorch: replicas: 6"
)

// TestDiffGitRefs compares two commits in-process and checks that neither
// the working tree (edited differently) nor the index is used or touched.
func TestDiffGitRefs(t *testing.T) {
	dir := gitRepo(t)
	env := filepath.Join(dir, "cue", "environments.cue")
	editFile(t, env, prodReplicas, prodReplicasNew)
	runGit(t, dir, "commit", "-q", "-a", "-m", "prod: 6 pytorch replicas")
	// An uncommitted edit that --head HEAD must not see.
	editFile(t, filepath.Join(dir, "cue", "services.cue"), `serviceName:   "ai-backend-svc"`, `serviceName:   "ai-backend-api"`)
	status := runGit(t, dir, "status", "--porcelain")

	var stdout, stderr bytes.Buffer
	code := MainIn(dir, []string{"diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	var rep struct {
		Schema    string `json:"schema"`
		Different bool   `json:"different"`
		Base      string `json:"base"`
		Head      string `json:"head"`
		Sections  []struct {
			Env, Target    string
			Added, Removed []json.RawMessage
			Changed        []struct {
				Object  struct{ Group, Kind, Namespace, Name string }
				Changes []struct {
					Path, Op string
					From, To any
				}
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if rep.Schema != "aimesh.dev/diff/v1" || !rep.Different || rep.Base != "HEAD~1" || rep.Head != "HEAD" {
		t.Errorf("header: %+v", rep)
	}
	var got []string
	for _, s := range rep.Sections {
		if len(s.Added)+len(s.Removed) > 0 {
			t.Errorf("%s/%s: unexpected added/removed objects", s.Env, s.Target)
		}
		for _, o := range s.Changed {
			for _, c := range o.Changes {
				got = append(got, s.Env+"/"+s.Target+" "+o.Object.Kind+" "+o.Object.Namespace+"/"+o.Object.Name+" "+c.Path+" "+c.Op)
				if c.From != 2.0 || c.To != 6.0 {
					t.Errorf("%s: %v → %v, want 2 → 6", c.Path, c.From, c.To)
				}
			}
		}
	}
	want := []string{"prod/ack Deployment apsara-demo/style-transfer-torch spec.replicas changed"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := runGit(t, dir, "status", "--porcelain"); s != status {
		t.Errorf("git status changed:\n%s\nwant:\n%s", s, status)
	}

	// Against the working tree the uncommitted rename shows up too.
	stdout.Reset()
	stderr.Reset()
	code = MainIn(dir, []string{"diff", "--base", "HEAD"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), "+ Service apsara-demo/ai-backend-api") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}

	// The same ref on both sides: no difference, exit 0.
	stdout.Reset()
	if code := MainIn(dir, []string{"diff", "--base", "HEAD", "--head", "HEAD"}, &stdout, &stderr); code != 0 {
		t.Errorf("exit %d, want 0:\n%s%s", code, stdout.String(), stderr.String())
	}
}

// BenchmarkDiff measures `aimesh diff --base HEAD --format markdown` on
// the reference application with an edited working tree: two CUE
// compilations, twelve kustomize builds, the comparison and the output.
//
//	go test ./generator/cli -run '^$' -bench BenchmarkDiff -benchtime 20x
func BenchmarkDiff(b *testing.B) {
	dir := gitRepo(b)
	editFile(b, filepath.Join(dir, "cue", "environments.cue"), prodReplicas, prodReplicasNew)
	editFile(b, filepath.Join(dir, "cue", "services.cue"), `serviceName:   "ai-backend-svc"`, `serviceName:   "ai-backend-api"`)
	args := []string{"diff", "--base", "HEAD", "--format", "markdown"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := MainIn(dir, args, io.Discard, io.Discard); code != 1 {
			b.Fatalf("exit %d, want 1", code)
		}
	}
}
