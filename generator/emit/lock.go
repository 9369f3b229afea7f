package emit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked: another run held the output directory for longer than the
// lock timeout.
var ErrLocked = errors.New("another aimesh generate is writing to this directory")

// lock takes an exclusive lock (flock) on the output directory itself, so
// no lock file is left in the user's repository; concurrent runs on the
// same directory serialise on it. Each call opens the directory anew, so
// goroutines of one process exclude each other as processes do. It waits
// up to timeout (default 2 minutes), calling waiting once if it must wait.
func lock(out string, timeout time.Duration, waiting func()) (func(), error) {
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	p := out
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	deadline := time.Now().Add(timeout)
	warned := false
	for {
		ok, err := lockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w (%s held for more than %s); try again when it has finished", ErrLocked, p, timeout)
		}
		if !warned && waiting != nil {
			waiting()
		}
		warned = true
		time.Sleep(20 * time.Millisecond)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

// syncEach fsyncs every file and directory below the given roots.
func syncEach(roots []string) error {
	for _, r := range roots {
		err := filepath.WalkDir(r, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Sync()
		})
		if err != nil {
			return err
		}
	}
	return nil
}
