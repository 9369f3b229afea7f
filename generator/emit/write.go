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
)

const (
	newPrefix = ".aimesh-new-"
	oldPrefix = ".aimesh-old-"
)

// Write replaces the directories <out>/<env> for every env that t holds
// with t's content. Each environment is swapped atomically: the new tree is
// written to <out>/.aimesh-new-<env> and fsynced, the old directory is
// renamed away, the new one renamed in, and the old one removed. A crash
// between the renames is recovered on the next run. Nothing outside out is
// touched. Unchanged environments are left as they are.
//
// When prune is set, directories of environments that are no longer
// generated (recognised by the DO-NOT-EDIT header of their files) are
// removed as well.
func Write(out string, t Tree, prune bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	envs := map[string]Tree{}
	for p, data := range t {
		env, rest, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("emit: %s is not inside an environment directory", p)
		}
		if envs[env] == nil {
			envs[env] = Tree{}
		}
		envs[env][rest] = data
	}
	names := make([]string, 0, len(envs))
	for e := range envs {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, env := range names {
		if err := writeEnv(out, env, envs[env]); err != nil {
			return err
		}
	}
	if prune {
		entries, err := os.ReadDir(out)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || envs[e.Name()] != nil {
				continue
			}
			dir := filepath.Join(out, e.Name())
			if generatedDir(dir) {
				if err := os.RemoveAll(dir); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Recover finishes or rolls back a swap that a previous run left half done.
func Recover(out, env string) error {
	dir := filepath.Join(out, env)
	old := filepath.Join(out, oldPrefix+env)
	if err := os.RemoveAll(filepath.Join(out, newPrefix+env)); err != nil {
		return err
	}
	if _, err := os.Stat(old); err == nil {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			// Crashed between the two renames: put the old tree back.
			return os.Rename(old, dir)
		}
		return os.RemoveAll(old)
	}
	return nil
}

func writeEnv(out, env string, t Tree) error {
	if err := Recover(out, env); err != nil {
		return err
	}
	dir := filepath.Join(out, env)
	if cur, err := ReadDir(dir); err == nil && Equal(cur, t) {
		return nil
	}
	tmp := filepath.Join(out, newPrefix+env)
	for _, p := range t.Paths() {
		f := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := writeFileSync(f, t[p]); err != nil {
			return err
		}
	}
	if err := syncDirs(tmp); err != nil {
		return err
	}
	old := filepath.Join(out, oldPrefix+env)
	hadOld := false
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		hadOld = true
	}
	if err := os.Rename(tmp, dir); err != nil {
		if hadOld {
			_ = os.Rename(old, dir)
		}
		return err
	}
	if err := syncDir(out); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDirs(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		return nil
	})
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
// relative to dir. Hidden swap directories are skipped.
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
		if !d.Type().IsRegular() {
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

func generatedDir(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.HasPrefix(data, []byte("# Code generated by aimesh. DO NOT EDIT.")) {
			found = true
		}
		return nil
	})
	return found
}
