package diff

import (
	"os"
	"path/filepath"
	"testing"
)

// RemoveTemp (called by the CLI on SIGINT/SIGTERM) removes the checkouts
// of loaded versions.
func TestRemoveTemp(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), "aimesh-diff-x")
	if err := os.MkdirAll(filepath.Join(tmp, "cue"), 0o755); err != nil {
		t.Fatal(err)
	}
	temps.Store(tmp, true)
	RemoveTemp()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("checkout survived: %v", err)
	}
}
