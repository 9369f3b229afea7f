package modelstore

import (
	"io/fs"
	"path/filepath"
)

// Size is the total size in bytes of the regular files under path (a file
// or a directory) inside the store root: what ModelMesh loads for a model.
func Size(root, path string) (int64, error) {
	var n int64
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(path)), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}
