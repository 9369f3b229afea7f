package emit

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps two directories atomically with
// renameat2(RENAME_EXCHANGE). ok is false when the kernel or the file
// system does not support it (the caller falls back to two renames).
func exchange(a, b string) (ok bool, err error) {
	err = unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return false, nil
	}
	return true, err
}

// syncFS flushes the file system holding out with one syncfs(2) call
// instead of one fsync per file; the new trees (dirs) are on that file
// system.
func syncFS(out string, dirs []string) error {
	f, err := os.Open(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return syncEach(dirs)
	}
	return nil
}

// makeDir creates the directory d, whose parent exists.
func makeDir(d string) error {
	if err := unix.Mkdir(d, 0o755); err != nil {
		return &os.PathError{Op: "mkdir", Path: d, Err: err}
	}
	return nil
}

// createFile creates the file f, which must not exist, with data. It
// calls open, write and close directly: os.WriteFile also registers the
// file with Go's poller and queries its flags, four more system calls per
// file, which cost more than the write itself over a few hundred files.
func createFile(f string, data []byte) error {
	fd, err := unix.Open(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	for errors.Is(err, unix.EINTR) {
		fd, err = unix.Open(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: f, Err: err}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return &os.PathError{Op: "write", Path: f, Err: err}
		}
		data = data[n:]
	}
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: f, Err: err}
	}
	return nil
}

// lockFile takes an exclusive, non-blocking flock on f.
func lockFile(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }
