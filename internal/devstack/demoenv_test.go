package devstack

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func sampleDemoEnv() DemoEnv {
	return DemoEnv{
		API:            "http://127.0.0.1:8080",
		Tenant:         "demo",
		RequesterToken: "ntp_requester-token_1",
		ApproverToken:  "ntp_approver-token_2",
		ReviewerToken:  "ntp_reviewer-token_3",
		SellerID:       "A1EXAMPLESELLER",
		MarketplaceID:  "ATVPDKIKX0DER",
		SKU:            "DEMO-SKU-001",
	}
}

func TestDemoEnvRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	want := sampleDemoEnv()

	if err := WriteDemoEnv(path, want); err != nil {
		t.Fatalf("WriteDemoEnv: %v", err)
	}
	got, err := ReadDemoEnv(path)
	if err != nil {
		t.Fatalf("ReadDemoEnv: %v", err)
	}

	if got != want {
		t.Errorf("ReadDemoEnv = %+v, want %+v", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("demo.env mode = %04o, want 0600 because it holds tokens", perm)
	}
}

func TestDemoEnvSourcesInShell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	if err := WriteDemoEnv(path, sampleDemoEnv()); err != nil {
		t.Fatalf("WriteDemoEnv: %v", err)
	}

	out, err := exec.Command("sh", "-c", `set -a; . "$1"; printf '%s %s' "$NOTERP_TENANT" "$NOTERP_DEMO_SKU"`, "sh", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing demo.env in sh: %v\n%s", err, out)
	}
	if string(out) != "demo DEMO-SKU-001" {
		t.Errorf("sh saw %q, want %q", out, "demo DEMO-SKU-001")
	}
}

func TestWriteDemoEnvRejectsBadValues(t *testing.T) {
	empty := sampleDemoEnv()
	empty.ApproverToken = ""
	quoted := sampleDemoEnv()
	quoted.SKU = "HC/BRUSH#2 PINK"

	for name, e := range map[string]DemoEnv{"empty token": empty, "SKU with space and #": quoted} {
		t.Run(name, func(t *testing.T) {
			if err := WriteDemoEnv(filepath.Join(t.TempDir(), "demo.env"), e); err == nil {
				t.Error("WriteDemoEnv succeeded, want an error")
			}
		})
	}
}

func TestReadDemoEnvAcceptsQuotesAndExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	text := `# comment

export NOTERP_API="http://127.0.0.1:9000/"
NOTERP_TENANT='acme'
NOTERP_TOKEN_REQUESTER=r
NOTERP_TOKEN_APPROVER=a
NOTERP_TOKEN_REVIEWER=v
NOTERP_DEMO_SELLER_ID=S
NOTERP_DEMO_MARKETPLACE_ID=M
NOTERP_DEMO_SKU=K
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := ReadDemoEnv(path)
	if err != nil {
		t.Fatalf("ReadDemoEnv: %v", err)
	}
	if got.API != "http://127.0.0.1:9000" {
		t.Errorf("API = %q, want the URL without quotes and trailing slash", got.API)
	}
	if got.Tenant != "acme" {
		t.Errorf("Tenant = %q, want acme", got.Tenant)
	}
}

func TestReadDemoEnvNamesMissingVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	if err := os.WriteFile(path, []byte("NOTERP_API=http://127.0.0.1:8080\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := ReadDemoEnv(path)
	if err == nil {
		t.Fatal("ReadDemoEnv of a partial file succeeded, want an error")
	}
	for _, name := range []string{"NOTERP_TENANT", "NOTERP_TOKEN_APPROVER", "NOTERP_DEMO_SKU"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestReadDemoEnvMissingFileSaysMakeRun(t *testing.T) {
	_, err := ReadDemoEnv(filepath.Join(t.TempDir(), "demo.env"))
	if err == nil || !strings.Contains(err.Error(), "make run") {
		t.Errorf("ReadDemoEnv of a missing file error = %v, want one that says to run `make run`", err)
	}
}
