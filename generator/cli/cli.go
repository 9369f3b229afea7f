package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/hugepages"
	"github.com/aimesh/aimesh/generator/load"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitInvalid = 1
	ExitUsage   = 2
)

type command struct {
	name    string
	summary string
	run     func(app *app, args []string) int
}

type app struct {
	stdout, stderr io.Writer
	// dir is the working directory relative paths resolve against.
	dir string
}

// abs resolves p against the app's working directory.
func (a *app) abs(p string) string {
	if filepath.IsAbs(p) || a.dir == "" {
		return p
	}
	return filepath.Join(a.dir, p)
}

var commands []command

func init() {
	commands = []command{
		{"generate", "compile the CUE platform and write overlays/<env>/{ack,asm,gitops}", (*app).generate},
		{"vet", "validate the CUE platform (and optionally a model store); write nothing", (*app).vet},
		{"check", "exit 1 and show the difference when the committed overlays are stale", (*app).check},
		{"diff", "compare the rendered output of two versions of the platform", (*app).diff},
		{"init", "start a new GitOps repository: CUE platform, vendored schema, CI, README", (*app).initRepo},
		{"version", "print the versions of aimesh, its schema and the APIs it targets", (*app).version},
	}
}

// Main runs aimesh with args (without the program name) and returns the
// exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	return MainIn("", args, stdout, stderr)
}

// MainIn is Main with relative paths resolved against dir instead of the
// process's working directory (tests run it in-process, concurrently).
func MainIn(dir string, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, dir: dir}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		a.usage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(a, args[1:])
		}
	}
	fmt.Fprintf(stderr, "aimesh: unknown command %q\n\n", args[0])
	a.usage(stderr)
	return ExitUsage
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "aimesh compiles a CUE description of an AI application on ACK + ASM into kustomize overlays.")
	fmt.Fprintln(w, "\nUsage: aimesh <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'aimesh <command> --help' for the flags of a command.")
}

// common flags of the commands that load the platform.
type common struct {
	root      string
	platform  string
	schemas   string
	evalTime  time.Duration
	evalBytes memoryFlag
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.root, "root", ".", "repository root: positions are reported relative to it")
	fs.StringVar(&c.platform, "platform", "cue", "the CUE platform package, relative to --root")
	fs.StringVar(&c.schemas, "schemas", "", "use the schema package in this directory (relative to --root) instead of the one built into aimesh; for schema development")
	fs.DurationVar(&c.evalTime, "max-eval-time", load.MaxEvalTime, "abandon an evaluation of the CUE that takes longer (10,000 models take about 10s)")
	fs.Var(&c.evalBytes, "max-eval-memory", "abandon an evaluation of the CUE whose heap grows past this size, a Kubernetes quantity such as 16Gi (default: three quarters of the memory of the machine or its cgroup, at most 8Gi; 10,000 models take about 1.3Gi)")
}

func (c *common) loadOptions() load.Options {
	return load.Options{Root: c.root, PlatformDir: c.platform, SchemaDir: c.schemas,
		MaxEvalTime: c.evalTime, MaxEvalMemory: uint64(c.evalBytes)}
}

// memoryFlag is a size in bytes spelt as a Kubernetes quantity (16Gi,
// 2G, 17179869184); zero keeps the loader's default.
type memoryFlag uint64

func (m *memoryFlag) String() string {
	if m == nil || *m == 0 {
		return ""
	}
	return resource.NewQuantity(int64(*m), resource.BinarySI).String()
}

func (m *memoryFlag) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("%q is not a size: write it as a Kubernetes quantity such as 16Gi", s)
	}
	if q.Sign() <= 0 || q.Cmp(resource.MustParse("64Mi")) < 0 {
		return fmt.Errorf("%s is too small to evaluate any platform: give at least 64Mi", s)
	}
	v, ok := q.AsInt64()
	if !ok {
		return fmt.Errorf("%s is too large", s)
	}
	*m = memoryFlag(v)
	return nil
}

// resolve makes the root absolute against the app's directory.
func (c *common) resolve(a *app) { c.root = a.abs(c.root) }

func (a *app) flagSet(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: aimesh %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; it returns -1 to continue, or an exit code.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "aimesh %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return ExitUsage
	}
	return -1
}

// report prints an error and returns its exit code: invalid input is 1,
// anything else 2.
func (a *app) report(err error) int {
	var l diag.List
	if errors.As(err, &l) {
		errs := l.Errors()
		fmt.Fprintln(a.stderr, errs.Error())
		fmt.Fprintf(a.stderr, "aimesh: %d error(s); nothing was written\n", len(errs))
		return ExitInvalid
	}
	fmt.Fprintf(a.stderr, "aimesh: %v\n", err)
	return ExitUsage
}

// compile resolves the common flags and compiles envs (all when empty),
// printing warnings; it returns -1 to continue, or an exit code.
func (a *app) compile(c *common, envs []string) (*compile.Result, int) {
	c.resolve(a)
	res, err := compile.Compile(compile.Options{Load: c.loadOptions(), Envs: envs})
	if err != nil {
		return nil, a.report(err)
	}
	a.warn(res.Warnings)
	return res, -1
}

func (a *app) warn(l diag.List) {
	if len(l) > 0 {
		fmt.Fprintln(a.stderr, l.Error())
	}
}

type envFlags struct {
	envs envList
	all  bool
}

type envList []string

func (e *envList) String() string { return strings.Join(*e, ",") }
func (e *envList) Set(v string) error {
	// --env prod --env prod names prod once.
	for _, name := range strings.Split(v, ",") {
		dup := false
		for _, have := range *e {
			dup = dup || have == name
		}
		if !dup {
			*e = append(*e, name)
		}
	}
	return nil
}

func (e *envFlags) register(fs *flag.FlagSet) {
	fs.Var(&e.envs, "env", "environment to generate (repeatable, or comma-separated)")
	fs.BoolVar(&e.all, "all", false, "generate every environment")
}

func (e *envFlags) validate(fs *flag.FlagSet) int {
	if e.all == (len(e.envs) > 0) {
		fmt.Fprintf(fs.Output(), "aimesh %s: give exactly one of --env NAME or --all\n", fs.Name())
		fs.Usage()
		return ExitUsage
	}
	return -1
}

func (a *app) generate(args []string) int {
	fs := a.flagSet("generate", "--env NAME | --all [--out DIR]")
	var c common
	var e envFlags
	c.register(fs)
	e.register(fs)
	out := fs.String("out", "", "output directory (default <root>/overlays)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if code := e.validate(fs); code >= 0 {
		return code
	}
	c.resolve(a)
	dir := a.outDir(c.root, *out)
	// Refuse a dangerous --out before compiling (usage error, exit 2).
	if err := emit.GuardOut(dir, c.root, e.envs); err != nil {
		return a.refuseOut("generate", err, *out, c.root)
	}
	res, code := a.compile(&c, e.envs)
	if code >= 0 {
		return code
	}
	if e.all {
		if err := emit.GuardOut(dir, c.root, res.Envs); err != nil {
			return a.refuseOut("generate", err, *out, c.root)
		}
	}
	wr, err := emit.Write(dir, res.Tree, emit.Options{Prune: e.all, Waiting: func() {
		fmt.Fprintf(a.stderr, "aimesh generate: waiting for another aimesh generate writing to %s\n", displayPath(c.root, dir))
	}})
	var fe *emit.ForeignFilesError
	if errors.As(err, &fe) {
		fmt.Fprintf(a.stderr, "%s: %v\n", displayPath(c.root, dir), err)
		fmt.Fprintln(a.stderr, "aimesh: nothing was written")
		return ExitInvalid
	}
	if code := a.editedManifest(err, c.root); code >= 0 {
		return code
	}
	if err != nil {
		return a.report(err)
	}
	for _, f := range wr.Overwritten {
		fmt.Fprintf(a.stderr, "warning: %s/%s was edited by hand; the edit is overwritten (change the CUE instead)\n", displayPath(c.root, dir), f)
	}
	fmt.Fprintf(a.stdout, "wrote %d files for %s to %s\n", len(res.Tree), strings.Join(res.Envs, ", "), displayPath(c.root, dir))
	return ExitOK
}

// editedManifest prints an ownership manifest aimesh did not write (exit
// 1: a pull request can carry it); -1 when err is not about one.
func (a *app) editedManifest(err error, root string) int {
	var me *emit.ManifestError
	if !errors.As(err, &me) {
		return -1
	}
	me.Dir = displayPath(root, me.Dir)
	fmt.Fprintln(a.stderr, me)
	fmt.Fprintln(a.stderr, "aimesh: nothing was written")
	return ExitInvalid
}

// refuseOut prints a refused --out as the user spelled it (exit 2), or an
// edited manifest under it (exit 1).
func (a *app) refuseOut(command string, err error, flagValue, root string) int {
	if code := a.editedManifest(err, root); code >= 0 {
		return code
	}
	var oe *emit.OutError
	if errors.As(err, &oe) && flagValue != "" {
		oe.Dir = flagValue
	}
	fmt.Fprintf(a.stderr, "aimesh %s: %v\n", command, err)
	return ExitUsage
}

func (a *app) outDir(root, out string) string {
	if out == "" {
		return filepath.Join(root, "overlays")
	}
	return a.abs(out)
}

func displayPath(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

func (a *app) vet(args []string) int {
	fs := a.flagSet("vet", "[--models DIR]")
	var c common
	c.register(fs)
	models := fs.String("models", "", "a local mirror of the model store to check against the declared models")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	res, code := a.compile(&c, nil)
	if code >= 0 {
		return code
	}
	if *models != "" {
		if l := vetModels(res, a.abs(*models)); len(l) > 0 {
			return a.report(l)
		}
	}
	fmt.Fprintf(a.stdout, "ok: %d environments, %d objects\n", len(res.Envs), countObjects(res))
	return ExitOK
}

func countObjects(res *compile.Result) int {
	n := 0
	for _, objs := range res.Objects {
		n += len(objs)
	}
	return n
}

func (a *app) check(args []string) int {
	fs := a.flagSet("check", "[--out DIR]")
	var c common
	c.register(fs)
	out := fs.String("out", "", "the committed overlays directory (default <root>/overlays)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	res, code := a.compile(&c, nil)
	if code >= 0 {
		return code
	}
	dir := a.outDir(c.root, *out)
	// A directory generate would refuse to write (the repository, cue/, a
	// symbolic link out of the repository) is refused here too (exit 2),
	// rather than reported as stale with advice to run that generate.
	if err := emit.GuardChecked(dir, c.root); err != nil {
		return a.refuseOut("check", err, *out, c.root)
	}
	var stale []string
	defined := map[string]bool{}
	for _, env := range res.Envs {
		defined[env] = true
	}
	interrupted := map[string]bool{}
	for _, env := range emit.Interrupted(dir) {
		interrupted[env] = true
		stale = append(stale, env+"/ (interrupted swap: a generate run was killed; run aimesh generate to recover it)")
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, en := range entries {
			if en.IsDir() && !strings.HasPrefix(en.Name(), ".") && !defined[en.Name()] {
				stale = append(stale, en.Name()+"/ (environment no longer defined by the platform)")
			}
		}
	}
	for _, env := range res.Envs {
		if interrupted[env] {
			continue // its files are not listed one by one
		}
		envDir := filepath.Join(dir, env)
		cur, err := emit.ReadDir(envDir)
		if err != nil {
			cur = emit.Tree{}
		}
		st, err := emit.InspectEnv(envDir)
		if err != nil {
			st = &emit.EnvState{}
		}
		for _, f := range st.Edited {
			stale = append(stale, env+"/"+f+" (edited by hand)")
		}
		if st.BadManifest != "" {
			stale = append(stale, env+"/"+emit.ManifestName+" (not the manifest aimesh wrote: "+st.BadManifest+"; restore it from Git)")
		}
		for _, f := range st.Foreign {
			stale = append(stale, env+"/"+f+" (not written by aimesh: move it out of the generated directory)")
		}
		want := emit.Tree{}
		for p, d := range res.Tree {
			if rest, ok := strings.CutPrefix(p, env+"/"); ok {
				want[rest] = d
			}
		}
		for _, p := range changedPaths(cur, want) {
			if f, ok := strings.CutSuffix(p, " (changed)"); ok && slicesContains(st.Edited, f) {
				continue
			}
			if f, ok := strings.CutSuffix(p, " (removed)"); ok && underAny(f, st.Foreign) {
				continue
			}
			stale = append(stale, env+"/"+p)
		}
	}
	if len(stale) == 0 {
		fmt.Fprintln(a.stdout, "overlays are up to date")
		return ExitOK
	}
	sort.Strings(stale)
	fmt.Fprintf(a.stdout, "overlays are stale; run 'aimesh generate --all' and commit the result:\n")
	for _, p := range stale {
		fmt.Fprintf(a.stdout, "  %s\n", p)
	}
	return ExitInvalid
}

// underAny reports whether f is one of the paths in l or inside one of
// its directories (written with a trailing slash).
func underAny(f string, l []string) bool {
	for _, x := range l {
		if f == x || strings.HasSuffix(x, "/") && strings.HasPrefix(f, x) {
			return true
		}
	}
	return false
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func changedPaths(a, b emit.Tree) []string {
	var out []string
	for p, da := range a {
		if db, ok := b[p]; !ok {
			out = append(out, p+" (removed)")
		} else if string(da) != string(db) {
			out = append(out, p+" (changed)")
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p+" (added)")
		}
	}
	sort.Strings(out)
	return out
}

// Run is Main with the process's streams; for cmd/aimesh.
func Run() int {
	hugepages.Heap()
	return Main(os.Args[1:], os.Stdout, os.Stderr)
}
