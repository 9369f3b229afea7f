//go:build !linux

package emit

import "os"

func exchange(a, b string) (bool, error) { return false, nil }

func syncFS(out string, dirs []string) error { return syncEach(dirs) }

// lockFile: no flock here; runs are not serialised.
func lockFile(f *os.File) (bool, error) { return true, nil }

func unlockFile(f *os.File) {}
