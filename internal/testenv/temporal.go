package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/noterp/noterp/internal/devstack"
)

// temporalServer is the dev server shared by the tests of one test binary.
var temporalServer struct {
	once    sync.Once
	server  *testsuite.DevServer
	logFile *os.File
	err     error
}

// Temporal returns the host:port of a Temporal dev server in namespace
// "default" with NotERP's search attributes registered. The first call in a
// test binary starts the server from the Temporal CLI named by
// NOTERP_TEMPORAL_CLI, else <repo>/bin/temporal, else temporal on PATH;
// later calls share it. Main stops it. The test fails if no CLI is found or
// the server does not start.
func Temporal(t testing.TB) string {
	t.Helper()
	temporalServer.once.Do(startTemporal)
	if temporalServer.err != nil {
		t.Fatalf("testenv: %v", temporalServer.err)
	}
	return temporalServer.server.FrontendHostPort()
}

func startTemporal() {
	root, err := repoRoot()
	if err != nil {
		temporalServer.err = err
		return
	}
	cli, err := devstack.FindTemporalCLI(os.Getenv("NOTERP_TEMPORAL_CLI"), root)
	if err != nil {
		temporalServer.err = fmt.Errorf("%w (`make test` runs `make bin/temporal` first)", err)
		return
	}

	// The server's output goes to a file so that it does not interleave
	// with test output; a start failure names the file.
	logFile, err := os.CreateTemp("", "noterp-test-temporal-*.log")
	if err != nil {
		temporalServer.err = fmt.Errorf("create Temporal log file: %w", err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     cli,
		ClientOptions:    &client.Options{Logger: devstack.TemporalLogger(nil)},
		LogLevel:         "error",
		SearchAttributes: devstack.SearchAttributes(),
		Stdout:           io.Writer(logFile),
		Stderr:           io.Writer(logFile),
	})
	if err != nil {
		logFile.Close()
		temporalServer.err = fmt.Errorf("start Temporal dev server from %s: %w; its output is in %s", cli, err, logFile.Name())
		return
	}
	temporalServer.server = server
	temporalServer.logFile = logFile
}

// stopTemporal stops the shared dev server, if one was started.
func stopTemporal() error {
	if temporalServer.server == nil {
		return nil
	}
	// The SDK's dev server client is connected; close it before the server
	// goes away so that it does not log reconnect attempts.
	temporalServer.server.Client().Close()
	err := temporalServer.server.Stop()
	temporalServer.logFile.Close()
	os.Remove(temporalServer.logFile.Name())
	temporalServer.server = nil
	// The CLI exits with an interrupt status after SIGINT, which Stop reports
	// as an error; only a server that failed to stop matters.
	if err != nil && !isInterruptExit(err) {
		return fmt.Errorf("stop Temporal dev server: %w", err)
	}
	return nil
}
