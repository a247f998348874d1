package devstack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// configureChild puts cmd in its own process group, so that the Ctrl-C the
// terminal sends to the foreground group reaches only noterp, which then
// stops its children in order. On Linux the child also gets SIGTERM if
// noterp dies without stopping it.
//
// NOTE: Linux sends that signal when the OS thread that started the child
// exits, not the process. Go keeps threads alive unless a goroutine locked to
// one exits, which noterp does not do.
func configureChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// stopChild sends SIGINT to cmd's process group and waits for exited to be
// closed. After grace it sends SIGKILL to the group.
func stopChild(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) error {
	if cmd.Process == nil {
		return nil
	}

	select {
	case <-exited:
		return nil
	default:
	}

	pgid := -cmd.Process.Pid
	if err := syscall.Kill(pgid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("interrupt process %d: %w", cmd.Process.Pid, err)
	}

	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-exited:
		return nil
	case <-timer.C:
	}

	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process %d: %w", cmd.Process.Pid, err)
	}
	<-exited
	return fmt.Errorf("process %d did not stop within %s of SIGINT and was killed", cmd.Process.Pid, grace)
}

// openLog opens path for appending a child's output, creating it with mode
// 0600.
func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log file %s: %w", path, err)
	}
	return f, nil
}
