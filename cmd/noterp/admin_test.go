package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zapcore"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/secrets"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
)

// testRefreshToken is a made-up LWA refresh token. Tests check that it
// never shows in output or logs.
const testRefreshToken = "Atzr|IwEBIadmin-test-refresh-token-0123456789"

// adminHarness runs admin commands against one database and secret store.
type adminHarness struct {
	cfg         config.Config
	databaseURL string
}

// adminResult is what one admin command wrote and returned.
type adminResult struct {
	stdout string
	logs   string
	err    error
}

// newAdminHarness uses a fresh migrated database when withDatabase is true.
// Otherwise it points at a loopback port that nothing listens on, for input
// that must be rejected before the database is opened.
func newAdminHarness(t *testing.T, withDatabase bool) adminHarness {
	t.Helper()
	vars := map[string]string{
		config.EnvDataDir:     filepath.Join(t.TempDir(), "data"),
		config.EnvDatabaseURL: "postgres://postgres@" + freeAddr(t) + "/absent?sslmode=disable",
	}
	if withDatabase {
		vars[config.EnvDatabaseURL] = testenv.Postgres(t)
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return adminHarness{cfg: cfg, databaseURL: vars[config.EnvDatabaseURL]}
}

// run runs `noterp admin args…` with stdin as its input and logs at debug
// level, so that a secret in any log line would show.
func (h adminHarness) run(stdin string, args ...string) adminResult {
	var out, logs bytes.Buffer
	logger := newLogger(zapcore.DebugLevel, "admin", &logs)
	err := runAdminWith(context.Background(), h.cfg, logger, args, strings.NewReader(stdin), &out)
	logger.Sync()
	return adminResult{stdout: out.String(), logs: logs.String(), err: err}
}

// mustRun runs the command and fails the test if it returns an error.
func (h adminHarness) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := h.run(stdin, args...)
	if r.err != nil {
		t.Fatalf("noterp admin %s: %v\nlogs:\n%s", strings.Join(args, " "), r.err, r.logs)
	}
	return r.stdout
}

func (h adminHarness) store(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), h.databaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func (h adminHarness) secrets(t *testing.T) *secrets.Local {
	t.Helper()
	local, err := openSecrets(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return local
}

// createTenants creates each tenant, as every admin command except tenant
// create requires.
func (h adminHarness) createTenants(t *testing.T, tenants ...string) {
	t.Helper()
	for _, tenant := range tenants {
		h.mustRun(t, "", "tenant", "create", "-tenant", tenant)
	}
}

func writePolicyFile(t *testing.T, document string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(document), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAdminTenantCreate(t *testing.T) {
	h := newAdminHarness(t, true)

	for range 2 {
		out := h.mustRun(t, "", "tenant", "create", "-tenant", "acme")
		if out != "tenant acme is ready\n" {
			t.Errorf("stdout = %q, want the tenant confirmed", out)
		}
	}

	conn, err := pgx.Connect(context.Background(), h.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var count int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM tenants WHERE id = 'acme'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Errorf("tenants named acme = %d, want 1", count)
	}
}

func TestAdminTokenIssuePrintsOnlyToken(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester, approver,requester")

	out := h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "laptop")

	if !regexp.MustCompile(`^ntk_[A-Za-z0-9_-]+\n$`).MatchString(out) {
		t.Fatalf("stdout = %q, want the token alone on one line", out)
	}
	principal, err := h.store(t).Authenticate(context.Background(), strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("Authenticate(issued token): %v", err)
	}
	if principal.Tenant != "acme" || principal.UserID != "alice" {
		t.Errorf("principal = %s/%s, want acme/alice", principal.Tenant, principal.UserID)
	}
	if !slices.Equal(principal.Roles, []string{"requester", "approver"}) {
		t.Errorf("roles = %v, want [requester approver] without the repeat", principal.Roles)
	}
}

func TestAdminUserCreateReplacesRoles(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester")
	token := strings.TrimSpace(h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "ci"))

	out := h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "auditor")

	if !strings.Contains(out, "user alice of tenant acme has the roles auditor") {
		t.Errorf("stdout = %q, want the new roles", out)
	}
	principal, err := h.store(t).Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(principal.Roles, []string{"auditor"}) {
		t.Errorf("roles = %v, want [auditor]", principal.Roles)
	}
}

func TestAdminTokenIssueUnknownUser(t *testing.T) {
	h := newAdminHarness(t, true)
	h.mustRun(t, "", "tenant", "create", "-tenant", "acme")

	r := h.run("", "token", "issue", "-tenant", "acme", "-user", "nobody", "-label", "laptop")

	if !errors.Is(r.err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", r.err)
	}
	if !strings.Contains(r.err.Error(), "noterp admin user create -tenant acme -user nobody") {
		t.Errorf("err = %v, want the command that creates the user", r.err)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

func TestAdminTokenRevokeFromStdin(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester")
	token := strings.TrimSpace(h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "laptop"))

	r := h.run(token+"\n", "token", "revoke", "-tenant", "acme")

	if r.err != nil {
		t.Fatalf("revoke: %v", r.err)
	}
	if _, err := h.store(t).Authenticate(context.Background(), token); !errors.Is(err, store.ErrUnauthenticated) {
		t.Errorf("Authenticate(revoked token) = %v, want ErrUnauthenticated", err)
	}
	if strings.Contains(r.stdout+r.logs, token) {
		t.Error("the revoked token appears in stdout or the logs")
	}

	again := h.run(token, "token", "revoke", "-tenant", "acme")
	if !errors.Is(again.err, store.ErrNotFound) {
		t.Errorf("second revoke = %v, want store.ErrNotFound", again.err)
	}
	var usageErr *usageError
	if errors.As(again.err, &usageErr) {
		t.Error("second revoke is a usage error, want a plain failure (exit 1)")
	}
}

func TestAdminTokenRevokeOtherTenant(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme", "globex")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester")
	token := strings.TrimSpace(h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "laptop"))

	r := h.run(token, "token", "revoke", "-tenant", "globex")

	if !errors.Is(r.err, store.ErrNotFound) {
		t.Errorf("revoke from another tenant = %v, want store.ErrNotFound", r.err)
	}
	if _, err := h.store(t).Authenticate(context.Background(), token); err != nil {
		t.Errorf("Authenticate after another tenant's revoke: %v, want the token still valid", err)
	}
}

func TestAdminPolicySetStoresNextVersion(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	file := writePolicyFile(t, `{
		"requiredApprovals": 2,
		"eligibleRoles": ["approver", "admin"],
		"maxChangePercent": "20",
		"approvalDeadline": "24h"
	}`)

	var versions []int
	for range 2 {
		out := h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-kind", "listing.price.set", "-file", file)
		var stored policy.Policy
		if err := json.Unmarshal([]byte(out), &stored); err != nil {
			t.Fatalf("stdout is not a policy: %v\n%s", err, out)
		}
		versions = append(versions, stored.Version)
	}

	if !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("stored versions = %v, want [1 2]", versions)
	}
	loaded, err := h.store(t).LoadPolicy(context.Background(), "acme", "listing.price.set")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Version != 2 || loaded.RequiredApprovals != 2 || loaded.ApprovalDeadline.D.String() != "24h0m0s" {
		t.Errorf("loaded policy = v%d, %d approvals, deadline %s; want v2, 2, 24h", loaded.Version, loaded.RequiredApprovals, loaded.ApprovalDeadline.D)
	}
	if loaded.MaxChangePercent == nil || loaded.MaxChangePercent.String() != "20" {
		t.Errorf("maxChangePercent = %v, want 20", loaded.MaxChangePercent)
	}
	if loaded.ReviewWindow.D != policy.DefaultReviewWindow {
		t.Errorf("reviewWindow = %s, want the default %s filled in", loaded.ReviewWindow.D, policy.DefaultReviewWindow)
	}
}

func TestAdminPolicyShowRoundTrips(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")

	shown := h.mustRun(t, "", "policy", "show", "-tenant", "acme")
	var defaults policy.Policy
	if err := json.Unmarshal([]byte(shown), &defaults); err != nil {
		t.Fatalf("policy show printed no policy: %v\n%s", err, shown)
	}
	if defaults.Kind != "listing.price.set" || defaults.RequiredApprovals != 1 {
		t.Errorf("shown default = kind %q, %d approvals; want listing.price.set, 1", defaults.Kind, defaults.RequiredApprovals)
	}

	edited := strings.Replace(shown, `"requiredApprovals": 1`, `"requiredApprovals": 3`, 1)
	h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, edited))

	shown = h.mustRun(t, "", "policy", "show", "-tenant", "acme", "-kind", "listing.price.set")
	var stored policy.Policy
	if err := json.Unmarshal([]byte(shown), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Version != 1 || stored.RequiredApprovals != 3 {
		t.Errorf("shown after set = v%d with %d approvals, want v1 with 3", stored.Version, stored.RequiredApprovals)
	}
}

func TestAdminPolicySetFromStdin(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")

	out := h.mustRun(t, `{"requiredApprovals": 0}`, "policy", "set", "-tenant", "acme", "-file", "-")

	if !strings.Contains(out, `"requiredApprovals": 0`) {
		t.Errorf("stdout = %s, want the stored policy", out)
	}
}

func TestAdminSellerConnectStoresTokenOutsidePostgres(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")

	r := h.run(testRefreshToken+"\n", "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER",
		"-region", "NA", "-marketplaces", "ATVPDKIKX0DER, A2EUQ1WTGCTBG2,ATVPDKIKX0DER")

	if r.err != nil {
		t.Fatalf("seller connect: %v", r.err)
	}
	got, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER")
	if err != nil || got != testRefreshToken {
		t.Errorf("secret store has %q, %v; want the token from stdin", got, err)
	}
	connection, err := h.store(t).GetSellerConnection(context.Background(), "acme", "A1EXAMPLESELLER")
	if err != nil {
		t.Fatal(err)
	}
	if connection.Region != "na" || !slices.Equal(connection.MarketplaceIDs, []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}) {
		t.Errorf("connection = region %q, marketplaces %v; want na, [ATVPDKIKX0DER A2EUQ1WTGCTBG2]", connection.Region, connection.MarketplaceIDs)
	}
	if strings.Contains(r.stdout, testRefreshToken) || strings.Contains(r.logs, testRefreshToken) {
		t.Errorf("the refresh token appears in stdout or the logs:\n%s\n%s", r.stdout, r.logs)
	}
	if strings.Contains(dumpDatabase(t, h.databaseURL), "admin-test-refresh-token") {
		t.Error("the refresh token is stored in PostgreSQL")
	}
}

// dumpDatabase returns every row of the tables that admin commands write, as
// text.
func dumpDatabase(t *testing.T, databaseURL string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	var dump strings.Builder
	for _, table := range []string{"tenants", "users", "api_tokens", "seller_connections", "policies", "audit_log"} {
		var rows string
		err := conn.QueryRow(context.Background(), `SELECT coalesce(json_agg(t)::text, '') FROM `+pgx.Identifier{table}.Sanitize()+` t`).Scan(&rows)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		dump.WriteString(rows)
	}
	return dump.String()
}

func TestAdminSellerConnectWarnsOfOtherRegion(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.cfg.SPAPIRegion = "eu"

	r := h.run(testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")

	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.logs, "WARN") || !strings.Contains(r.logs, `"worker_region": "eu"`) {
		t.Errorf("logs = %q, want a warning naming the worker's region", r.logs)
	}
	if strings.Contains(r.logs, testRefreshToken) {
		t.Error("the refresh token appears in the warning")
	}
}

func TestAdminSellerDisconnectDeletesToken(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "eu", "-marketplaces", "A1F83G8C2ARO7P")

	out := h.mustRun(t, "", "seller", "disconnect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER")

	if !strings.Contains(out, "seller A1EXAMPLESELLER disconnected from tenant acme") {
		t.Errorf("stdout = %q, want the disconnection confirmed", out)
	}
	if _, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("RefreshToken after disconnect = %v, want secrets.ErrNotFound", err)
	}
	if _, err := h.store(t).GetSellerConnection(context.Background(), "acme", "A1EXAMPLESELLER"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("connection after disconnect = %v, want store.ErrNotFound", err)
	}

	h.createTenants(t, "globex")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "globex", "-seller-id", "A1EXAMPLESELLER", "-region", "eu", "-marketplaces", "A1F83G8C2ARO7P")
}

func TestAdminSellerDisconnectOtherTenant(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme", "globex")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")

	r := h.run("", "seller", "disconnect", "-tenant", "globex", "-seller-id", "A1EXAMPLESELLER")

	if !errors.Is(r.err, store.ErrNotFound) {
		t.Errorf("disconnect by another tenant = %v, want store.ErrNotFound", r.err)
	}
	if got, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER"); err != nil || got != testRefreshToken {
		t.Errorf("acme's refresh token after globex's disconnect = %v, want it kept", err)
	}
}

func TestAdminAuditVerify(t *testing.T) {
	h := newAdminHarness(t, true)
	h.mustRun(t, "", "tenant", "create", "-tenant", "acme")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "admin")
	h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "laptop")

	out := h.mustRun(t, "", "audit", "verify", "-tenant", "acme")
	if out != "audit ledger of tenant acme: 3 rows, hash chain intact\n" {
		t.Errorf("stdout = %q, want 3 intact rows", out)
	}

	// A superuser can switch the append-only trigger off; the chain still
	// shows the edit.
	conn, err := pgx.Connect(context.Background(), h.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, statement := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`UPDATE audit_log SET actor = 'mallory' WHERE tenant = 'acme' AND seq = 2`,
	} {
		if _, err := conn.Exec(context.Background(), statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}

	r := h.run("", "audit", "verify", "-tenant", "acme")
	if r.err == nil {
		t.Fatalf("audit verify accepted a changed row; stdout %q", r.stdout)
	}
	if !strings.Contains(r.err.Error(), "row 2") || !strings.Contains(r.err.Error(), "the 1 rows before it are intact") {
		t.Errorf("err = %v, want row 2 named as the first broken row", r.err)
	}
}

func TestAdminAuditRecordsNoSecrets(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester")
	token := strings.TrimSpace(h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", "alice", "-label", "laptop"))
	h.mustRun(t, token, "token", "revoke", "-tenant", "acme")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")
	h.mustRun(t, "", "seller", "disconnect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER")

	rows, err := h.store(t).ListAudit(context.Background(), "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, row := range rows {
		events = append(events, row.Event)
		if !strings.HasPrefix(row.Actor, "cli") {
			t.Errorf("row %d actor = %q, want the cli operator", row.Seq, row.Actor)
		}
	}
	want := []string{"tenant.created", "user.saved", "token.issued", "token.revoked", "seller.connected", "seller.disconnected"}
	if !slices.Equal(events, want) {
		t.Errorf("audit events = %v, want %v", events, want)
	}
	dump := dumpDatabase(t, h.databaseURL)
	if strings.Contains(dump, token) || strings.Contains(dump, "admin-test-refresh-token") {
		t.Error("a token is stored in PostgreSQL in plaintext")
	}
}

// TestAdminOnboardsPriceChangeReadyTenant walks the README's onboarding
// steps and checks that the API would accept each user's token.
func TestAdminOnboardsPriceChangeReadyTenant(t *testing.T) {
	h := newAdminHarness(t, true)
	h.mustRun(t, "", "tenant", "create", "-tenant", "acme")
	users := map[string]string{"alice": "requester", "bob": "approver", "carol": "reviewer"}
	tokens := map[string]string{}
	for userID, role := range users {
		h.mustRun(t, "", "user", "create", "-tenant", "acme", "-user", userID, "-roles", role)
		tokens[userID] = strings.TrimSpace(h.mustRun(t, "", "token", "issue", "-tenant", "acme", "-user", userID, "-label", "onboarding"))
	}
	file := writePolicyFile(t, `{"requiredApprovals": 1, "eligibleRoles": ["approver"], "maxChangePercent": "30"}`)
	h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", file)
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")

	st := h.store(t)
	ctx := context.Background()
	for userID, role := range users {
		principal, err := st.Authenticate(ctx, tokens[userID])
		if err != nil {
			t.Errorf("Authenticate(%s's token): %v", userID, err)
			continue
		}
		if principal.Tenant != "acme" || principal.UserID != userID || !slices.Equal(principal.Roles, []string{role}) {
			t.Errorf("principal of %s's token = %+v, want acme/%s with role %s", userID, principal, userID, role)
		}
	}
	p, err := st.LoadPolicy(ctx, "acme", "listing.price.set")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || !p.CanDecide([]string{"approver"}) || p.CanDecide([]string{"requester"}) {
		t.Errorf("policy = v%d with eligible roles %v, want v1 where only approvers decide", p.Version, p.EligibleRoles)
	}
	if _, err := st.GetSellerConnection(ctx, "acme", "A1EXAMPLESELLER"); err != nil {
		t.Errorf("seller connection: %v", err)
	}
	if _, err := h.secrets(t).RefreshToken(ctx, "A1EXAMPLESELLER"); err != nil {
		t.Errorf("refresh token: %v", err)
	}
	if out := h.mustRun(t, "", "audit", "verify", "-tenant", "acme"); !strings.Contains(out, "hash chain intact") {
		t.Errorf("audit verify = %q, want an intact chain", out)
	}
}

func TestAdminUnknownTenantCreatesNothing(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	policyFile := writePolicyFile(t, `{"requiredApprovals": 1, "eligibleRoles": ["approver"]}`)
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"user create", "", []string{"user", "create", "-tenant", "nope", "-user", "alice", "-roles", "requester"}},
		{"token issue", "", []string{"token", "issue", "-tenant", "nope", "-user", "alice", "-label", "laptop"}},
		{"token revoke", "ntk_not-a-real-token", []string{"token", "revoke", "-tenant", "nope"}},
		{"policy set", "", []string{"policy", "set", "-tenant", "nope", "-file", policyFile}},
		{"policy show", "", []string{"policy", "show", "-tenant", "nope"}},
		{"seller connect", testRefreshToken, []string{"seller", "connect", "-tenant", "nope", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER"}},
		{"seller disconnect", "", []string{"seller", "disconnect", "-tenant", "nope", "-seller-id", "A1EXAMPLESELLER"}},
		{"audit verify", "", []string{"audit", "verify", "-tenant", "nope"}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.run(c.stdin, c.args...)

			want := "tenant \"nope\" was not found: create it with `noterp admin tenant create -tenant nope`"
			if r.err == nil || r.err.Error() != want {
				t.Fatalf("err = %v, want %q", r.err, want)
			}
			if !errors.Is(r.err, store.ErrNotFound) {
				t.Errorf("err = %v, want it to wrap store.ErrNotFound", r.err)
			}
			var usageErr *usageError
			if errors.As(r.err, &usageErr) {
				t.Error("err is a usage error, want a plain failure (exit 1)")
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			exists, err := h.store(t).TenantExists(context.Background(), "nope")
			if err != nil {
				t.Fatal(err)
			}
			if exists {
				t.Error("the command created tenant nope")
			}
		})
	}

	if _, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("RefreshToken after connecting to an unknown tenant = %v, want secrets.ErrNotFound", err)
	}
	if dump := dumpDatabase(t, h.databaseURL); strings.Contains(dump, "nope") {
		t.Errorf("the database has rows of tenant nope: %s", dump)
	}
}

func TestAdminSellerConnectRejectsOtherTenantsSeller(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme", "globex")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")
	globexToken := "Atzr|IwEBIglobex-refresh-token-9876543210"

	r := h.run(globexToken, "seller", "connect", "-tenant", "globex", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")

	want := "seller A1EXAMPLESELLER is already connected to another tenant; one seller can be connected to one tenant"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("err = %v, want %q", r.err, want)
	}
	if strings.Contains(r.err.Error()+r.stdout+r.logs, "acme") {
		t.Errorf("the rejection names the other tenant: %v\n%s", r.err, r.logs)
	}
	var usageErr *usageError
	if errors.As(r.err, &usageErr) {
		t.Error("err is a usage error, want a plain failure (exit 1)")
	}
	if got, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER"); err != nil || got != testRefreshToken {
		t.Errorf("acme's refresh token after globex's attempt = %v, want it kept", err)
	}
	if _, err := h.store(t).GetSellerConnection(context.Background(), "globex", "A1EXAMPLESELLER"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("globex's connection = %v, want store.ErrNotFound", err)
	}
}

func TestAdminSellerReconnectRotatesToken(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "eu", "-marketplaces", "A1F83G8C2ARO7P")
	rotated := "Atzr|IwEBIrotated-refresh-token-0000000001"

	h.mustRun(t, rotated, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "eu", "-marketplaces", "A1F83G8C2ARO7P,A1PA6795UKMFR9")

	if got, err := h.secrets(t).RefreshToken(context.Background(), "A1EXAMPLESELLER"); err != nil || got != rotated {
		t.Errorf("refresh token after reconnecting = %v, want the rotated token", err)
	}
	connection, err := h.store(t).GetSellerConnection(context.Background(), "acme", "A1EXAMPLESELLER")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(connection.MarketplaceIDs, []string{"A1F83G8C2ARO7P", "A1PA6795UKMFR9"}) {
		t.Errorf("marketplaces after reconnecting = %v, want [A1F83G8C2ARO7P A1PA6795UKMFR9]", connection.MarketplaceIDs)
	}
}

func TestAdminSellerDisconnectUnknownSeller(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme", "globex")
	for _, sellerID := range []string{"B2SECONDSELLER", "A1EXAMPLESELLER"} {
		h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", sellerID, "-region", "na", "-marketplaces", "ATVPDKIKX0DER")
	}

	r := h.run("", "seller", "disconnect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELER")

	if !errors.Is(r.err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", r.err)
	}
	if !strings.Contains(r.err.Error(), "tenant acme has connected A1EXAMPLESELLER, B2SECONDSELLER: check -seller-id") {
		t.Errorf("err = %v, want the tenant's sellers listed and the fix", r.err)
	}

	none := h.run("", "seller", "disconnect", "-tenant", "globex", "-seller-id", "A1EXAMPLESELLER")

	if !errors.Is(none.err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", none.err)
	}
	if !strings.Contains(none.err.Error(), "tenant globex has no connected seller") || !strings.Contains(none.err.Error(), "noterp admin seller connect -tenant globex") {
		t.Errorf("err = %v, want the next step for a tenant without sellers", none.err)
	}
	if strings.Contains(none.err.Error(), "acme") {
		t.Errorf("err = %v names another tenant", none.err)
	}
}

func TestAdminPolicySetRejectsStaleEdit(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	defaultShown := h.mustRun(t, "", "policy", "show", "-tenant", "acme")
	if !strings.Contains(defaultShown, `"version": 0,`) {
		t.Fatalf("policy show without a stored policy = %s, want version 0", defaultShown)
	}

	// Alice and Bob both edit the default; Alice stores first.
	alice := strings.Replace(defaultShown, `"requiredApprovals": 1`, `"requiredApprovals": 2`, 1)
	bob := strings.Replace(defaultShown, `"requiredApprovals": 1`, `"requiredApprovals": 3`, 1)
	h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, alice))

	r := h.run("", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, bob))

	want := "the file was edited from the default policy but the policy of tenant acme for listing.price.set is at version 1: " +
		"run `noterp admin policy show -tenant acme -kind listing.price.set` again and reapply your change"
	if r.err == nil || r.err.Error() != want {
		t.Fatalf("err = %v, want %q", r.err, want)
	}

	// Alice edits version 1 and stores version 2; Bob's edit of version 1
	// is now stale too.
	v1 := h.mustRun(t, "", "policy", "show", "-tenant", "acme")
	h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, strings.Replace(v1, `"requiredApprovals": 2`, `"requiredApprovals": 4`, 1)))

	r = h.run("", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, strings.Replace(v1, `"requiredApprovals": 2`, `"requiredApprovals": 3`, 1)))

	if r.err == nil || !strings.Contains(r.err.Error(), "the file was edited from version 1 but the policy of tenant acme for listing.price.set is at version 2") {
		t.Fatalf("err = %v, want the versions named", r.err)
	}
	loaded, err := h.store(t).LoadPolicy(context.Background(), "acme", "listing.price.set")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Version != 2 || loaded.RequiredApprovals != 4 {
		t.Errorf("stored policy = v%d with %d approvals, want Alice's v2 with 4", loaded.Version, loaded.RequiredApprovals)
	}
}

func TestAdminPolicySetAppliesCurrentEdit(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")
	h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, `{"requiredApprovals": 2, "eligibleRoles": ["approver"]}`))
	v1 := h.mustRun(t, "", "policy", "show", "-tenant", "acme")

	out := h.mustRun(t, "", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, strings.Replace(v1, `"requiredApprovals": 2`, `"requiredApprovals": 5`, 1)))

	var stored policy.Policy
	if err := json.Unmarshal([]byte(out), &stored); err != nil {
		t.Fatalf("stdout is not a policy: %v\n%s", err, out)
	}
	if stored.Version != 2 || stored.RequiredApprovals != 5 {
		t.Errorf("stored = v%d with %d approvals, want v2 with 5", stored.Version, stored.RequiredApprovals)
	}
}

func TestAdminPolicySetVersionWithoutStoredPolicy(t *testing.T) {
	h := newAdminHarness(t, true)
	h.createTenants(t, "acme")

	r := h.run("", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, `{"version": 3, "requiredApprovals": 1, "eligibleRoles": ["approver"]}`))

	if r.err == nil || !strings.Contains(r.err.Error(), "the file was edited from version 3 but tenant acme has stored no policy for listing.price.set yet") {
		t.Fatalf("err = %v, want the missing stored policy named", r.err)
	}
	version, err := h.store(t).StoredPolicyVersion(context.Background(), "acme", "listing.price.set")
	if err != nil {
		t.Fatal(err)
	}
	if version != 0 {
		t.Errorf("stored version = %d, want nothing stored", version)
	}
}

func TestRunWithRegionWithoutLWAClient(t *testing.T) {
	t.Setenv(config.EnvDatabaseURL, testenv.Postgres(t))
	t.Setenv(config.EnvDataDir, t.TempDir())
	t.Setenv(config.EnvSPAPIRegion, "na")
	t.Setenv(config.EnvLWAClientID, "")
	t.Setenv(config.EnvLWAClientSecret, "")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"admin", []string{"admin", "tenant", "create", "-tenant", "acme"}, 0, nil},
		{"api help", []string{"api", "-h"}, 0, nil},
		{"worker", []string{"worker"}, 2, []string{"invalid configuration", config.EnvLWAClientID, config.EnvLWAClientSecret}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer

			code := run(c.args, &out, &errOut)

			if code != c.code {
				t.Errorf("exit code = %d, want %d; stderr %q", code, c.code, errOut.String())
			}
			for _, want := range c.stderr {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr = %q, want it to contain %q", errOut.String(), want)
				}
			}
		})
	}

	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	h := adminHarness{cfg: cfg, databaseURL: cfg.DatabaseURL}
	h.mustRun(t, testRefreshToken, "seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER")
}

func TestAdminRejectsBadInput(t *testing.T) {
	h := newAdminHarness(t, false)
	connect := []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER"}
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"no command", "", nil, []string{"missing command"}},
		{"unknown command", "", []string{"tenant", "delete", "-tenant", "acme"}, []string{`unknown command "tenant delete"`}},
		{"group without verb", "", []string{"tenant"}, []string{`"tenant" needs a verb`}},
		{"missing tenant", "", []string{"tenant", "create"}, []string{"-tenant is missing", "-tenant acme"}},
		{"invalid tenant", "", []string{"tenant", "create", "-tenant", "Acme:1"}, []string{"-tenant", `"Acme:1"`, "lower-case"}},
		{"unknown flag", "", []string{"tenant", "create", "-tenant", "acme", "-force"}, []string{"-force", "-h"}},
		{"stray argument", "", []string{"tenant", "create", "acme"}, []string{`["acme"]`, "put a - before each flag name"}},
		{"missing user", "", []string{"user", "create", "-tenant", "acme", "-roles", "approver"}, []string{"-user is missing"}},
		{"missing roles", "", []string{"user", "create", "-tenant", "acme", "-user", "alice"}, []string{"-roles is missing"}},
		{"unknown role", "", []string{"user", "create", "-tenant", "acme", "-user", "alice", "-roles", "requester,boss"}, []string{`role "boss" is unknown`, "auditor"}},
		{"only commas as roles", "", []string{"user", "create", "-tenant", "acme", "-user", "alice", "-roles", ",,"}, []string{"names no role"}},
		{"missing label", "", []string{"token", "issue", "-tenant", "acme", "-user", "alice"}, []string{"-label is missing"}},
		{"empty token on stdin", " \n", []string{"token", "revoke", "-tenant", "acme"}, []string{"stdin is empty", "API token"}},
		{"missing policy file flag", "", []string{"policy", "set", "-tenant", "acme"}, []string{"-file is missing"}},
		{"missing policy file", "", []string{"policy", "set", "-tenant", "acme", "-file", filepath.Join(t.TempDir(), "absent.json")}, []string{"absent.json", "no such file"}},
		{"unknown kind", "", []string{"policy", "show", "-tenant", "acme", "-kind", "listing.price.delete"}, []string{`-kind "listing.price.delete" is unknown`, "listing.price.set"}},
		{"missing seller id", "", []string{"seller", "connect", "-tenant", "acme", "-region", "na", "-marketplaces", "ATVPDKIKX0DER"}, []string{"-seller-id is missing"}},
		{"lower-case seller id", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "a1example", "-region", "na", "-marketplaces", "ATVPDKIKX0DER"}, []string{`-seller-id "a1example" is invalid`}},
		{"unknown region", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "us-east-1", "-marketplaces", "ATVPDKIKX0DER"}, []string{`-region "us-east-1" is unknown`, "na", "eu", "fe"}},
		{"missing region", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-marketplaces", "ATVPDKIKX0DER"}, []string{"-region is missing"}},
		{"invalid marketplace", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "ATVPDKIKX0DER,amazon.com"}, []string{`marketplace id "amazon.com" is invalid`}},
		{"marketplace of other region", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "na", "-marketplaces", "A1PA6795UKMFR9"}, []string{"marketplace A1PA6795UKMFR9 (DE) is in region eu, not in -region na", "set -region eu", "ATVPDKIKX0DER (US)"}},
		{"marketplace of other region in list", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "fe", "-marketplaces", "A1VC38T7YXB528,ATVPDKIKX0DER"}, []string{"marketplace ATVPDKIKX0DER (US) is in region na, not in -region fe", "A1VC38T7YXB528 (JP)"}},
		{"unknown marketplace", testRefreshToken, []string{"seller", "connect", "-tenant", "acme", "-seller-id", "A1EXAMPLESELLER", "-region", "EU", "-marketplaces", "A1EXAMPLEMARKET"}, []string{`marketplace id "A1EXAMPLEMARKET" is unknown`, "region eu", "A1F83G8C2ARO7P (UK)"}},
		{"empty refresh token", "", connect, []string{"stdin is empty", "refresh token"}},
		{"access token as refresh token", "Atza|IwEBIaccess-token-by-mistake", connect, []string{"access token (Atza|…)", "Atzr|"}},
		{"not a refresh token", "hunter2-not-a-token", connect, []string{"starts with Atzr|"}},
		{"two lines of refresh token", testRefreshToken + "\n" + testRefreshToken, connect, []string{"more than one word or line"}},
		{"refresh token too long", "Atzr|" + strings.Repeat("x", 2048), connect, []string{"2053 bytes", "2048"}},
		{"missing seller id to disconnect", "", []string{"seller", "disconnect", "-tenant", "acme"}, []string{"-seller-id is missing"}},
		{"missing tenant to verify", "", []string{"audit", "verify"}, []string{"-tenant is missing"}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.run(c.stdin, c.args...)

			var usageErr *usageError
			if !errors.As(r.err, &usageErr) {
				t.Fatalf("err = %v, want a usage error", r.err)
			}
			for _, want := range c.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", r.err, want)
				}
			}
			if strings.Contains(r.err.Error()+r.stdout+r.logs, "IwEBI") || strings.Contains(r.err.Error(), "hunter2") {
				t.Errorf("a token read from stdin appears in the error, stdout or logs: %v", r.err)
			}
		})
	}
}

func TestAdminRejectsBadPolicyNamingField(t *testing.T) {
	h := newAdminHarness(t, false)
	cases := []struct {
		name     string
		document string
		want     []string
	}{
		{"wrong type", `{"requiredApprovals": "two"}`, []string{"field requiredApprovals", "string"}},
		{"misspelled field", `{"requiredApprovls": 1}`, []string{`field "requiredApprovls" is unknown`, "requiredApprovals"}},
		{"invalid duration", `{"approvalDeadline": "3 days"}`, []string{"field approvalDeadline", `"3 days"`}},
		{"negative approvals", `{"requiredApprovals": -1}`, []string{"requiredApprovals is -1"}},
		{"unknown eligible role", `{"requiredApprovals": 1, "eligibleRoles": ["boss"]}`, []string{`eligible role "boss"`}},
		{"approvals without roles", `{"requiredApprovals": 1, "eligibleRoles": []}`, []string{"eligibleRoles is empty"}},
		{"zero guardrail", `{"maxChangePercent": 0}`, []string{"maxChangePercent is 0"}},
		{"negative duration", `{"reviewWindow": "-1h"}`, []string{"reviewWindow is negative"}},
		{"syntax error", "{\n  \"requiredApprovals\": 1,\n}", []string{"line 3"}},
		{"empty file", "", []string{"JSON syntax error"}},
		{"not an object", `[1, 2]`, []string{"not a JSON object"}},
		{"other tenant", `{"tenant": "globex"}`, []string{`names tenant "globex"`, `-tenant is "acme"`}},
		{"other kind", `{"kind": "listing.quantity.set"}`, []string{`names kind "listing.quantity.set"`}},
		{"negative version", `{"version": -1}`, []string{"has version -1", "policy show"}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.run("", "policy", "set", "-tenant", "acme", "-file", writePolicyFile(t, c.document))

			var usageErr *usageError
			if !errors.As(r.err, &usageErr) {
				t.Fatalf("err = %v, want a usage error", r.err)
			}
			for _, want := range c.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", r.err, want)
				}
			}
			if strings.Contains(r.err.Error(), "v0") {
				t.Errorf("err = %q names version 0, which no stored policy has", r.err)
			}
		})
	}
}

func TestRunAdminExitCodes(t *testing.T) {
	t.Setenv(config.EnvDatabaseURL, testenv.Postgres(t))
	t.Setenv(config.EnvDataDir, t.TempDir())
	// The cases run in order, so success creates the tenant that failure
	// needs.
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"admin", "help"}, 0, "seller connect", ""},
		{"success", []string{"admin", "tenant", "create", "-tenant", "acme"}, 0, "tenant acme is ready", ""},
		{"command help", []string{"admin", "token", "issue", "-h"}, 0, "-label", ""},
		{"usage error", []string{"admin", "user", "create", "-tenant", "acme", "-user", "alice", "-roles", "boss"}, 2, "", `noterp admin: -roles: role "boss" is unknown`},
		{"failure", []string{"admin", "token", "issue", "-tenant", "acme", "-user", "nobody", "-label", "laptop"}, 1, "", "user nobody of tenant acme: not found"},
		{"unknown tenant", []string{"admin", "user", "create", "-tenant", "nope", "-user", "alice", "-roles", "requester"}, 1, "", `tenant "nope" was not found`},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer

			code := run(c.args, &out, &errOut)

			if code != c.code {
				t.Errorf("exit code = %d, want %d; stderr %q", code, c.code, errOut.String())
			}
			if !strings.Contains(out.String(), c.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), c.stdout)
			}
			if !strings.Contains(errOut.String(), c.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), c.stderr)
			}
		})
	}
}
