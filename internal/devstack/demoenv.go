package devstack

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DemoEnv is the content of demo.env: where the API is and who may call it.
// The file holds bearer tokens, so it is written with mode 0600.
type DemoEnv struct {
	API            string // NOTERP_API, base URL such as http://127.0.0.1:8080
	Tenant         string // NOTERP_TENANT
	RequesterToken string // NOTERP_TOKEN_REQUESTER
	ApproverToken  string // NOTERP_TOKEN_APPROVER
	ReviewerToken  string // NOTERP_TOKEN_REVIEWER
	SellerID       string // NOTERP_DEMO_SELLER_ID
	MarketplaceID  string // NOTERP_DEMO_MARKETPLACE_ID
	SKU            string // NOTERP_DEMO_SKU
}

// fields pairs each variable name with its field, in file order.
func (e *DemoEnv) fields() []struct {
	name  string
	value *string
} {
	return []struct {
		name  string
		value *string
	}{
		{"NOTERP_API", &e.API},
		{"NOTERP_TENANT", &e.Tenant},
		{"NOTERP_TOKEN_REQUESTER", &e.RequesterToken},
		{"NOTERP_TOKEN_APPROVER", &e.ApproverToken},
		{"NOTERP_TOKEN_REVIEWER", &e.ReviewerToken},
		{"NOTERP_DEMO_SELLER_ID", &e.SellerID},
		{"NOTERP_DEMO_MARKETPLACE_ID", &e.MarketplaceID},
		{"NOTERP_DEMO_SKU", &e.SKU},
	}
}

// WriteDemoEnv writes e to path as KEY=value lines that a POSIX shell can
// source (`set -a; . .data/demo.env; set +a`). Every value must be non-empty
// and consist of characters that need no shell quoting.
func WriteDemoEnv(path string, e DemoEnv) error {
	var buf bytes.Buffer
	buf.WriteString("# Written by `noterp dev`. Demo tenant credentials for the local API only.\n")
	for _, f := range e.fields() {
		if *f.value == "" {
			return fmt.Errorf("write %s: %s is empty", path, f.name)
		}
		if !shellSafe(*f.value) {
			return fmt.Errorf("write %s: the value of %s contains characters that need shell quoting", path, f.name)
		}
		fmt.Fprintf(&buf, "%s=%s\n", f.name, *f.value)
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadDemoEnv reads a file written by WriteDemoEnv. Blank lines and lines
// starting with # are skipped, and values may be wrapped in single or double
// quotes. Every variable must be present.
func ReadDemoEnv(path string) (DemoEnv, error) {
	f, err := os.Open(path)
	if err != nil {
		return DemoEnv{}, fmt.Errorf("read %s: %w: start the stack with `make run` first, which writes it", path, err)
	}
	defer f.Close()

	values := map[string]string{}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(text, "export "), "=")
		if !ok {
			return DemoEnv{}, fmt.Errorf("read %s: line %d is not KEY=value", path, line)
		}
		values[strings.TrimSpace(name)] = unquote(strings.TrimSpace(value))
	}
	if err := scanner.Err(); err != nil {
		return DemoEnv{}, fmt.Errorf("read %s: %w", path, err)
	}

	var e DemoEnv
	var missing []string
	for _, field := range e.fields() {
		*field.value = values[field.name]
		if *field.value == "" {
			missing = append(missing, field.name)
		}
	}
	if len(missing) > 0 {
		return DemoEnv{}, fmt.Errorf("read %s: %s missing: restart `make run` to write the file again", path, strings.Join(missing, ", "))
	}
	e.API = strings.TrimRight(e.API, "/")
	return e, nil
}

func unquote(value string) string {
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		return value[1 : len(value)-1]
	}
	return value
}

// shellSafe reports whether value can stand unquoted in a shell assignment.
func shellSafe(value string) bool {
	for _, r := range value {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_.:/@%+=,", r):
		default:
			return false
		}
	}
	return true
}
