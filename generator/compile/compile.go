package compile

import (
	"fmt"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sync"

	"github.com/aimesh/aimesh/generator/check"
	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/emit"
	"github.com/aimesh/aimesh/generator/gitops"
	"github.com/aimesh/aimesh/generator/load"
	"github.com/aimesh/aimesh/generator/model"
	"github.com/aimesh/aimesh/generator/render/ack"
	"github.com/aimesh/aimesh/generator/render/asm"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/generator/validate"
)

// Options select what to compile.
type Options struct {
	Load load.Options
	// Envs lists the environments to compile; empty means all.
	Envs []string
	// ObjectsOnly renders, checks and validates the objects but does not
	// lay them out as files (Result.Tree stays empty): what aimesh diff
	// needs, without the cost of encoding every object as YAML.
	ObjectsOnly bool
}

// Result is a successful compilation.
type Result struct {
	Load     *load.Result
	Envs     []string
	Objects  map[string][]object.Object // by environment
	Tree     emit.Tree                  // paths "<env>/…"
	Warnings diag.List
}

// Compile runs the whole data path. An invalid platform returns a
// diag.List holding every error.
func Compile(opts Options) (*Result, error) {
	// The CUE evaluation runs on one core: meanwhile, parse the CRDs
	// validation will need on the other.
	go func() {
		if v, err := validate.Default(); err == nil {
			v.Warm(nil, likelyKinds...)
		}
	}()
	res, err := load.Load(opts.Load)
	if err != nil {
		return nil, err
	}
	return fromLoaded(res, opts.Envs, !opts.ObjectsOnly)
}

// Forget drops what validation and emit remember of the bodies they saw,
// so that the next compilation does all the work again: benchmarks of a
// single run (aimesh generate) call it between iterations.
func Forget() {
	if v, err := validate.Default(); err == nil {
		v.Forget()
	}
	emit.Forget()
}

// likelyKinds are the custom resource kinds that most platforms render
// (all those of the reference app), parsed while the CUE is evaluated on
// the other core (TestLikelyKinds keeps the list
// within what the reference app renders). Warming them is only a head
// start: any other kind is parsed when first validated.
var likelyKinds = []schema.GroupVersionKind{
	{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"},
	{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"},
	{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"},
	{Group: "istio.alibabacloud.com", Version: "v1beta1", Kind: "IstioGateway"},
	{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"},
	{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "GitRepository"},
	{Group: "istio.alibabacloud.com", Version: "v1beta1", Kind: "ASMKServeConfig"},
	{Group: "istio.alibabacloud.com", Version: "v1beta1", Kind: "ASMGrpcJsonTranscoder"},
	{Group: "istio.alibabacloud.com", Version: "v1beta1", Kind: "ASMSecurityPolicy"},
}

// Check runs the platform and environment rules on a loaded platform: a
// diag.List error when a rule fails, else the warnings (the loader's
// included).
func Check(res *load.Result) (diag.List, error) {
	return checkResolved(res, check.ResolveAll(res.Platform))
}

func checkResolved(res *load.Result, resolved map[string]*model.Resolved) (diag.List, error) {
	findings := diag.MergeEnvs(check.Environments(res, resolved), res.Platform.EnvNames())
	if findings.HasErrors() {
		return nil, findings
	}
	return append(append(diag.List{}, res.Warnings...), findings.Warnings()...), nil
}

// Objects compiles a loaded platform's environments (all when envs is
// empty) without laying them out as files, as Options.ObjectsOnly does.
func Objects(res *load.Result, envs []string) (*Result, error) {
	return fromLoaded(res, envs, false)
}

func fromLoaded(res *load.Result, envs []string, layout bool) (*Result, error) {
	p := res.Platform
	all := p.EnvNames()
	if len(envs) == 0 {
		envs = all
	}
	for _, e := range envs {
		if _, ok := p.Environments[e]; !ok {
			return nil, fmt.Errorf("environment %q is not defined; defined: %v", e, all)
		}
	}
	// Each environment is resolved once, for the rules and the renderers.
	resolved := check.ResolveAll(p)
	warnings, err := checkResolved(res, resolved)
	if err != nil {
		return nil, err
	}
	out := &Result{Load: res, Envs: envs, Objects: map[string][]object.Object{}, Tree: emit.Tree{}, Warnings: warnings}
	// Environments are independent once the CUE is evaluated and checked:
	// render, validate and lay them out concurrently (nothing below
	// touches the cue.Context), then merge in environment order. All of
	// them run at once: with three environments on two cores, running two
	// and then the third would leave a core idle for a third of the time.
	type envResult struct {
		objs []object.Object
		tree emit.Tree
		err  error
	}
	results := make([]envResult, len(envs))
	// What the environments render alike is decoded and held once.
	pool := object.NewPool()
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			if rv := resolved[env]; rv != nil {
				r.objs, r.err = RenderResolved(res.Positions, rv, pool)
			} else {
				r.objs, r.err = Render(res, env) // reports why it does not resolve
			}
			if r.err == nil && layout {
				r.tree, r.err = emit.Build(env, r.objs)
			}
		}()
	}
	wg.Wait()
	var errs diag.List
	for i, env := range envs {
		r := results[i]
		if r.err != nil {
			if l, ok := r.err.(diag.List); ok {
				errs = append(errs, l...)
				continue
			}
			return nil, r.err
		}
		out.Objects[env] = r.objs
		for _, p := range r.tree.Paths() {
			if err := out.Tree.Set(p, r.tree[p]); err != nil {
				return nil, err
			}
		}
	}
	if errs.HasErrors() {
		return nil, diag.MergeEnvs(errs, envs)
	}
	return out, nil
}

// Render renders and checks the objects of one environment.
func Render(res *load.Result, env string) ([]object.Object, error) {
	r, err := res.Platform.Resolve(env)
	if err != nil {
		return nil, err
	}
	return RenderResolved(res.Positions, r, nil)
}

// RenderResolved renders a resolved environment and checks the objects.
// The ACK and ASM bodies are shared through pool with the other
// environments rendered with it; with a nil pool, every object owns its
// body (what aimesh diff's normalisation in place needs).
func RenderResolved(ix load.Index, r *model.Resolved, pool *object.Pool) ([]object.Object, error) {
	var objs []object.Object
	for _, render := range []func(*model.Resolved, *object.Pool) ([]object.Object, error){ack.Render, asm.Render} {
		o, err := render(r, pool)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", r.Env.Name, err)
		}
		objs = append(objs, o...)
	}
	g, err := gitops.Render(r, objs)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", r.Env.Name, err)
	}
	objs = append(objs, g...)
	b, err := gitops.RenderBootstrap(r, g)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", r.Env.Name, err)
	}
	objs = append(objs, b...)
	// The bodies are final: their digests key the work validation and
	// emit remember across environments.
	if err := object.Seal(objs); err != nil {
		return nil, fmt.Errorf("environment %s: %w", r.Env.Name, err)
	}
	if l := check.Objects(ix, r.Env.Name, objs); l.HasErrors() {
		return nil, l
	}
	v, err := validate.Default()
	if err != nil {
		return nil, err
	}
	ps := v.Objects(objs)
	object.DropTyped(objs)
	if len(ps) > 0 {
		return nil, validate.Diagnostics(ix, r.Env.Name, ps)
	}
	return objs, nil
}
