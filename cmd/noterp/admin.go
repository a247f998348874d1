package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// adminCommand is one `noterp admin <group> <verb>` command.
type adminCommand struct {
	group    string
	verb     string
	synopsis string
	summary  string
	run      func(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error
}

// adminCommands lists the admin commands in the order the help shows them.
var adminCommands = []adminCommand{
	{"tenant", "create", "-tenant ID", "create a tenant", adminTenantCreate},
	{"user", "create", "-tenant ID -user ID -roles ROLE,…", "create a user or replace its roles", adminUserCreate},
	{"token", "issue", "-tenant ID -user ID -label TEXT", "issue an API token and print it on stdout", adminTokenIssue},
	{"token", "revoke", "-tenant ID < token", "revoke the API token read from stdin", adminTokenRevoke},
	{"policy", "set", "-tenant ID [-kind KIND] -file FILE", "validate a policy file and store it as the next version", adminPolicySet},
	{"policy", "show", "-tenant ID [-kind KIND]", "print the tenant's current policy as JSON, with version 0 for the default policy", adminPolicyShow},
	{"seller", "connect", "-tenant ID -seller-id ID -region REGION -marketplaces ID,… < refresh-token", "store a seller's LWA refresh token and its connection", adminSellerConnect},
	{"seller", "disconnect", "-tenant ID -seller-id ID", "delete a seller's LWA refresh token", adminSellerDisconnect},
	{"audit", "verify", "-tenant ID", "recompute the tenant's audit hash chain", adminAuditVerify},
}

// knownKinds lists the action kinds a policy can be stored for.
var knownKinds = []string{workflows.KindListingPriceSet}

// knownRoles lists the roles a user can hold.
var knownRoles = []string{policy.RoleRequester, policy.RoleApprover, policy.RoleReviewer, policy.RoleAdmin, policy.RoleAuditor}

// validAmazonID matches Amazon seller and marketplace ids, which are
// upper-case letters and digits, such as ATVPDKIKX0DER.
var validAmazonID = regexp.MustCompile(`^[A-Z0-9]+$`)

// Limits on what is read from stdin.
const (
	// maxSecretBytes is the longest token accepted. LWA access and refresh
	// tokens are at most 2048 bytes each, per Amazon's SP-API developer guide.
	maxSecretBytes = 2048
	// maxInputBytes is how much of stdin is read at most, for a token with
	// surrounding white space or a policy document.
	maxInputBytes = 64 << 10
)

// usageError is a mistake on the command line, in its input or in the
// configuration, such as a missing flag, an invalid flag value, an empty
// stdin or a missing NOTERP_* variable. run exits with status 2 for it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// adminSession is the configuration, logger and streams that every admin
// command uses.
type adminSession struct {
	cfg    config.Config
	logger *zap.Logger
	in     io.Reader
	out    io.Writer
	// actor names the operator in the audit ledger: "cli:" and the OS user.
	actor string
}

// runAdmin runs `noterp admin`, which onboards tenants by writing directly
// to PostgreSQL and the secret store. Secrets come from the process's stdin.
func runAdmin(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	return runAdminWith(ctx, cfg, logger, args, os.Stdin, out)
}

// runAdminWith runs the admin command in args, reading secrets from in.
func runAdminWith(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, in io.Reader, out io.Writer) error {
	if logger == nil {
		logger = zap.NewNop()
	}
	if len(args) == 0 {
		return usageErrorf("missing command: run `noterp admin help` for the commands")
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		adminUsage(out)
		return nil
	}
	if len(args) < 2 {
		return usageErrorf("%q needs a verb, such as `noterp admin tenant create`: run `noterp admin help` for the commands", args[0])
	}

	i := slices.IndexFunc(adminCommands, func(c adminCommand) bool { return c.group == args[0] && c.verb == args[1] })
	if i < 0 {
		return usageErrorf("unknown command %q: run `noterp admin help` for the commands", args[0]+" "+args[1])
	}
	c := adminCommands[i]

	s := &adminSession{cfg: cfg, logger: logger, in: in, out: out, actor: cliActor()}
	return c.run(ctx, s, newAdminFlags(c, out), args[2:])
}

func adminUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: noterp admin <group> <verb> [flags]\n\nCommands:\n")
	for _, c := range adminCommands {
		fmt.Fprintf(w, "  %-18s %s\n", c.group+" "+c.verb, c.summary)
		fmt.Fprintf(w, "  %-18s   %s\n", "", c.synopsis)
	}
	fmt.Fprintf(w, "\nThe commands write to the database of %s and to the secret store of %s.\n", config.EnvDatabaseURL, config.EnvSecretsFile)
	fmt.Fprintf(w, "Run `noterp migrate` once first. `noterp admin <group> <verb> -h` lists a command's flags.\n")
}

// newAdminFlags returns c's flag set. Parse errors are not printed, because
// parseAdminFlags returns them as usage errors; -h prints the help to out.
func newAdminFlags(c adminCommand, out io.Writer) *flag.FlagSet {
	name := "noterp admin " + c.group + " " + c.verb
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s %s\n\n%s.\n\nFlags:\n", name, c.synopsis, capitalize(c.summary))
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseAdminFlags parses args and checks that every flag in required is set.
func parseAdminFlags(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErrorf("%w: run `%s -h` for the flags", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s takes flags only, got the arguments %q: put a - before each flag name", fs.Name(), fs.Args())
	}

	for _, name := range required {
		f := fs.Lookup(name)
		if strings.TrimSpace(f.Value.String()) == "" {
			return usageErrorf("-%s is missing: set %s", name, f.Usage)
		}
	}
	return nil
}

// tenantFlag defines -tenant on fs.
func tenantFlag(fs *flag.FlagSet) *string {
	return fs.String("tenant", "", "the tenant id, such as -tenant acme")
}

// checkTenant returns a usage error for an invalid tenant id.
func checkTenant(tenant string) error {
	if err := store.ValidateTenant(tenant); err != nil {
		return usageErrorf("-tenant: %w", err)
	}
	return nil
}

// adminTenantCreate creates a tenant. A tenant that exists is left as it is.
func adminTenantCreate(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}

	st, err := s.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	if err := st.CreateTenant(ctx, *tenant); err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "tenant.created", nil)

	fmt.Fprintf(s.out, "tenant %s is ready\n", *tenant)
	return nil
}

// adminUserCreate creates a user, or replaces the roles of an existing one.
func adminUserCreate(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	userID := fs.String("user", "", "the user id, such as -user alice")
	rolesFlag := fs.String("roles", "", "the user's roles, comma-separated, from "+strings.Join(knownRoles, ", ")+", such as -roles requester,approver")
	if err := parseAdminFlags(fs, args, "tenant", "user", "roles"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	roles, err := parseRoles(*rolesFlag)
	if err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	// CreateUser validates the user id before it touches the database.
	if err := st.CreateUser(ctx, *tenant, *userID, roles); err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "user.saved", map[string]any{"user": *userID, "roles": roles})

	fmt.Fprintf(s.out, "user %s of tenant %s has the roles %s\n", *userID, *tenant, strings.Join(roles, ", "))
	return nil
}

// parseRoles splits a comma-separated role list, drops empty entries and
// repeats, and rejects a role that policy does not define.
func parseRoles(list string) ([]string, error) {
	var roles []string
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(roles, r) {
			continue
		}
		if !slices.Contains(knownRoles, r) {
			return nil, usageErrorf("-roles: role %q is unknown: use %s", r, strings.Join(knownRoles, ", "))
		}
		roles = append(roles, r)
	}
	if len(roles) == 0 {
		return nil, usageErrorf("-roles %q names no role: use %s", list, strings.Join(knownRoles, ", "))
	}
	return roles, nil
}

// adminTokenIssue issues an API token and prints it, and nothing else, on
// stdout, so that a script can capture it. The token can't be shown again.
func adminTokenIssue(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	userID := fs.String("user", "", "the id of the user the token acts as, such as -user alice")
	label := fs.String("label", "", "where the token is used, such as -label laptop, to tell tokens apart later")
	if err := parseAdminFlags(fs, args, "tenant", "user", "label"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	token, err := st.IssueToken(ctx, *tenant, *userID, *label)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: create the user first with `noterp admin user create -tenant %s -user %s -roles …`", err, *tenant, *userID)
	}
	if err != nil {
		return withMigrateHint(err)
	}
	fmt.Fprintln(s.out, token)

	s.recordAudit(ctx, st, *tenant, "token.issued", map[string]any{"user": *userID, "label": *label})
	return nil
}

// adminTokenRevoke revokes the API token read from stdin. The token is
// never taken from a flag, so it does not end up in the shell history.
func adminTokenRevoke(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	token, err := readSecret(s.in, "the API token")
	if err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	err = st.RevokeToken(ctx, *tenant, token)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: the token read from stdin is not an active token of tenant %s, or it was revoked already", err, *tenant)
	}
	if err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "token.revoked", nil)

	fmt.Fprintf(s.out, "token of tenant %s revoked\n", *tenant)
	return nil
}

// adminAuditVerify recomputes the tenant's audit hash chain. It prints the
// number of rows when the chain is intact and returns an error that names
// the first broken row otherwise.
func adminAuditVerify(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	rows, err := st.VerifyAudit(ctx, *tenant)
	if err != nil {
		return fmt.Errorf("%w (the %d rows before it are intact)", withMigrateHint(err), rows)
	}

	fmt.Fprintf(s.out, "audit ledger of tenant %s: %d rows, hash chain intact\n", *tenant, rows)
	return nil
}

// openStore connects to the database of NOTERP_DATABASE_URL.
func (s *adminSession) openStore(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, s.cfg.DatabaseURL, s.logger.Named("store"))
	if err != nil {
		return nil, fmt.Errorf("%w: check %s, and run `noterp migrate` once to create the database", err, config.EnvDatabaseURL)
	}
	return st, nil
}

// openTenantStore connects to the database and checks that tenant exists.
// Every command except tenant create opens the store this way, because the
// store's writes create a missing tenant, so a mistyped -tenant would
// otherwise create a new one.
func (s *adminSession) openTenantStore(ctx context.Context, tenant string) (*store.Store, error) {
	st, err := s.openStore(ctx)
	if err != nil {
		return nil, err
	}

	exists, err := st.TenantExists(ctx, tenant)
	if err != nil {
		st.Close()
		return nil, withMigrateHint(err)
	}
	if !exists {
		st.Close()
		return nil, &tenantNotFoundError{tenant: tenant}
	}
	return st, nil
}

// tenantNotFoundError reports a -tenant that names no tenant. It wraps
// store.ErrNotFound, and run exits with status 1 for it.
type tenantNotFoundError struct{ tenant string }

func (e *tenantNotFoundError) Error() string {
	return fmt.Sprintf("tenant %q was not found: create it with `noterp admin tenant create -tenant %s`", e.tenant, e.tenant)
}

func (e *tenantNotFoundError) Unwrap() error { return store.ErrNotFound }

// withMigrateHint adds "run `noterp migrate`" to err when err reports a
// missing table.
func withMigrateHint(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
		return fmt.Errorf("%w: the database is not migrated: run `noterp migrate` first", err)
	}
	return err
}

// recordAudit appends an admin event to the tenant's audit ledger. A failed
// append is logged and does not fail the command, because the change it
// records has happened by then. detail must never contain a secret.
func (s *adminSession) recordAudit(ctx context.Context, st *store.Store, tenant, event string, detail map[string]any) {
	var encoded []byte
	var err error
	if len(detail) > 0 {
		encoded, err = json.Marshal(detail)
	}
	if err == nil {
		err = st.AppendAudit(ctx, store.AuditEntry{Tenant: tenant, Actor: s.actor, Event: event, Detail: encoded})
	}
	if err != nil {
		s.logger.Error("append audit event failed", zap.String("tenant", tenant), zap.String("event", event), zap.Error(err))
	}
}

// cliActor names the operator of this process, such as "cli:alice". The OS
// user is what the process runs as, not an authenticated identity.
func cliActor() string {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		return "cli"
	}
	return "cli:" + u.Username
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
