//go:build !linux

package emit

import "os"

func exchange(a, b string) (bool, error) { return false, nil }

func syncFS(out string, dirs []string) error { return syncEach(dirs) }

// lockFile: no flock here; runs are not serialised.
func lockFile(f *os.File) (bool, error) { return true, nil }

func unlockFile(f *os.File) {}

func makeDir(d string) error { return os.Mkdir(d, 0o755) }

// createFile creates the file f, which must not exist, with data.
func createFile(f string, data []byte) error {
	w, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
