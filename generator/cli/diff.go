package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/aimesh/aimesh/generator/diag"
	"github.com/aimesh/aimesh/generator/diff"
)

// Exit codes of diff, as diff(1): 0 no difference, 1 differences, 2 error.
const (
	diffSame   = 0
	diffDiffer = 1
	diffError  = 2
)

const worktree = "working tree"

// diff compares the rendered output of two versions of the platform:
//
//	aimesh diff [--base REF] [--head REF]   git ref(s); head defaults to the working tree
//	aimesh diff --dirs A B                  two overlays directories on disk
func (a *app) diff(args []string) int {
	fs := a.flagSet("diff", "[--base REF] [--head REF] | --dirs A B  [--format text|markdown|json] [--env NAME]")
	var c common
	c.register(fs)
	base := fs.String("base", "", "git ref of the base version (default HEAD)")
	head := fs.String("head", "", "git ref of the head version (default: the working tree)")
	dirs := fs.Bool("dirs", false, "compare two rendered overlays directories given as arguments A B")
	format := fs.String("format", "text", "output format: text, markdown or json")
	mdLimit := fs.Int("markdown-limit", diff.DefaultMarkdownLimit, "maximum size of the markdown output in characters; what does not fit is summarised")
	full := fs.String("full-diff", "", "where the complete diff can be read (e.g. a CI artifact), named in the markdown output when it is cut")
	var envs envList
	fs.Var(&envs, "env", "compare only this environment (repeatable, or comma-separated)")
	var lf liveFlags // --live --kubeconfig --context --target --timeout (live.go)
	lf.register(fs)
	pos, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(a.stderr, "aimesh diff: %s\n", msg)
		fs.Usage()
		return diffError
	}
	var write func(*diff.Report, io.Writer) error
	switch *format {
	case "text":
		write = (*diff.Report).WriteText
	case "markdown", "md":
		if *mdLimit < 1000 {
			return usage(fmt.Sprintf("--markdown-limit %d is too small (at least 1000)", *mdLimit))
		}
		opts := diff.MarkdownOptions{Limit: *mdLimit, Full: *full}
		write = func(r *diff.Report, w io.Writer) error { return r.WriteMarkdownWith(w, opts) }
	case "json":
		write = (*diff.Report).WriteJSON
	default:
		return usage(fmt.Sprintf("unknown --format %q (want text, markdown or json)", *format))
	}
	c.resolve(a)
	if lf.live {
		return a.diffLive(&lf, c, envs, write, *base != "" || *head != "" || *dirs || len(pos) > 0)
	}

	// A side is a directory rendered whole (--dirs) or a version loaded
	// and checked, whose environments CompareVersions compiles one at a
	// time.
	type side struct {
		name   string
		render func() (*diff.Manifests, error)
		load   func() (*diff.Version, error)
		m      *diff.Manifests
		v      *diff.Version
		err    error
	}
	var sides [2]side
	if *dirs {
		if *base != "" || *head != "" {
			return usage("--dirs compares two directories; it excludes --base and --head")
		}
		if len(pos) != 2 {
			return usage("--dirs needs two directories, A B")
		}
		for i, d := range pos {
			dir := a.abs(d)
			sides[i] = side{name: d, render: func() (*diff.Manifests, error) { return diff.RenderDir(dir) }}
		}
	} else {
		if len(pos) > 0 {
			return usage(fmt.Sprintf("unexpected argument %q", pos[0]))
		}
		if *base == "" {
			*base = "HEAD"
		}
		lo := c.loadOptions()
		sides[0] = side{name: *base, load: func() (*diff.Version, error) { return diff.LoadRef(lo, *base) }}
		if *head == "" {
			sides[1] = side{name: worktree, load: func() (*diff.Version, error) { return diff.LoadWorktree(lo) }}
		} else {
			sides[1] = side{name: *head, load: func() (*diff.Version, error) { return diff.LoadRef(lo, *head) }}
		}
	}

	// Interrupted (Ctrl-C in CI, a cancelled job): remove the temporary
	// checkouts before exiting.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sig)
		close(done)
	}()
	go func() {
		select {
		case s := <-sig:
			diff.RemoveTemp()
			fmt.Fprintf(a.stderr, "aimesh diff: %v: temporary checkouts removed\n", s)
			os.Exit(128 + int(s.(syscall.Signal)))
		case <-done:
		}
	}()

	// The two versions are independent: render them in parallel.
	var wg sync.WaitGroup
	for i := range sides {
		wg.Add(1)
		go func(s *side) {
			defer wg.Done()
			if s.load != nil {
				s.v, s.err = s.load()
			} else {
				s.m, s.err = s.render()
			}
		}(&sides[i])
	}
	wg.Wait()
	defer sides[0].v.Close()
	defer sides[1].v.Close()
	failed := false
	for _, s := range sides {
		if s.err != nil {
			a.diffError(s.name, s.err)
			failed = true
		}
	}
	if failed {
		return diffError
	}
	opts := diff.Options{Base: sides[0].name, Head: sides[1].name, Envs: envs}
	var rep *diff.Report
	var err error
	if *dirs {
		rep, err = diff.Compare(sides[0].m, sides[1].m, opts)
	} else {
		rep, err = diff.CompareVersions(sides[0].v, sides[1].v, opts)
	}
	var ce *diff.CompileError
	if errors.As(err, &ce) {
		// An environment of one version does not compile (every error
		// of that version is printed, as for a version that does not load).
		a.diffError(ce.Version, err)
		return diffError
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "aimesh diff: %v\n", err)
		return diffError
	}
	if err := write(rep, a.stdout); err != nil {
		fmt.Fprintf(a.stderr, "aimesh diff: %v\n", err)
		return diffError
	}
	if rep.HasDifferences() {
		return diffDiffer
	}
	return diffSame
}

func (a *app) diffError(version string, err error) {
	var ce *diff.CompileError
	if !errors.As(err, &ce) {
		fmt.Fprintf(a.stderr, "aimesh diff: %s: %v\n", version, err)
		return
	}
	var l diag.List
	if errors.As(err, &l) {
		fmt.Fprintln(a.stderr, l.Errors().Error())
		fmt.Fprintf(a.stderr, "aimesh diff: %s does not compile\n", version)
		return
	}
	fmt.Fprintf(a.stderr, "aimesh diff: %v\n", err)
}

// parseInterspersed parses flags that may follow positional arguments
// (aimesh diff --dirs A B --format json). It returns the positional
// arguments, and -1 or an exit code.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK
			}
			return nil, diffError
		}
		if fs.NArg() == 0 {
			return pos, -1
		}
		rest := fs.Args()
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), -1
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
