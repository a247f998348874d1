package devstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

func testTemporalCLI(t *testing.T) string {
	t.Helper()
	cli, err := FindTemporalCLI(os.Getenv("NOTERP_TEMPORAL_CLI"), filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("%v (`make test` installs it)", err)
	}
	return cli
}

func freeAddress(t *testing.T) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestStartTemporalRegistersSearchAttributesAndRestarts(t *testing.T) {
	cli := testTemporalCLI(t)
	dir := t.TempDir()
	uiAddress := freeAddress(t)
	_, uiPort, _ := net.SplitHostPort(uiAddress)
	opts := TemporalOptions{
		CLI:           cli,
		Address:       freeAddress(t),
		Namespace:     "noterp-test",
		DBFile:        filepath.Join(dir, "temporal.db"),
		CodecEndpoint: "http://127.0.0.1:8080/codec",
		LogFile:       filepath.Join(dir, "temporal.log"),
	}
	fmt.Sscan(uiPort, &opts.UIPort)
	ctx := context.Background()

	for run := 1; run <= 2; run++ {
		server, err := StartTemporal(ctx, opts)
		if err != nil {
			t.Fatalf("run %d: StartTemporal: %v", run, err)
		}

		c, err := client.DialContext(ctx, client.Options{HostPort: server.Address(), Namespace: opts.Namespace, Logger: TemporalLogger(nil)})
		if err != nil {
			server.Stop()
			t.Fatalf("run %d: dial: %v", run, err)
		}
		resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: opts.Namespace})
		c.Close()
		if err != nil {
			server.Stop()
			t.Fatalf("run %d: ListSearchAttributes: %v", run, err)
		}
		for _, name := range SearchAttributeNames {
			if got := resp.GetCustomAttributes()[name]; got != enums.INDEXED_VALUE_TYPE_KEYWORD {
				t.Errorf("run %d: search attribute %s has type %v, want Keyword", run, name, got)
			}
		}
		uiResp, err := http.Get("http://" + uiAddress + "/")
		if err != nil {
			t.Errorf("run %d: Temporal Web at %s: %v", run, uiAddress, err)
		} else {
			uiResp.Body.Close()
		}

		if err := server.Stop(); err != nil {
			t.Fatalf("run %d: Stop: %v", run, err)
		}
		if listening(opts.Address) {
			t.Fatalf("run %d: %s still accepts connections after Stop", run, opts.Address)
		}
	}

	log, _ := os.ReadFile(opts.LogFile)
	if strings.Contains(string(log), "panic") {
		t.Errorf("Temporal log contains a panic:\n%s", log)
	}
}

func TestStartTemporalRejectsBusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	_, err = StartTemporal(context.Background(), TemporalOptions{
		CLI:          "/nonexistent/temporal",
		Address:      l.Addr().String(),
		LogFile:      filepath.Join(t.TempDir(), "temporal.log"),
		ReadyTimeout: time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "already listens") {
		t.Errorf("StartTemporal on a busy address error = %v, want one that says something already listens", err)
	}
}

func TestStartTemporalReportsEarlyExit(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "temporal")
	script := "#!/bin/sh\necho 'unknown flag: --ui-codec-endpoint' >&2\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := StartTemporal(context.Background(), TemporalOptions{
		CLI:     fake,
		Address: freeAddress(t),
		LogFile: filepath.Join(dir, "temporal.log"),
	})
	if err == nil {
		t.Fatal("StartTemporal with a CLI that exits succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "unknown flag") {
		t.Errorf("error %q does not say the server exited and show its output", err)
	}
}

func TestFindTemporalCLI(t *testing.T) {
	dir := t.TempDir()
	if _, err := FindTemporalCLI(filepath.Join(dir, "missing"), dir); err == nil || !strings.Contains(err.Error(), "NOTERP_TEMPORAL_CLI") {
		t.Errorf("FindTemporalCLI with a missing configured path error = %v, want one naming NOTERP_TEMPORAL_CLI", err)
	}

	t.Setenv("PATH", dir)
	if _, err := FindTemporalCLI("", dir); err == nil || !strings.Contains(err.Error(), "make bin/temporal") {
		t.Errorf("FindTemporalCLI with no CLI error = %v, want one naming `make bin/temporal`", err)
	}

	local := filepath.Join(dir, "bin", "temporal")
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindTemporalCLI("", dir); err != nil || got != local {
		t.Errorf("FindTemporalCLI = %q, %v; want %q", got, err, local)
	}
}

// listenLoopback starts a TCP listener that accepts and closes connections,
// and returns its address.
func listenLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	return l.Addr().String()
}
