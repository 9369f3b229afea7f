package emit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ExistsError lists the files Create refused to overwrite.
type ExistsError struct {
	Dir   string
	Paths []string
}

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s: refusing to overwrite %d existing file(s): %s; nothing was changed", e.Dir, len(e.Paths), strings.Join(e.Paths, ", "))
}

// Create writes the files of t (slash-separated paths relative to dir) as
// new files. When any of them (or anything in their place) exists already,
// it writes nothing and returns an *ExistsError naming them. Each file is
// created with O_EXCL; if a write fails, the files and directories created
// so far are removed again, so dir is left as it was.
func Create(dir string, t Tree) (err error) {
	var exists []string
	for _, p := range t.Paths() {
		if err := checkRel(p); err != nil {
			return err
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			exists = append(exists, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if len(exists) > 0 {
		return &ExistsError{Dir: dir, Paths: exists}
	}
	var createdFiles, createdDirs []string
	defer func() {
		if err == nil {
			return
		}
		for _, f := range createdFiles {
			os.Remove(f)
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			os.Remove(createdDirs[i]) // only if still empty
		}
	}()
	for _, p := range t.Paths() {
		target := filepath.Join(dir, filepath.FromSlash(p))
		dirs, err := mkdirs(filepath.Dir(target))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		createdFiles = append(createdFiles, target)
		if _, err := f.Write(t[p]); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Replace writes the files of t under dir, each atomically (a temporary
// file renamed over the old one). It is for files aimesh owns, such as the
// vendored schema module.
func Replace(dir string, t Tree) error {
	for _, p := range t.Paths() {
		if err := checkRel(p); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if _, err := mkdirs(filepath.Dir(target)); err != nil {
			return err
		}
		tmp := filepath.Join(filepath.Dir(target), ".aimesh-new-"+filepath.Base(target))
		if err := writeFileSync(tmp, t[p]); err != nil {
			os.Remove(tmp)
			return err
		}
		if err := os.Rename(tmp, target); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

// mkdirs creates dir and its missing parents and returns the directories
// it created, outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if d == filepath.Dir(d) {
			break
		}
	}
	var created []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}

func checkRel(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("internal: unsafe path %q", p)
	}
	return nil
}

// writeFileSync writes data to path and flushes it to disk.
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
