//go:build !linux

package kubetest

import (
	"os"
	"syscall"
)

// sysProcAttr: no process-group handling outside Linux (the project's
// machines run Debian); Stop still kills the processes themselves.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { _ = p.Kill() }

// processAlive: assume so; stale temp dirs are only cleaned on Linux.
func processAlive(int) bool { return true }
