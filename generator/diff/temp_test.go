package diff

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// reopenTemp undoes RemoveTemp at the end of a test, for the tests after it.
func reopenTemp(t *testing.T) {
	t.Cleanup(func() {
		tempMu.Lock()
		closing = false
		tempMu.Unlock()
	})
}

// RemoveTemp (called by the CLI on SIGINT/SIGTERM) removes the checkouts
// of loaded versions; afterwards no checkout is created or written.
func TestRemoveTemp(t *testing.T) {
	reopenTemp(t)
	tmp, err := newTemp()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "cue"), 0o755); err != nil {
		t.Fatal(err)
	}
	RemoveTemp()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("checkout survived: %v", err)
	}
	if tmp, err := newTemp(); !errors.Is(err, ErrInterrupted) {
		os.RemoveAll(tmp)
		t.Fatalf("newTemp after RemoveTemp: %q, %v", tmp, err)
	}
	root := commitFiles(t, map[string][]byte{"cue/a.cue": []byte("package platform\n")})
	dst := t.TempDir()
	if err := Checkout(root, "HEAD", dst, "cue"); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Checkout after RemoveTemp: %v", err)
	}
	if files, _ := os.ReadDir(dst); len(files) > 0 {
		t.Fatalf("Checkout after RemoveTemp wrote %s", files[0].Name())
	}
}

// A checkout under way when RemoveTemp is called writes nothing after
// RemoveTemp returns: the temporary directory is gone once Checkout
// returns, and stays gone. (Before, the checkout went on and recreated
// it, although the CLI had printed "temporary checkouts removed".)
func TestRemoveTempDuringCheckout(t *testing.T) {
	files := map[string][]byte{"cue/cue.mod/module.cue": []byte(moduleCUE)}
	for i := 0; i < 2000; i++ {
		files[fmt.Sprintf("cue/d%02d/f%04d.cue", i%50, i)] = []byte(fmt.Sprintf("package platform\n\nx%d: %d\n", i, i))
	}
	root := commitFiles(t, files)
	for round := 0; round < 3; round++ {
		reopenTemp(t)
		tmp, err := newTemp()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- Checkout(root, "HEAD", tmp, "cue") }()
		// Wait until the checkout has written something.
		for {
			select {
			case err := <-done:
				t.Fatalf("the checkout ended before it was interrupted: %v", err)
			default:
			}
			if entries, _ := os.ReadDir(filepath.Join(tmp, "cue")); len(entries) > 0 {
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
		RemoveTemp()
		err = <-done
		if _, serr := os.Stat(tmp); !os.IsNotExist(serr) {
			n := 0
			_ = filepath.WalkDir(tmp, func(string, os.DirEntry, error) error { n++; return nil })
			t.Fatalf("round %d: %d files and directories written under %s after RemoveTemp returned (Checkout: %v)", round, n, tmp, err)
		}
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("round %d: Checkout: %v, want ErrInterrupted", round, err)
		}
		tempMu.Lock()
		closing = false
		tempMu.Unlock()
	}
}
