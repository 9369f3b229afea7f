package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// A bad input of the corpus: how to break a copy of the repository, the
// command to run, and what must come out.
type badInput struct {
	name string
	// files are written (relative to the copy) before the run; a value
	// starting with "->" makes a symbolic link, "fifo" a named pipe.
	files map[string]string
	// edits replace the one occurrence of old with new in a file.
	edits []edit
	args  []string // default: generate --all
	exit  int      // default 1
	// pos: stderr names a cue/FILE:LINE:COL position.
	pos bool
}

type edit struct{ file, old, new string }

// zz is a .cue file of the platform package holding extra declarations,
// which unify with the rest of the platform.
func zz(body string) map[string]string {
	return map[string]string{"cue/zz.cue": "package platform\n\n" + body + "\n"}
}

func corpus(t *testing.T) []badInput {
	var c []badInput
	add := func(b badInput) { c = append(c, b) }
	// --- syntax: broken text appended to a file of the platform
	for i, s := range []string{
		`x: "unterminated`, `x: {`, `x: }`, `x: [1, 2`, `x: 1 +`, `x:: 1`, `@@`, `x: 'single`,
		`x: "\q"`, `x: """` + "\nno end", `x: 0x`, `x: 1e`, `x: [...]]`, `"a" "b"`, `x: #`, `x: (1`,
		`x: y: z:`, `for x in {}`, `x: 1 ! 2`, `import "strings"`, `package other`, `x: 08`, `x: .5.5`,
	} {
		add(badInput{name: fmt.Sprintf("syntax-%02d", i), files: zz(s), pos: true})
	}
	// --- types: a value of the wrong type or range where the schema says otherwise
	for i, s := range []string{
		`services: "ai-backend": port: "8000"`,
		`services: "ai-backend": port: 70000`,
		`services: "ai-backend": port: 0`,
		`services: "ai-backend": port: 80.5`,
		`services: "ai-backend": port: 1e20`,
		`services: "ai-backend": port: 100000000000000000000`,
		`services: "ai-backend": serviceName: "Bad_Name"`,
		`services: "ai-backend": serviceName: 42`,
		`services: "ai-backend": image: "UPPER/case:tag"`,
		`services: "ai-backend": image: "no-registry"`,
		`services: "ai-backend": readinessPath: "home"`,
		`services: "ai-backend": resources: requests: cpu: "lots"`,
		`services: "ai-backend": resources: requests: memory: 512`,
		`services: "style-transfer": waypoint: "yes"`,
		`services: "style-transfer": replicas: -1`,
		`models: "tf-style-transfer": sizeBytes: 0`,
		`models: "tf-style-transfer": sizeBytes: -5`,
		`models: "tf-style-transfer": sizeBytes: 99999999999999999999999`,
		`models: "tf-style-transfer": inputs: [{name: "x", datatype: "FP33", shape: [1]}]`,
		`models: "tf-style-transfer": inputs: [{name: "x", datatype: "FP32", shape: [0]}]`,
		`models: "tf-style-transfer": inputs: [{name: "x", datatype: "FP32", shape: [9223372036854775808]}]`,
		`models: "tf-style-transfer": format: "onnxx"`,
		`mesh: mode: "sidecarless"`,
		`mesh: istioVersion: "2.0"`,
		`gateways: "api-ingressgateway": serviceType: "External"`,
		`gateways: ingressgateway: ports: [{name: "http-80", port: 80, protocol: "SMTP"}]`,
		`name: 7`,
		`name: "Style Transfer"`,
		`namespaces: app: "Apsara_Demo"`,
		`gitops: engine: "jenkins"`,
		`gitops: repoURL: "ftp://example.com/repo"`,
		`gitops: interval: "5 minutes"`,
		`gitops: path: "../outside"`,
		`gitops: path: "/abs"`,
		`tiers: header: "X-User-Class"`,
		`environments: prod: services: "ai-backend": replicas: "3"`,
	} {
		add(badInput{name: fmt.Sprintf("types-%02d", i), files: zz(s), pos: true})
	}
	// --- references: names that point at nothing, unknown fields
	for i, s := range []string{
		`services: "ai-backend": exposure: gateway: "nope"`,
		`services: "style-transfer": variants: tensorflow: model: "nope"`,
		`tiers: classes: gold: {service: "nope", variant: "x", value: "gold"}`,
		`tiers: classes: gold: {service: "style-transfer", variant: "onnx", value: "gold"}`,
		`models: "tf-style-transfer": runtime: "nope"`,
		`environments: prod: services: nope: replicas: 1`,
		`environments: prod: gateways: nope: replicas: 1`,
		`services: "ai-backend": nosuchfield: 1`,
		`nosuchtoplevel: 1`,
		`services: "ai-backend": exposure: ports: [8001]`,
		`x: y`,
		`x: #Undefined`,
		`services: "ai-backend": port: services.nope.port`,
		`_c: {x: _c}`,
		`a: b, b: a, services: "ai-backend": port: a`,
	} {
		add(badInput{name: fmt.Sprintf("refs-%02d", i), files: zz(s), pos: true})
	}
	// --- hostile files
	big := strings.Repeat("// padding\n", (5<<20)/11)
	for _, h := range []badInput{
		{name: "file-symlink-etc", files: map[string]string{"cue/zz.cue": "->/etc/passwd"}},
		{name: "file-symlink-devzero", files: map[string]string{"cue/zz.cue": "->/dev/zero"}},
		{name: "file-symlink-urandom", files: map[string]string{"cue/zz.cue": "->/dev/urandom"}},
		{name: "file-symlink-dangling", files: map[string]string{"cue/zz.cue": "->/nonexistent/x.cue"}},
		{name: "file-symlink-up", files: map[string]string{"cue/zz.cue": "->../schemas/platform.cue"}},
		{name: "file-symlink-dir", files: map[string]string{"cue/zz.cue": "->/etc"}},
		{name: "file-fifo", files: map[string]string{"cue/zz.cue": "fifo"}},
		{name: "file-too-large", files: map[string]string{"cue/zz.cue": "package platform\n" + big}},
		{name: "file-nul", files: zz("x: 1\x00")},
		{name: "file-latin1", files: zz("x: \"\xe9\"")},
		{name: "file-no-package", files: map[string]string{"cue/zz.cue": "x: 1\n"}, pos: true},
		{name: "file-other-package", files: map[string]string{"cue/zz.cue": "package other\nx: 1\n"}},
		{name: "file-embed", files: zz("@extern(embed)\nx: _ @embed(file=\"../schemas/platform.cue\")"), pos: true},
		{name: "file-embed-glob", files: map[string]string{"cue/zz.cue": "@extern(embed)\npackage platform\nx: _ @embed(glob=\"*.cue\")\n"}, pos: true},
		{name: "file-tool-exec", files: zz("import \"tool/exec\"\nx: exec.Run & {cmd: \"id\"}"), pos: true},
		{name: "file-tool-os", files: zz("import \"tool/os\"\nx: os.Getenv"), pos: true},
		{name: "file-tool-file", files: zz("import \"tool/file\"\nx: file.Read & {filename: \"/etc/passwd\"}"), pos: true},
		{name: "file-tag", files: zz("name: string @tag(name)"), pos: true},
		{name: "file-missing-import", files: zz("import \"example.com/x\"\ny: x.z"), pos: true},
		{name: "file-missing-inmod-import", files: zz("import \"aimesh.dev/platform/nope\"\ny: nope.z"), pos: true},
		{name: "file-bad-std-import", files: zz("import \"nosuchstd\"\ny: nosuchstd.z"), pos: true},
		{name: "module-too-new", edits: []edit{{"cue/cue.mod/module.cue", "v0.17.1", "v0.99.0"}}, pos: true},
		{name: "module-deps", files: map[string]string{"cue/cue.mod/module.cue": "module: \"aimesh.dev/platform@v0\"\nlanguage: version: \"v0.17.1\"\ndeps: \"example.com/x@v0\": v: \"v0.1.0\"\n"}, pos: true},
		{name: "module-symlink", files: map[string]string{"cue/cue.mod/module.cue": "->/etc/hostname"}},
		{name: "module-garbage", files: map[string]string{"cue/cue.mod/module.cue": "}}}"}},
		{name: "deep-nesting", files: zz("x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000))},
		{name: "deep-structs", files: zz("x: " + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000))},
		{name: "huge-list-mismatch", files: zz("models: \"tf-style-transfer\": inputs: []"), pos: true},
		{name: "bom", files: map[string]string{"cue/zz.cue": "\ufeffpackage platform\nx: 1\n"}},
		{name: "crlf-garbage", files: map[string]string{"cue/zz.cue": "package platform\r\nx: \"\r\n"}, pos: true},
		{name: "storage-traversal", files: zz(`models: "tf-style-transfer": storage: path: "../../etc/"`), pos: true},
		{name: "storage-absolute", edits: []edit{{"cue/models.cue", `storage: path: "tensorflow/style-transfer/"`, `storage: path: "/etc/"`}}, pos: true},
		{name: "storage-backslash", edits: []edit{{"cue/models.cue", `storage: path: "tensorflow/style-transfer/"`, `storage: path: "a\\\\b/"`}}, pos: true},
		{name: "storage-newline", edits: []edit{{"cue/models.cue", `storage: path: "tensorflow/style-transfer/"`, `storage: path: "a\nb/"`}}, pos: true},
		{name: "storage-dot", edits: []edit{{"cue/models.cue", `storage: path: "tensorflow/style-transfer/"`, `storage: path: "./x/"`}}, pos: true},
		{name: "source-injection", edits: []edit{{"cue/models.cue", `source: "oss://style-transfer-models/tensorflow/style-transfer/"`, `source: "oss://x/;rm -rf /"`}}, pos: true},
		{name: "source-equals", edits: []edit{{"cue/models.cue", `source: "oss://style-transfer-models/tensorflow/style-transfer/"`, `source: "oss://x/a=/etc/"`}}, pos: true},
		{name: "tensor-overflow", edits: []edit{{"cue/models.cue", `inputs: [{name: "input1", datatype: "FP32", shape: [1, 3, 512, 512]}]`, `inputs: [{name: "input1", datatype: "FP32", shape: [100000000000, 3, 100000000000, 100000000000]}]`}}, pos: true},
		{name: "empty-platform", files: map[string]string{"cue/models.cue": "package platform\n", "cue/services.cue": "package platform\n", "cue/platform.cue": "package platform\n", "cue/environments.cue": "package platform\n", "cue/sso.cue": "package platform\n"}},
		{name: "user-file-in-env", files: map[string]string{"overlays/prod/README.md": "mine"}},
		{name: "user-dir-in-env", files: map[string]string{"overlays/prod/ack/mine/x.yaml": "kind: Mine\n"}},
		{name: "user-symlink-in-env", files: map[string]string{"overlays/prod/link.yaml": "->/etc/passwd"}},
		// A stale environment directory holding a user file is not aimesh's
		// to prune: the output directory is refused (usage, exit 2).
		{name: "user-file-in-pruned-env", exit: 2, files: map[string]string{"overlays/qa/README.md": "mine", "overlays/qa/ack/kustomization.yaml": "# Code generated by aimesh. DO NOT EDIT.\n"}},
	} {
		add(h)
	}
	// --- flags (usage errors: exit 2)
	for i, args := range [][]string{
		{"generate"}, {"generate", "--all", "--env", "prod"}, {"generate", "--bogus"}, {"generate", "--env"},
		{"generate", "--all", "extra"}, {"generate", "--all", "--out", "."}, {"generate", "--all", "--out", ".."},
		{"generate", "--all", "--out", "/"}, {"generate", "--all", "--out", "cue"}, {"generate", "--all", "--out", "schemas"},
		{"generate", "--all", "--out", "cue/cue.mod"}, {"generate", "--all", "--out", "outside/file.txt"},
		{"generate", "--all", "--root", "/nonexistent"}, {"generate", "--all", "--platform", "nope"},
		{"nosuchcommand"}, {"vet", "--bogus"}, {"check", "extra"}, {"diff", "--format", "xml"},
		{"diff", "--dirs", "onlyone"}, {"generate", "--all", "--out", "sibling"},
	} {
		add(badInput{name: fmt.Sprintf("flags-%02d", i), args: args, exit: 2,
			files: map[string]string{"outside/file.txt": "x", "sibling/notes.md": "mine"}})
	}
	// --- semantics: every invalid-input case of golden/errors and
	// golden/checks, replayed through generate --all.
	root := repoRoot(t)
	for _, dir := range []string{"errors", "checks"} {
		archives, _ := filepath.Glob(filepath.Join(root, "golden", dir, "*.txtar"))
		for _, a := range archives {
			ar, err := txtar.ParseFile(a)
			if err != nil {
				t.Fatal(err)
			}
			script := string(ar.Comment)
			if !strings.Contains(script, "exitcode 1") || strings.Contains(script, "--models") || strings.Contains(script, "exec ") || strings.Contains(script, "cp ") {
				continue
			}
			b := badInput{name: dir + "-" + strings.TrimSuffix(filepath.Base(a), ".txtar"), pos: true, files: map[string]string{}}
			for _, line := range strings.Split(script, "\n") {
				if m := replaceLine.FindStringSubmatch(line); m != nil {
					b.edits = append(b.edits, edit{m[1], unquote(m[2]), unquote(m[3])})
				}
			}
			for _, f := range ar.Files {
				if strings.HasPrefix(f.Name, "cue/") {
					b.files[f.Name] = string(f.Data)
				}
			}
			if len(b.edits) > 0 || len(b.files) > 0 {
				add(b)
			}
		}
	}
	return c
}

var (
	replaceLine = regexp.MustCompile(`^replace (cue/[^ ]+) '([^']*)' '([^']*)'$`)
	positionRE  = regexp.MustCompile(`(?m)cue/[^\s:]+:\d+:\d+`)
	crashRE     = regexp.MustCompile(`panic:|goroutine \d+|runtime error|(^|\s|: )internal: |\.go:\d+`)
)

// TestBadInputCorpus runs every bad input and requires: the exit code (1,
// or 2 for usage errors), a cue/FILE:LINE:COL position where one makes
// sense, no Go stack trace or internal error, no byte changed anywhere in
// the copy of the repository (inside or outside --out), and bounded CPU.
func TestBadInputCorpus(t *testing.T) {
	cases := corpus(t)
	if len(cases) < 100 {
		t.Fatalf("corpus has %d cases, want over 100", len(cases))
	}
	root := repoRoot(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			for _, d := range []string{"cue", "schemas", "overlays"} {
				if err := copyTree(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
					t.Fatal(err)
				}
			}
			for name, content := range tc.files {
				p := filepath.Join(work, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				os.Remove(p)
				switch {
				case strings.HasPrefix(content, "->"):
					err := os.Symlink(strings.TrimPrefix(content, "->"), p)
					if err != nil {
						t.Fatal(err)
					}
				case content == "fifo":
					if err := syscall.Mkfifo(p, 0o644); err != nil {
						t.Fatal(err)
					}
				default:
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, e := range tc.edits {
				p := filepath.Join(work, e.file)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if n := bytes.Count(data, []byte(e.old)); n != 1 {
					t.Fatalf("edit: %q occurs %d times in %s", e.old, n, e.file)
				}
				if err := os.WriteFile(p, bytes.Replace(data, []byte(e.old), []byte(e.new), 1), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := tc.args
			if args == nil {
				args = []string{"generate", "--all"}
			}
			want := tc.exit
			if want == 0 {
				want = 1
			}
			before := snapshotDir(t, work)
			var stdout, stderr bytes.Buffer
			cpu0, wall0 := cpuTime(), time.Now()
			code := MainIn(work, args, &stdout, &stderr)
			cpu, wall := cpuTime()-cpu0, time.Since(wall0)
			out := stderr.String()
			if code != want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, want, stdout.String(), out)
			}
			if tc.pos && !positionRE.MatchString(out) {
				t.Errorf("no cue/FILE:LINE:COL position in:\n%s", out)
			}
			if m := crashRE.FindString(out + stdout.String()); m != "" {
				t.Errorf("crash or internal error (%q) in:\n%s", m, out)
			}
			if d := cmp.Diff(before, snapshotDir(t, work)); d != "" {
				t.Errorf("files changed:\n%s", d)
			}
			// The process's CPU time (shared with other tests when run in
			// parallel; these run one at a time) stays far below 20 s.
			if cpu > 20*time.Second {
				t.Errorf("used %s of CPU (%s wall)", cpu, wall)
			}
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// snapshotDir reads every entry below dir (see readTree).
func snapshotDir(t *testing.T, dir string) map[string]string {
	out, err := readTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
