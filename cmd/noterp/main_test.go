package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/secrets"
	"github.com/noterp/noterp/internal/testenv"
	"github.com/noterp/noterp/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestRunUnknownCommandExits2(t *testing.T) {
	var out, errOut bytes.Buffer

	code := run([]string{"serve"}, &out, &errOut)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `unknown command "serve"`) || !strings.Contains(errOut.String(), "Commands:") {
		t.Errorf("stderr = %q, want the unknown command and the usage", errOut.String())
	}
}

func TestRunHelpListsCommandsAndVariables(t *testing.T) {
	var out, errOut bytes.Buffer

	if code := run([]string{"help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	for _, want := range []string{"dev", "api", "worker", "migrate", "amazonsim", "demo", config.EnvDatabaseURL, config.EnvLogLevel} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %s", want)
		}
	}
}

func TestRunInvalidConfigurationExits2(t *testing.T) {
	t.Setenv(config.EnvAPIAddr, "8080")
	var out, errOut bytes.Buffer

	code := run([]string{"migrate"}, &out, &errOut)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), config.EnvAPIAddr) || !strings.Contains(errOut.String(), `"8080"`) {
		t.Errorf("stderr = %q, want the variable and its value", errOut.String())
	}
}

func TestDemoPriceIsValidAndInRange(t *testing.T) {
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	low, high := money.MustParse("22.00", "USD"), money.MustParse("27.99", "USD")

	for seconds := range 700 {
		amount := demoPrice(start.Add(time.Duration(seconds) * time.Second))
		price, err := money.Parse(amount, "USD")
		if err != nil {
			t.Fatalf("demoPrice = %q: %v", amount, err)
		}
		if price.Amount.LessThan(low.Amount) || price.Amount.GreaterThan(high.Amount) {
			t.Fatalf("demoPrice = %s, want between %s and %s", amount, low, high)
		}
	}
	if demoPrice(start) == demoPrice(start.Add(time.Second)) {
		t.Error("demoPrice is the same one second apart, want consecutive runs to differ")
	}
}

func TestSearchAttributeNamesMatchWorkflows(t *testing.T) {
	want := []string{workflows.SearchAttrTenant, workflows.SearchAttrKind, workflows.SearchAttrStatus, workflows.SearchAttrResource}
	if !slices.Equal(devstack.SearchAttributeNames, want) {
		t.Errorf("devstack.SearchAttributeNames = %v, want the workflows' %v", devstack.SearchAttributeNames, want)
	}
}

// freeAddr returns a loopback address that nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestDevStartsStackAndStopsCleanly(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	_, uiPort, _ := net.SplitHostPort(freeAddr(t))
	temporalAddr := freeAddr(t)
	vars := map[string]string{
		config.EnvDatabaseURL:     testenv.Postgres(t),
		config.EnvAPIAddr:         freeAddr(t),
		config.EnvTemporalAddress: temporalAddr,
		config.EnvTemporalUIPort:  uiPort,
		config.EnvAmazonSimAddr:   freeAddr(t),
		config.EnvDataDir:         dataDir,
		config.EnvTemporalCLI:     os.Getenv(config.EnvTemporalCLI),
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TemporalCLI == "" {
		cli, err := devstack.FindTemporalCLI("", testenv.RepoRoot(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.TemporalCLI = cli
	}

	var tokens []string
	for run := 1; run <= 2; run++ {
		env := startAndStopDev(t, cfg, run)
		tokens = append(tokens, env.RequesterToken)
		parts := map[string]string{"Temporal": temporalAddr, "API": cfg.APIAddr, "simulator": cfg.AmazonSimAddr}
		for name, addr := range parts {
			if stillListening(addr) {
				// ss names the listening process, to tell a part of this
				// stack from another test binary's server on the same port.
				out, _ := exec.Command("ss", "-ltnp").CombinedOutput()
				t.Fatalf("run %d: the %s still listens at %s after the stack stopped; listeners:\n%s", run, name, addr, out)
			}
		}
	}
	if tokens[0] == tokens[1] {
		t.Error("the second run reused the first run's requester token, want fresh tokens")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "temporal.db")); err != nil {
		t.Errorf("Temporal's database file: %v", err)
	}
}

// startAndStopDev runs the dev stack until demo.env appears, checks the
// running parts, then interrupts it and waits for it to return.
func startAndStopDev(t *testing.T, cfg config.Config, run int) devstack.DemoEnv {
	t.Helper()
	os.Remove(cfg.DemoEnvFile())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runDev(ctx, cfg, zap.NewNop(), nil, &out) }()

	var env devstack.DemoEnv
	deadline := time.After(90 * time.Second)
	for {
		var err error
		if env, err = devstack.ReadDemoEnv(cfg.DemoEnvFile()); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run %d: runDev returned before the stack was up: %v", run, err)
		case <-deadline:
			cancel()
			t.Fatalf("run %d: demo.env not written within 90s", run)
		case <-time.After(100 * time.Millisecond):
		}
	}

	resp, err := http.Get(env.API + "/healthz")
	if err != nil {
		t.Errorf("run %d: GET /healthz: %v", run, err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusOK {
		t.Errorf("run %d: GET /healthz = %d, want 200", run, resp.StatusCode)
	}
	refreshTokens, err := secrets.OpenLocal(cfg.SecretsFile, mustKey(t, cfg))
	if err != nil {
		t.Fatalf("run %d: open secret store: %v", run, err)
	}
	if _, err := refreshTokens.RefreshToken(ctx, env.SellerID); err != nil {
		t.Errorf("run %d: demo seller's refresh token not in the secret store: %v", run, err)
	}
	for _, want := range []string{env.API, fmt.Sprintf("http://127.0.0.1:%d/namespaces/default/workflows", cfg.TemporalUIPort), "make demo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d: banner does not contain %q:\n%s", run, want, out.String())
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run %d: runDev after interrupt: %v", run, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("run %d: runDev did not return within 60s of the interrupt", run)
	}
	return env
}

func mustKey(t *testing.T, cfg config.Config) []byte {
	t.Helper()
	key, err := secrets.LoadOrCreateKey(cfg.SecretsKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// stillListening reports whether something keeps accepting connections at
// addr over a few checks. Other test packages start Temporal dev servers
// that bind random free ports, so one of them may briefly take a port this
// test freed. A part of this stack that failed to stop listens throughout.
func stillListening(addr string) bool {
	for range 10 {
		if !listeningAt(addr) {
			return false
		}
		time.Sleep(300 * time.Millisecond)
	}
	return true
}

func listeningAt(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
