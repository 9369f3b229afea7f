package emit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	newPrefix = ".aimesh-new-"
	oldPrefix = ".aimesh-old-"
)

// Options of Write.
type Options struct {
	// Prune removes environment directories that aimesh owns and that t
	// does not hold (generate --all).
	Prune bool
	// LockTimeout bounds the wait for another run writing to the same
	// directory (default 2 minutes); then Write fails with ErrLocked.
	LockTimeout time.Duration
	// Waiting, when set, is called once if Write has to wait for the lock.
	Waiting func()
}

// Result says what Write did.
type Result struct {
	// Written and Unchanged are environment names.
	Written, Unchanged []string
	// Pruned are environment directories removed.
	Pruned []string
	// Overwritten lists generated files (relative to out) that had been
	// edited by hand and were replaced.
	Overwritten []string
}

// Write replaces the directories <out>/<env> for every env that t holds
// with t's content and an ownership manifest (ManifestName).
//
// Nothing is written unless every directory to be replaced or pruned is
// owned by aimesh and holds no file aimesh did not write
// (*ForeignFilesError otherwise). Runs on the same out serialise on a lock
// of out. Interrupted swaps of any environment under out are recovered
// first. Every new tree is written beside the old one, flushed to disk
// once (syncfs), and swapped in with one atomic exchange
// (renameat2(RENAME_EXCHANGE); two renames where the OS lacks it). A
// failed write removes its partial tree and leaves the old one in place.
// Unchanged environments are not rewritten.
func Write(out string, t Tree, opts Options) (*Result, error) {
	envs := map[string]Tree{}
	for p, data := range t {
		env, rest, ok := strings.Cut(p, "/")
		if !ok || !safeRel(p) || env == "" || strings.HasPrefix(env, ".") {
			return nil, fmt.Errorf("emit: %s is not inside an environment directory", p)
		}
		if rest == ManifestName {
			return nil, fmt.Errorf("emit: %s is reserved for the ownership manifest", p)
		}
		if envs[env] == nil {
			envs[env] = Tree{}
		}
		envs[env][rest] = data
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lock(out, opts.LockTimeout, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := RecoverAll(out); err != nil {
		return nil, err
	}

	names := sortedKeys(envs)
	res := &Result{}
	var foreign []string
	type plan struct {
		env  string
		tree Tree
		man  []byte
	}
	var todo []plan
	for _, env := range names {
		st, err := InspectEnv(filepath.Join(out, env))
		if err != nil {
			return nil, err
		}
		if st.BadManifest != "" {
			return nil, &ManifestError{Dir: filepath.Join(out, env), Why: st.BadManifest}
		}
		for _, f := range st.Foreign {
			foreign = append(foreign, env+"/"+f)
		}
		man := ManifestOf(envs[env]).Bytes()
		if st.Manifest != nil && len(st.Edited) == 0 && len(st.Missing) == 0 && len(st.Foreign) == 0 &&
			sameManifest(st.Manifest, envs[env]) && fileIs(filepath.Join(out, env, ManifestName), man) {
			res.Unchanged = append(res.Unchanged, env)
			continue
		}
		for _, f := range st.Edited {
			res.Overwritten = append(res.Overwritten, env+"/"+f)
		}
		todo = append(todo, plan{env, envs[env], man})
	}
	var prune []string
	if opts.Prune {
		entries, err := os.ReadDir(out)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || envs[e.Name()] != nil {
				continue
			}
			st, err := InspectEnv(filepath.Join(out, e.Name()))
			if err != nil {
				return nil, err
			}
			if !st.Owned {
				continue // GuardOut refuses such an out; never delete it.
			}
			for _, f := range st.Foreign {
				foreign = append(foreign, e.Name()+"/"+f)
			}
			for _, f := range st.Edited {
				res.Overwritten = append(res.Overwritten, e.Name()+"/"+f)
			}
			prune = append(prune, e.Name())
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return nil, &ForeignFilesError{Files: foreign}
	}

	// Write every new tree, then flush them all at once.
	var written []string
	cleanup := func() {
		for _, w := range written {
			_ = os.RemoveAll(w)
		}
	}
	for _, p := range todo {
		tmp := filepath.Join(out, newPrefix+p.env)
		written = append(written, tmp)
		if err := writeTree(tmp, p.tree, p.man); err != nil {
			cleanup()
			return nil, fmt.Errorf("writing %s: %w", p.env, err)
		}
	}
	if len(todo) > 0 {
		if err := syncFS(out, written); err != nil {
			cleanup()
			return nil, err
		}
	}
	for i, p := range todo {
		if err := swap(out, p.env); err != nil {
			for _, w := range written[i:] {
				_ = os.RemoveAll(w)
			}
			return nil, err
		}
		res.Written = append(res.Written, p.env)
	}
	for _, env := range prune {
		old := filepath.Join(out, oldPrefix+env)
		if err := os.Rename(filepath.Join(out, env), old); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(old); err != nil {
			return nil, err
		}
		res.Pruned = append(res.Pruned, env)
	}
	if len(todo) > 0 || len(prune) > 0 {
		if err := syncDir(out); err != nil {
			return nil, err
		}
	}
	sort.Strings(res.Overwritten)
	return res, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sameManifest reports whether the manifest on disk lists exactly t's
// files with t's hashes.
func sameManifest(m Manifest, t Tree) bool {
	if len(m) != len(t) {
		return false
	}
	for p, data := range t {
		if m[p] != hashOf(data) {
			return false
		}
	}
	return true
}

func fileIs(p string, data []byte) bool {
	cur, err := readRegular(p)
	return err == nil && bytes.Equal(cur, data)
}

// writeTree writes t and its manifest below dir (which must not exist).
// The files are not synced here: Write flushes every new tree at once.
func writeTree(dir string, t Tree, manifest []byte) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	// dir is new, so every directory and file below it is created here:
	// no stat, no MkdirAll, and a file that exists is an error.
	made := map[string]bool{dir: true}
	var mkdir func(d string) error
	mkdir = func(d string) error {
		if made[d] {
			return nil
		}
		if err := mkdir(filepath.Dir(d)); err != nil {
			return err
		}
		made[d] = true
		return makeDir(d)
	}
	write := func(rel string, data []byte) error {
		f := filepath.Join(dir, filepath.FromSlash(rel))
		if err := mkdir(filepath.Dir(f)); err != nil {
			return err
		}
		return createFile(f, data)
	}
	for _, p := range t.Paths() {
		if err := write(p, t[p]); err != nil {
			return err
		}
	}
	// The manifest last: a tree with a manifest is complete.
	return write(ManifestName, manifest)
}

// RecoverAll finishes or rolls back every swap a previous run left half
// done under out, for every environment (not only the ones generated now).
func RecoverAll(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, e := range entries {
		for _, prefix := range []string{newPrefix, oldPrefix} {
			if env, ok := strings.CutPrefix(e.Name(), prefix); ok && env != "" && !done[env] {
				done[env] = true
				if err := Recover(out, env); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Recover finishes or rolls back a swap of env that a previous run left
// half done:
//
//   - <env> exists: it is complete (the exchange is atomic); any
//     .aimesh-new-<env> (an unfinished tree, or the old tree after the
//     exchange) and .aimesh-old-<env> are removed.
//   - <env> is missing and .aimesh-old-<env> exists: crashed between the
//     two renames of the fallback swap; the old tree is put back.
//   - <env> is missing, only .aimesh-new-<env>: the first generation of
//     env was interrupted; the partial tree is removed.
//
// Only trees aimesh wrote are removed or put back (removeSwapTree): a name
// with aimesh's swap prefix can also come from a pull request.
func Recover(out, env string) error {
	dir := filepath.Join(out, env)
	old := filepath.Join(out, oldPrefix+env)
	if err := removeSwapTree(filepath.Join(out, newPrefix+env)); err != nil {
		return err
	}
	if _, err := os.Lstat(old); err == nil {
		if err := swapTreeOwned(old); err != nil {
			return err
		}
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return os.Rename(old, dir)
		}
		return os.RemoveAll(old)
	}
	return nil
}

// removeSwapTree removes p, a tree a previous run left under a swap name,
// if aimesh wrote it (swapTreeOwned).
func removeSwapTree(p string) error {
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := swapTreeOwned(p); err != nil {
		return err
	}
	return os.RemoveAll(p)
}

// swapTreeOwned returns a *ForeignFilesError unless p is a directory
// holding only files aimesh wrote: listed in its manifest or, in a tree
// whose writing was interrupted before its manifest, carrying the
// generated header. A link, a plain file, or a tree with files of someone
// else (committed under a name aimesh reserves) is refused, never deleted.
func swapTreeOwned(p string) error {
	name := filepath.Base(p)
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return &ForeignFilesError{Files: []string{name}, Swap: true}
	}
	st, err := InspectEnv(p)
	if err != nil {
		return err
	}
	var foreign []string
	for _, f := range st.Foreign {
		foreign = append(foreign, name+"/"+f)
	}
	if st.BadManifest != "" {
		foreign = append(foreign, name+"/"+ManifestName)
	}
	if len(foreign) == 0 && !st.Owned {
		foreign = []string{name + "/"}
	}
	if len(foreign) > 0 {
		return &ForeignFilesError{Files: foreign, Swap: true}
	}
	return nil
}

// Interrupted lists the environments under out whose swap was
// interrupted (a .aimesh-new-* or .aimesh-old-* directory is left).
func Interrupted(out string) []string {
	entries, _ := os.ReadDir(out)
	seen := map[string]bool{}
	var envs []string
	for _, e := range entries {
		for _, prefix := range []string{newPrefix, oldPrefix} {
			if env, ok := strings.CutPrefix(e.Name(), prefix); ok && env != "" && !seen[env] {
				seen[env] = true
				envs = append(envs, env)
			}
		}
	}
	sort.Strings(envs)
	return envs
}

// swap puts <out>/.aimesh-new-<env> in place of <out>/<env> and removes
// the previous tree.
func swap(out, env string) error {
	dir := filepath.Join(out, env)
	tmp := filepath.Join(out, newPrefix+env)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	if ok, err := exchange(tmp, dir); ok {
		if err != nil {
			return err
		}
		// tmp now holds the previous tree.
		return os.RemoveAll(tmp)
	}
	// No atomic exchange on this OS or file system: two renames, which
	// Recover completes after a crash between them.
	old := filepath.Join(out, oldPrefix+env)
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ReadDir reads every regular file below dir into a tree with paths
// relative to dir. Swap directories and the ownership manifest are
// skipped.
func ReadDir(dir string) (Tree, error) {
	t := Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".aimesh-") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || d.Name() == ManifestName {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		t[filepath.ToSlash(rel)] = data
		return nil
	})
	return t, err
}

// Equal reports whether two trees hold the same files with the same bytes.
func Equal(a, b Tree) bool {
	if len(a) != len(b) {
		return false
	}
	for p, da := range a {
		if db, ok := b[p]; !ok || !bytes.Equal(da, db) {
			return false
		}
	}
	return true
}
