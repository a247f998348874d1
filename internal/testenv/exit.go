package testenv

import (
	"errors"
	"os/exec"
	"syscall"
)

// isInterruptExit reports whether err is a process exit caused by SIGINT,
// either as the signal itself or as exit status 130 (128 + SIGINT).
func isInterruptExit(err error) bool {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return false
	}
	if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
		if status.Signaled() && status.Signal() == syscall.SIGINT {
			return true
		}
		return status.ExitStatus() == 130
	}
	return false
}
