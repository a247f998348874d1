// Package devstack runs the local development stack's processes: Temporal's
// dev server from the Temporal CLI and, when no PostgreSQL server accepts
// connections, a private PostgreSQL cluster. It also reads and writes demo.env, which
// `noterp dev` leaves for `noterp demo` and for people following the README.
package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// TemporalOptions configures StartTemporal.
type TemporalOptions struct {
	// CLI is the path of the Temporal CLI. Required; see FindTemporalCLI.
	CLI string
	// Address is the host:port the frontend listens on. Required.
	Address string
	// Namespace is created at start-up if it is not "default", which the dev
	// server always creates.
	Namespace string
	// UIPort is Temporal Web's port. Zero disables Temporal Web.
	UIPort int
	// DBFile is the SQLite file that keeps workflow histories across
	// restarts. Empty keeps them in memory only.
	DBFile string
	// CodecEndpoint is the URL Temporal Web sends payloads to for decoding.
	// Optional.
	CodecEndpoint string
	// LogFile receives the server's output. Required.
	LogFile string
	// ReadyTimeout bounds the wait for the frontend to respond. Default 60 s,
	// because the first start of a new database file creates its schema.
	ReadyTimeout time.Duration
	Logger       *zap.Logger
}

// TemporalServer is a running `temporal server start-dev` process.
type TemporalServer struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	log     *os.File
	logger  *zap.Logger
	address string
}

// StartTemporal starts Temporal's dev server with NotERP's search attributes
// and waits until its frontend accepts a client. It fails at once if
// something already listens on opts.Address.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*TemporalServer, error) {
	logger := opts.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 60 * time.Second
	}
	host, port, err := net.SplitHostPort(opts.Address)
	if err != nil {
		return nil, fmt.Errorf("start Temporal: address %q is not host:port: %w", opts.Address, err)
	}
	if listening(opts.Address) {
		return nil, fmt.Errorf("start Temporal: something already listens on %s: stop it (an earlier `noterp dev`?) or set NOTERP_TEMPORAL_ADDRESS to a free address", opts.Address)
	}

	args := temporalArgs(opts, host, port)
	logFile, err := openLog(opts.LogFile)
	if err != nil {
		return nil, fmt.Errorf("start Temporal: %w", err)
	}

	cmd := exec.Command(opts.CLI, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	configureChild(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start Temporal CLI %s: %w", opts.CLI, err)
	}

	s := &TemporalServer{cmd: cmd, exited: make(chan struct{}), log: logFile, logger: logger, address: opts.Address}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	logger.Info("Temporal dev server starting", zap.Int("pid", cmd.Process.Pid), zap.String("address", opts.Address), zap.String("log_file", opts.LogFile))

	if err := s.waitReady(ctx, opts); err != nil {
		stopErr := s.Stop()
		return nil, errors.Join(err, stopErr)
	}
	logger.Info("Temporal dev server ready", zap.String("address", opts.Address))
	return s, nil
}

func temporalArgs(opts TemporalOptions, host, port string) []string {
	args := []string{
		"server", "start-dev",
		"--ip", host,
		"--port", port,
		"--log-level", "warn",
	}
	if opts.Namespace != "" && opts.Namespace != "default" {
		args = append(args, "--namespace", opts.Namespace)
	}
	if opts.DBFile != "" {
		args = append(args, "--db-filename", opts.DBFile)
	}
	if opts.UIPort == 0 {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", strconv.Itoa(opts.UIPort))
	}
	if opts.CodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", opts.CodecEndpoint)
	}
	return append(args, searchAttributeFlags()...)
}

// waitReady dials the frontend until it responds, the process exits, or the
// timeout passes.
func (s *TemporalServer) waitReady(ctx context.Context, opts TemporalOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()

	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		c, err := client.DialContext(ctx, client.Options{
			HostPort:  opts.Address,
			Namespace: opts.Namespace,
			// A failed dial would log a warning on every poll.
			Logger: TemporalLogger(zap.NewNop()),
		})
		if err == nil {
			c.Close()
			return nil
		}

		select {
		case <-s.exited:
			return fmt.Errorf("the Temporal dev server exited before it was ready (%v); last lines of %s:\n%s", s.waitErr, opts.LogFile, tail(opts.LogFile, 20))
		case <-ctx.Done():
			return fmt.Errorf("the Temporal dev server at %s is not ready after %s: %w; see %s", opts.Address, opts.ReadyTimeout, err, opts.LogFile)
		case <-ticker.C:
		}
	}
}

// Address returns the frontend's host:port.
func (s *TemporalServer) Address() string {
	return s.address
}

// Stop interrupts the dev server and waits for it to exit, killing it after
// 15 seconds.
func (s *TemporalServer) Stop() error {
	err := stopChild(s.cmd, s.exited, 15*time.Second)
	s.log.Close()
	if err != nil {
		return fmt.Errorf("stop Temporal dev server: %w", err)
	}
	s.logger.Info("Temporal dev server stopped", zap.String("address", s.address))
	return nil
}

// FindTemporalCLI returns the Temporal CLI to run: configured if it is set,
// else bin/temporal under repoRoot, else temporal on PATH.
func FindTemporalCLI(configured, repoRoot string) (string, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return "", fmt.Errorf("the Temporal CLI %s (NOTERP_TEMPORAL_CLI): %w", configured, err)
		}
		return configured, nil
	}

	local := filepath.Join(repoRoot, "bin", "temporal")
	if _, err := os.Stat(local); err == nil {
		return local, nil
	}
	if path, err := exec.LookPath("temporal"); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("the Temporal CLI is neither at %s nor on PATH: run `make bin/temporal` to install it, or set NOTERP_TEMPORAL_CLI", local)
}

// listening reports whether a TCP server accepts connections at address.
func listening(address string) bool {
	conn, err := net.DialTimeout("tcp", address, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// tail returns the last n lines of the file at path, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(log not readable: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
