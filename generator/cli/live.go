package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/diff"
	"github.com/aimesh/aimesh/generator/live"
	"github.com/aimesh/aimesh/generator/render/object"
)

// The commands that talk to a cluster. The command list is set by cli.go's
// init, which runs first (files are initialised in name order).
func init() {
	commands = append(commands, command{"apply", "server-side apply one env/target to a cluster (or --dry-run it)", (*app).apply})
}

// liveTimeout bounds one command's requests when --timeout is not given.
const liveTimeout = 5 * time.Minute

// clusterFlags select a cluster and what of the platform it serves.
type clusterFlags struct {
	kubeconfig string
	context    string
	target     string
	timeout    time.Duration
}

func (l *clusterFlags) register(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&l.kubeconfig, "kubeconfig", "", prefix+"kubeconfig file (default $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&l.context, "context", "", prefix+"kubeconfig context (default: the current context)")
	fs.StringVar(&l.target, "target", "", prefix+"what the cluster serves: ack, asm or gitops")
	fs.DurationVar(&l.timeout, "timeout", liveTimeout, prefix+"bound on the requests to the cluster (and on --wait)")
}

// liveFlags are the flags diff registers for aimesh diff --live.
type liveFlags struct {
	live bool
	clusterFlags
}

func (l *liveFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&l.live, "live", false, "compare one env/target with a cluster (server-side dry-run) instead of two versions")
	l.clusterFlags.register(fs, "with --live: ")
}

// check validates the flags given one environment list; "" when fine.
func (l *clusterFlags) check(envs envList) string {
	switch {
	case len(envs) != 1:
		return "give exactly one --env NAME"
	case l.target == "":
		return "give --target ack, asm or gitops"
	}
	switch object.Target(l.target) {
	case object.ACK, object.ASM, object.GitOps:
	default:
		return fmt.Sprintf("unknown --target %q (want ack, asm or gitops)", l.target)
	}
	if l.timeout <= 0 {
		return "--timeout must be positive"
	}
	return ""
}

// restConfig loads the kubeconfig; name is the context used.
func (a *app) restConfig(l *clusterFlags) (cfg *rest.Config, name string, err error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if l.kubeconfig != "" {
		rules.ExplicitPath = a.abs(l.kubeconfig)
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: l.context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name = l.context
	if name == "" {
		name = raw.CurrentContext
	}
	cfg, err = cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "aimesh"
	if name == "" {
		name = cfg.Host
	}
	return cfg, name, nil
}

// targetObjects compiles one environment and returns the objects of the
// target.
func (a *app) targetObjects(c common, env, target string) ([]object.Object, error) {
	res, err := compile.Compile(compile.Options{Load: c.loadOptions(), Envs: []string{env}})
	if err != nil {
		return nil, err
	}
	var objs []object.Object
	for _, o := range res.Objects[env] {
		if string(o.Target) == target {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("environment %s has no %s objects", env, target)
	}
	return objs, nil
}

// diffLive runs aimesh diff --live: the objects of one env/target against
// the cluster, in the offline diff's formats and exit codes (0 same, 1
// drift, 2 error). versionArgs says whether --base, --head, --dirs or
// positional arguments were given, which --live excludes.
func (a *app) diffLive(l *liveFlags, c common, envs envList, write func(*diff.Report, io.Writer) error, versionArgs bool) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(a.stderr, "aimesh diff: "+format+"\n", args...)
		return diffError
	}
	if versionArgs {
		return fail("--live compares with a cluster; it excludes --base, --head, --dirs and arguments")
	}
	if msg := l.check(envs); msg != "" {
		return fail("--live: %s", msg)
	}
	env := envs[0]
	cfg, name, err := a.restConfig(&l.clusterFlags)
	if err != nil {
		return fail("%v", err)
	}
	objs, err := a.targetObjects(c, env, l.target)
	if err != nil {
		a.diffError(worktree, &diff.CompileError{Version: worktree, Err: err})
		return diffError
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	rep, err := live.Diff(ctx, cfg, objs, live.DiffOptions{Env: env, Base: "cluster " + name, Head: worktree})
	if err != nil {
		return fail("%s: %v", name, err)
	}
	if err := write(rep, a.stdout); err != nil {
		return fail("%v", err)
	}
	if rep.HasDifferences() {
		return diffDiffer
	}
	return diffSame
}

// apply runs aimesh apply: compile one environment and server-side apply
// the objects of one target (CRDs and namespaces first), or with
// --dry-run have the server validate them without writing anything.
// Exit codes: 0 applied (accepted), 1 invalid platform or objects
// rejected by the dry-run, 2 usage or cluster errors.
func (a *app) apply(args []string) int {
	fs := a.flagSet("apply", "--env NAME --target ack|asm|gitops [--kubeconfig FILE] [--context NAME] [--wait] [--dry-run]")
	var c common
	var l clusterFlags
	var envs envList
	c.register(fs)
	l.register(fs, "")
	fs.Var(&envs, "env", "the environment to apply")
	wait := fs.Bool("wait", false, "wait until every applied object is ready (kstatus)")
	force := fs.Bool("force", false, "recreate objects whose immutable fields changed")
	dryRun := fs.Bool("dry-run", false, "server-side dry-run only: report the objects the server rejects, write nothing")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if msg := l.check(envs); msg != "" {
		fmt.Fprintf(a.stderr, "aimesh apply: %s\n", msg)
		fs.Usage()
		return ExitUsage
	}
	if *dryRun && (*wait || *force) {
		fmt.Fprintln(a.stderr, "aimesh apply: --dry-run excludes --wait and --force")
		return ExitUsage
	}
	c.resolve(a)
	cfg, name, err := a.restConfig(&l)
	if err != nil {
		fmt.Fprintf(a.stderr, "aimesh apply: %v\n", err)
		return ExitUsage
	}
	objs, err := a.targetObjects(c, envs[0], l.target)
	if err != nil {
		return a.report(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	section := envs[0] + "/" + l.target
	if *dryRun {
		rs, err := live.DryRun(ctx, cfg, objs)
		if err != nil {
			fmt.Fprintf(a.stderr, "aimesh apply: %s: %v\n", name, err)
			return ExitUsage
		}
		for _, r := range rs {
			fmt.Fprintf(a.stdout, "rejected: %s\n", r)
		}
		if len(rs) > 0 {
			fmt.Fprintf(a.stdout, "%s: %d of %d objects rejected by %s (dry-run)\n", section, len(rs), len(objs), name)
			return ExitInvalid
		}
		fmt.Fprintf(a.stdout, "%s: %d objects accepted by %s (dry-run)\n", section, len(objs), name)
		return ExitOK
	}
	cs, err := live.Apply(ctx, cfg, objs, live.ApplyOptions{Wait: *wait, Timeout: l.timeout, Force: *force})
	if cs != nil {
		for _, e := range cs.Entries {
			fmt.Fprintln(a.stdout, e.String())
		}
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "aimesh apply: %s: %v\n", name, err)
		return ExitUsage
	}
	counts := map[string]int{}
	for _, e := range cs.Entries {
		counts[e.Action.String()]++
	}
	var parts []string
	for _, k := range []string{"created", "configured", "unchanged", "skipped"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	fmt.Fprintf(a.stdout, "%s applied to %s: %s\n", section, name, strings.Join(parts, ", "))
	return ExitOK
}
