// Package testenv gives integration tests real infrastructure: a Temporal
// dev server shared by a test binary, and a fresh PostgreSQL database per
// test. A missing Temporal CLI or PostgreSQL server fails the test rather
// than skipping it, so that a green `make test` means these tests ran.
//
// A package that calls Temporal must stop the server from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modulePath identifies NotERP's go.mod when RepoRoot walks up.
const modulePath = "github.com/noterp/noterp"

// RepoRoot returns the directory that holds NotERP's go.mod, found by
// walking up from the working directory, which go test sets to the
// package's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return root
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(firstLine(string(data)), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// SharedDir returns the team's shared material directory:
// $NOTERP_SHARED_DIR if set, else ../shared beside the repository. The test
// fails if the directory does not exist.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("NOTERP_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join(filepath.Dir(RepoRoot(t)), "shared")
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		t.Fatalf("testenv: shared directory %s not found (%v): put the shared material beside the repository or set NOTERP_SHARED_DIR", dir, err)
	}
	return dir
}

// Main runs the package's tests and then stops the Temporal dev server if a
// test started one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := stopTemporal(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
