package check

import (
	"fmt"
	"strings"

	"github.com/aimesh/aimesh/generator/model"
)

// Family "safety": untrusted input (a pull request) never reads outside
// the platform, never loses a user's file, never becomes a path or an
// argument that escapes, and never crashes aimesh. Most of these rules are
// enforced where the input enters (generator/load) or the output leaves
// (generator/emit, generator/cli); they are listed here so that
// docs/checks.md is one catalogue. Issue 8.

// TensorSizeOverflow refuses tensors whose element count or byte size does
// not fit in an int64: capacity rules would otherwise compute with
// wrapped-around sizes.
var TensorSizeOverflow = rule(Rule{
	ID: "AM0901", Name: "tensor-size-overflow", Family: "safety", Scope: OnPlatform,
	Prevents: "capacity checks that pass on nonsense: a shape whose element count × element size overflows 64 bits would wrap to a small or negative size",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			for _, dir := range m.Sides() {
				for i, t := range dir.Tensors {
					if t.Overflows() {
						c.Report(model.Path("models", mn, dir.Field)+fmt.Sprintf("[%d].shape", i),
							"declare the real shape of the tensor (each dimension multiplies the size)",
							"%s %s: the tensor's size does not fit in 64 bits", model.Shape(t.Shape), t.DataType)
					}
				}
			}
		}
	},
})

// SafeStorageValues re-checks in Go what the schema (#RelDir, #SourceURI)
// already refuses, so a schema edit cannot open a path traversal: storage
// paths and model sources become a path on the PVC and an argument of the
// model-loader Job.
var SafeStorageValues = rule(Rule{
	ID: "AM0902", Name: "safe-storage-values", Family: "safety", Scope: OnPlatform, Invariant: true,
	Prevents: "a loader Job that copies models out of (or into) the wrong place: storage paths with \"..\", absolute paths, backslashes or control characters, sources with whitespace, quotes or \"=\"",
	platform: func(c *Ctx, p *model.Platform) {
		for _, mn := range model.SortedKeys(p.Models) {
			m := p.Models[mn]
			if m.Storage.Path != "" {
				if why := model.UnsafeRelPath(strings.TrimSuffix(m.Storage.Path, "/")); why != "" {
					c.Report(model.Path("models", mn, "storage", "path"), "use a relative directory such as \"pytorch/style-transfer/\"",
						"storage path %q %s", m.Storage.Path, why)
				}
			}
			if m.Source != "" {
				if why := model.UnsafeArg(m.Source, "="); why != "" {
					c.Report(model.Path("models", mn, "source"), "use a plain URI such as \"oss://bucket/dir/\"", "source %q %s", m.Source, why)
				}
			}
		}
	},
})

// Rules enforced where the input enters or the output leaves.
var (
	_ = rule(Rule{
		ID: "AM0911", Name: "out-guard", Family: "safety", Scope: Elsewhere, Where: "generator/emit (GuardOut)",
		Cases:    []string{"golden/safety/out-repo-root", "golden/safety/out-ancestor", "golden/safety/out-foreign", "golden/safety/out-symlink-outside"},
		Prevents: "`generate --out ..` deleting a repository: --out at the repository root, an ancestor, inside cue/ or schemas/, or a directory holding cue/, schemas/, cue.mod, .git or files aimesh does not own is refused (exit 2); so is an output directory inside the repository that a committed symbolic link sends outside it (generate and check)",
	})
	_ = rule(Rule{
		ID: "AM0912", Name: "ownership-manifest", Family: "safety", Scope: Elsewhere, Where: "generator/emit (.aimesh-manifest)",
		Cases:    []string{"golden/safety/user-file-in-env", "golden/cli/stale-files-removed", "golden/safety/manifest-forged", "golden/safety/manifest-symlink"},
		Prevents: "a user's file deleted silently: every environment directory records the path and sha256 of each file aimesh wrote; a file it did not write stops generation (exit 1, nothing written), and --all prunes only owned directories; a manifest aimesh did not write (a path outside its directory, a symbolic link, which is never followed) makes its directory no one's, with the line and how to restore it",
	})
	_ = rule(Rule{
		ID: "AM0913", Name: "hand-edits-reported", Family: "safety", Scope: Elsewhere, Where: "generator/emit, generator/cli (check, generate)",
		Cases:    []string{"golden/safety/hand-edit"},
		Prevents: "a hand edit lost without notice: check fails naming an edited generated file; generate warns that it overwrites it",
	})
	_ = rule(Rule{
		ID: "AM0914", Name: "serialised-atomic-swap", Family: "safety", Scope: Elsewhere, Where: "generator/emit (flock, renameat2 RENAME_EXCHANGE)",
		Cases:    []string{"golden/safety/concurrent-runs", "golden/safety/interrupted-swap-check", "golden/cli/interrupted-swap", "golden/safety/swap-name-foreign"},
		Prevents: "a mixed or missing environment tree: concurrent runs serialise on a lock of the output directory, the swap is one atomic exchange, interrupted swaps of every environment are recovered (and reported by check), a failed write removes its partial tree; a tree under a swap name that holds files aimesh did not write (or is a link or a file) is refused, never removed or put in place",
	})
	_ = rule(Rule{
		ID: "AM0915", Name: "undefined-env-dirs", Family: "safety", Scope: Elsewhere, Where: "generator/cli (check)",
		Cases:    []string{"golden/safety/check-undefined-env"},
		Prevents: "a stale environment synced forever: check fails on an environment directory the platform no longer defines",
	})
	_ = rule(Rule{
		ID: "AM0921", Name: "regular-files-inside", Family: "safety", Scope: Elsewhere, Where: "generator/load (hermetic.go)",
		Cases:    []string{"golden/safety/symlink-outside"},
		Prevents: "reading outside the platform: only regular .cue files inside the platform directory are read (symlinks out of it, devices, FIFOs are errors with the path), at most 4 MiB each; CUE gets the vetted bytes (no re-read)",
	})
	_ = rule(Rule{
		ID: "AM0922", Name: "no-embed-tool-tag", Family: "safety", Scope: Elsewhere, Where: "generator/load (hermetic.go)",
		Cases:    []string{"golden/safety/embed-refused", "golden/safety/tool-tag-env"},
		Prevents: "host files, environment variables or command-line tags in the output: @embed/@extern, tool/* imports and @tag are refused; no module registry, no process environment",
	})
	_ = rule(Rule{
		ID: "AM0923", Name: "utf8-and-package-clause", Family: "safety", Scope: Elsewhere, Where: "generator/load (hermetic.go)",
		Cases:    []string{"golden/safety/non-utf8", "golden/safety/no-package"},
		Prevents: "input silently ignored or misread: non-UTF-8 bytes (and NUL) are an error at their position; a .cue file without a package clause is an error",
	})
	_ = rule(Rule{
		ID: "AM0927", Name: "bounded-nesting", Family: "safety", Scope: Elsewhere, Where: "generator/load (hermetic.go, MaxSyntaxDepth)",
		Cases:    []string{"golden/errors/nesting-too-deep"},
		Prevents: "a minute of evaluation from a 1 MB file: syntax nested more than 1,000 levels (a chain of fields, which CUE's parser does not bound and its evaluator handles in time quadratic in the depth) is refused at its position before CUE evaluates anything",
	})
	_ = rule(Rule{
		ID: "AM0924", Name: "int64-numbers", Family: "safety", Scope: Elsewhere, Where: "generator/load (numbers.go)",
		Cases:    []string{"golden/safety/int64-overflow"},
		Prevents: "\"internal\" errors on input: integers beyond int64 are positioned input errors",
	})
	_ = rule(Rule{
		ID: "AM0925", Name: "positioned-cue-errors", Family: "safety", Scope: Elsewhere, Where: "generator/load",
		Cases:    []string{"golden/safety/cue-errors-positioned"},
		Prevents: "errors nobody can locate: structural cycles, list-length mismatches, missing imports (named) and a too-new cue.mod language version point into the user's files",
	})
	_ = rule(Rule{
		ID: "AM0926", Name: "safe-path-schema", Family: "safety", Scope: Elsewhere, Where: "schemas/platform.cue (#RelDir, #SourceURI)",
		Cases:    []string{"golden/safety/storage-path-traversal"},
		Prevents: "path traversal through values: storage paths are normalised relative directories; model sources are safe container arguments (see AM0902)",
	})
)
