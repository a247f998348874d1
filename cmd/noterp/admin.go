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
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/noterp/noterp/internal/amazon/spapi"
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

// kindFlag defines -kind on fs.
func kindFlag(fs *flag.FlagSet) *string {
	return fs.String("kind", workflows.KindListingPriceSet, "the action kind the policy governs: "+strings.Join(knownKinds, ", "))
}

func checkKind(kind string) error {
	if !slices.Contains(knownKinds, kind) {
		return usageErrorf("-kind %q is unknown: use %s", kind, strings.Join(knownKinds, ", "))
	}
	return nil
}

// adminPolicySet validates a policy file and stores it as the tenant's next
// policy version for the kind, then prints the stored policy. A file with a
// version field is stored only if that version is still the current one, so
// that two admins editing at once do not overwrite each other's change.
func adminPolicySet(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	kind := kindFlag(fs)
	file := fs.String("file", "", "the policy JSON file, or - for stdin, such as -file policy.json (`noterp admin policy show` prints one to start from). "+
		"Its version must be the current version, which policy show prints; leave version out to store the file whatever the current version is")
	if err := parseAdminFlags(fs, args, "tenant", "kind", "file"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkKind(*kind); err != nil {
		return err
	}

	edited, err := readPolicyFile(*file, s.in, *tenant, *kind)
	if err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	if edited.hasBaseVersion {
		// NOTE: the check and the store below are two statements, so a
		// policy stored between them is still overwritten. The store has no
		// conditional write yet.
		current, err := st.StoredPolicyVersion(ctx, *tenant, *kind)
		if err != nil {
			return withMigrateHint(err)
		}
		if err := checkPolicyBaseVersion(edited.baseVersion, current, *tenant, *kind); err != nil {
			return err
		}
	}
	stored, err := st.PutPolicy(ctx, edited.policy)
	if err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "policy.stored", map[string]any{"kind": stored.Kind, "version": stored.Version})

	return printJSON(s.out, stored)
}

// checkPolicyBaseVersion returns an error unless a file edited from version
// base may be stored over current, the newest stored version. Version 0
// is the default policy, which is not stored.
func checkPolicyBaseVersion(base, current int, tenant, kind string) error {
	if base == current {
		return nil
	}

	rerun := fmt.Sprintf("run `noterp admin policy show -tenant %s -kind %s` again and reapply your change", tenant, kind)
	switch {
	case base == 0:
		return fmt.Errorf("the file was edited from the default policy but the policy of tenant %s for %s is at version %d: %s", tenant, kind, current, rerun)
	case current == 0:
		return fmt.Errorf("the file was edited from version %d but tenant %s has stored no policy for %s yet: %s", base, tenant, kind, rerun)
	default:
		return fmt.Errorf("the file was edited from version %d but the policy of tenant %s for %s is at version %d: %s", base, tenant, kind, current, rerun)
	}
}

// policyFile is a validated policy read from a file.
type policyFile struct {
	// policy has the tenant and kind of the flags and version 0, because
	// storing assigns the next version.
	policy policy.Policy
	// baseVersion is the file's version field: the version that the file
	// was edited from, or 0 for the default policy. hasBaseVersion is false
	// when the file has no version field.
	baseVersion    int
	hasBaseVersion bool
}

// readPolicyFile reads and validates the policy in file ("-" is in) for
// tenant and kind. The file may leave out tenant and kind; if it names them,
// they must match the flags.
func readPolicyFile(file string, in io.Reader, tenant, kind string) (policyFile, error) {
	source := "file " + file
	var data []byte
	var err error
	if file == "-" {
		source = "stdin"
		data, err = io.ReadAll(io.LimitReader(in, maxInputBytes))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return policyFile{}, usageErrorf("-file: read the policy from %s: %w", source, err)
	}

	p, fields, err := decodePolicy(data)
	if err != nil {
		return policyFile{}, usageErrorf("-file: the policy in %s is invalid: %w", source, err)
	}
	if p.Tenant != "" && p.Tenant != tenant {
		return policyFile{}, usageErrorf("-file: the policy in %s names tenant %q, but -tenant is %q: make them match or remove tenant from the policy", source, p.Tenant, tenant)
	}
	if p.Kind != "" && p.Kind != kind {
		return policyFile{}, usageErrorf("-file: the policy in %s names kind %q, but -kind is %q: make them match or remove kind from the policy", source, p.Kind, kind)
	}
	if p.Version < 0 {
		return policyFile{}, usageErrorf("-file: the policy in %s has version %d: use the version that `noterp admin policy show` prints, or remove version from the policy", source, p.Version)
	}
	edited := policyFile{baseVersion: p.Version, hasBaseVersion: slices.Contains(fields, "version")}
	p.Tenant, p.Kind, p.Version = tenant, kind, 0

	p.Normalize()
	if err := p.Validate(); err != nil {
		return policyFile{}, usageErrorf("-file: the policy in %s is invalid: %w", source, withoutPolicyName(err, p))
	}
	edited.policy = p
	return edited, nil
}

// withoutPolicyName drops the "policy TENANT/KIND vN: " prefix that
// policy.Validate puts before its messages. For a file that is not stored
// yet it would read v0, and the caller names the file instead.
func withoutPolicyName(err error, p policy.Policy) error {
	prefix := fmt.Sprintf("policy %s/%s v%d: ", p.Tenant, p.Kind, p.Version)
	message, found := strings.CutPrefix(err.Error(), prefix)
	if !found {
		return err
	}
	return errors.New(message)
}

// decodePolicy decodes a policy JSON document field by field, so that an
// error names the field it is about, and returns the names of the fields
// that the document sets, sorted. A field the policy does not have is an
// error, because a misspelled field would otherwise be dropped silently.
func decodePolicy(data []byte) (policy.Policy, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return policy.Policy{}, nil, describeJSONError(data, err)
	}

	var p policy.Policy
	target := reflect.ValueOf(&p).Elem()
	index := jsonFieldIndex(target.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		i, ok := index[name]
		if !ok {
			known := make([]string, 0, len(index))
			for k := range index {
				known = append(known, k)
			}
			sort.Strings(known)
			return policy.Policy{}, nil, fmt.Errorf("field %q is unknown: use %s", name, strings.Join(known, ", "))
		}
		if err := json.Unmarshal(fields[name], target.Field(i).Addr().Interface()); err != nil {
			return policy.Policy{}, nil, fmt.Errorf("field %s: %w", name, err)
		}
	}
	return p, names, nil
}

// jsonFieldIndex maps the JSON names of t's fields to their index.
func jsonFieldIndex(t reflect.Type) map[string]int {
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			index[name] = i
		}
	}
	return index
}

// describeJSONError adds the line and column to a JSON syntax error.
func describeJSONError(data []byte, err error) error {
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return fmt.Errorf("the document is not a JSON object: %w", err)
	}
	before := data[:min(int(syntaxErr.Offset), len(data))]
	line := 1 + strings.Count(string(before), "\n")
	column := len(before) - strings.LastIndex(string(before), "\n")
	return fmt.Errorf("JSON syntax error at line %d, column %d: %w", line, column, err)
}

// adminPolicyShow prints the tenant's newest policy for the kind as JSON
// that policy set accepts. When the tenant has stored none, it prints the
// default policy with version 0, so that policy set can tell an edit of the
// default from an edit of stored version 1.
func adminPolicyShow(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	kind := kindFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant", "kind"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkKind(*kind); err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	version, err := st.StoredPolicyVersion(ctx, *tenant, *kind)
	if err != nil {
		return withMigrateHint(err)
	}
	if version == 0 {
		// policy.Default has version 1, the number that the first stored
		// version gets, so the two would look the same.
		p := policy.Default(*tenant, *kind)
		p.Version = 0
		return printJSON(s.out, p)
	}

	p, err := st.LoadPolicy(ctx, *tenant, *kind)
	if err != nil {
		return withMigrateHint(err)
	}
	return printJSON(s.out, p)
}

func printJSON(w io.Writer, v any) error {
	encoded, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", encoded)
	return err
}

// sellerIDFlag defines -seller-id on fs.
func sellerIDFlag(fs *flag.FlagSet) *string {
	return fs.String("seller-id", "", "the seller's SP-API selling partner id, from selling_partner_id in the authorization redirect, such as -seller-id A1EXAMPLESELLER")
}

func checkSellerID(sellerID string) error {
	if !validAmazonID.MatchString(sellerID) {
		return usageErrorf("-seller-id %q is invalid: Amazon seller ids are upper-case letters and digits, such as A1EXAMPLESELLER", sellerID)
	}
	return nil
}

// adminSellerConnect stores a seller's LWA refresh token, read from stdin,
// in the secret store and the seller's connection in PostgreSQL. The token
// is written first, so a connection row never exists without its token.
func adminSellerConnect(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	sellerID := sellerIDFlag(fs)
	region := fs.String("region", "", "the SP-API region the seller authorized: na, eu or fe, such as -region na")
	marketplaces := fs.String("marketplaces", "", "the seller's marketplace ids in that region, comma-separated, such as -marketplaces ATVPDKIKX0DER,A2EUQ1WTGCTBG2")
	if err := parseAdminFlags(fs, args, "tenant", "seller-id", "region", "marketplaces"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkSellerID(*sellerID); err != nil {
		return err
	}
	regionName := strings.ToLower(strings.TrimSpace(*region))
	if _, err := spapi.Endpoint(regionName, false); err != nil {
		return usageErrorf("-region %q is unknown: use na (North America and Brazil), eu (Europe, Middle East and India) or fe (Japan, Australia and Singapore)", *region)
	}
	marketplaceIDs, err := parseMarketplaces(*marketplaces, regionName)
	if err != nil {
		return err
	}
	refreshToken, err := readRefreshToken(s.in)
	if err != nil {
		return err
	}
	if s.cfg.SPAPIRegion != "" && s.cfg.SPAPIRegion != regionName {
		s.logger.Warn("the seller's region differs from the worker's region, so the worker will call the wrong SP-API host for this seller",
			zap.String("tenant", *tenant), zap.String("seller_id", *sellerID), zap.String("region", regionName), zap.String("worker_region", s.cfg.SPAPIRegion))
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	// The secret store keys refresh tokens by seller id alone, so a second
	// tenant that connected the same seller would replace the first
	// tenant's token. The error does not name the other tenant, because
	// tenants must not learn about each other.
	// NOTE: two tenants connecting one seller at the same moment can both
	// pass this check, because the database does not make seller ids
	// unique across tenants.
	elsewhere, err := st.SellerConnectedElsewhere(ctx, *tenant, *sellerID)
	if err != nil {
		return withMigrateHint(err)
	}
	if elsewhere {
		return fmt.Errorf("seller %s is already connected to another tenant; one seller can be connected to one tenant: check -seller-id", *sellerID)
	}

	refreshTokens, err := openSecrets(s.cfg)
	if err != nil {
		return err
	}
	if err := refreshTokens.PutRefreshToken(ctx, *sellerID, refreshToken); err != nil {
		return fmt.Errorf("store refresh token of seller %s of tenant %s: %w", *sellerID, *tenant, err)
	}
	connection := store.SellerConnection{Tenant: *tenant, SellerID: *sellerID, Region: regionName, MarketplaceIDs: marketplaceIDs}
	if err := st.PutSellerConnection(ctx, connection); err != nil {
		return fmt.Errorf("%w: the refresh token is stored, so run the command again to store the connection", withMigrateHint(err))
	}
	s.recordAudit(ctx, st, *tenant, "seller.connected", map[string]any{"sellerId": *sellerID, "region": regionName, "marketplaceIds": marketplaceIDs})

	fmt.Fprintf(s.out, "seller %s of tenant %s connected in region %s, marketplaces %s; its refresh token is in %s\n",
		*sellerID, *tenant, regionName, strings.Join(marketplaceIDs, ", "), s.cfg.SecretsFile)
	return nil
}

// parseMarketplaces splits a comma-separated list of marketplace ids, drops
// empty entries and repeats, and rejects an id that is not upper-case
// letters and digits, that Amazon does not list, or whose marketplace is
// not in region. A refresh token is valid in one region only.
func parseMarketplaces(list, region string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" || slices.Contains(ids, id) {
			continue
		}
		if !validAmazonID.MatchString(id) {
			return nil, usageErrorf("-marketplaces: marketplace id %q is invalid: Amazon marketplace ids are upper-case letters and digits, such as ATVPDKIKX0DER", id)
		}

		m, ok := spapi.LookupMarketplace(id)
		if !ok {
			return nil, usageErrorf("-marketplaces: marketplace id %q is unknown: use one of the marketplace ids of region %s: %s", id, region, describeMarketplaces(region))
		}
		if m.Region != region {
			return nil, usageErrorf("-marketplaces: marketplace %s is in region %s, not in -region %s: set -region %s, or name only marketplaces of region %s: %s",
				m, m.Region, region, m.Region, region, describeMarketplaces(region))
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, usageErrorf("-marketplaces %q names no marketplace: name at least one, such as ATVPDKIKX0DER", list)
	}
	return ids, nil
}

// describeMarketplaces lists the marketplaces of region, such as
// "ATVPDKIKX0DER (US), A2EUQ1WTGCTBG2 (CA)".
func describeMarketplaces(region string) string {
	var names []string
	for _, m := range spapi.RegionMarketplaces(region) {
		names = append(names, m.String())
	}
	return strings.Join(names, ", ")
}

// readRefreshToken reads a seller's LWA refresh token from in. It rejects an
// access token pasted by mistake and never puts the value into an error or
// a log line.
func readRefreshToken(in io.Reader) (string, error) {
	token, err := readSecret(in, "the seller's LWA refresh token")
	if err != nil {
		return "", err
	}
	// Amazon's token endpoint returns access tokens as "Atza|…" and refresh
	// tokens as "Atzr|…". An access token expires within an hour.
	if strings.HasPrefix(token, "Atza|") {
		return "", usageErrorf("stdin contains an LWA access token (Atza|…), which expires within an hour: pipe in the refresh token (Atzr|…) from the seller's authorization")
	}
	if !strings.HasPrefix(token, "Atzr|") {
		return "", usageErrorf("stdin does not contain an LWA refresh token, which starts with Atzr|: pipe in the refresh_token from the seller's authorization")
	}
	return token, nil
}

// readSecret reads one secret, named by description in messages, from in:
// the whole input with the surrounding white space removed. When in is a terminal, it
// prompts on stderr and reads one line without echo.
func readSecret(in io.Reader, description string) (string, error) {
	var data []byte
	var err error
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(os.Stderr, "Paste %s and press Enter (the input is hidden): ", description)
		data, err = term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(os.Stderr)
	} else {
		data, err = io.ReadAll(io.LimitReader(in, maxInputBytes))
	}
	if err != nil {
		return "", fmt.Errorf("read %s from stdin: %w", description, err)
	}

	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return "", usageErrorf("stdin is empty: pipe in %s, for example with < token.txt", description)
	}
	if strings.ContainsAny(secret, " \t\r\n") {
		return "", usageErrorf("stdin contains more than one word or line: pipe in %s alone", description)
	}
	if len(secret) > maxSecretBytes {
		return "", usageErrorf("stdin contains %d bytes, more than the %d bytes %s can have: pipe in the token alone", len(secret), maxSecretBytes, description)
	}
	return secret, nil
}

// adminSellerDisconnect deletes a seller's LWA refresh token, so the worker
// can no longer call SP-API for the seller.
//
// NOTE: the connection row stays in PostgreSQL, because the store has no
// method to delete or mark a seller connection.
func adminSellerDisconnect(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	sellerID := sellerIDFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant", "seller-id"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkSellerID(*sellerID); err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	// Only a tenant that has connected the seller may delete its token.
	_, err = st.GetSellerConnection(ctx, *tenant, *sellerID)
	if errors.Is(err, store.ErrNotFound) {
		return s.withConnectedSellers(ctx, st, *tenant, err)
	}
	if err != nil {
		return withMigrateHint(err)
	}
	refreshTokens, err := openSecrets(s.cfg)
	if err != nil {
		return err
	}
	if err := refreshTokens.DeleteRefreshToken(ctx, *sellerID); err != nil {
		return fmt.Errorf("delete refresh token of seller %s of tenant %s: %w", *sellerID, *tenant, err)
	}
	s.recordAudit(ctx, st, *tenant, "seller.disconnected", map[string]any{"sellerId": *sellerID})

	fmt.Fprintf(s.out, "refresh token of seller %s of tenant %s deleted from %s; the connection row stays in the database, and actions for the seller fail until it is connected again\n",
		*sellerID, *tenant, s.cfg.SecretsFile)
	return nil
}

// maxListedSellers is how many seller ids an error message lists at most.
const maxListedSellers = 10

// withConnectedSellers adds to err, which reports a seller that tenant has
// not connected, the sellers that tenant has connected, so that the operator
// can check -seller-id against them.
func (s *adminSession) withConnectedSellers(ctx context.Context, st *store.Store, tenant string, err error) error {
	ids, listErr := st.ConnectedSellerIDs(ctx, tenant)
	if listErr != nil {
		s.logger.Error("list connected sellers failed", zap.String("tenant", tenant), zap.Error(listErr))
		return fmt.Errorf("%w: check -seller-id", err)
	}

	if len(ids) == 0 {
		return fmt.Errorf("%w: tenant %s has no connected seller: check -tenant, or connect the seller with `noterp admin seller connect -tenant %s …`", err, tenant, tenant)
	}
	listed := strings.Join(ids[:min(len(ids), maxListedSellers)], ", ")
	if len(ids) > maxListedSellers {
		listed += fmt.Sprintf(" and %d more", len(ids)-maxListedSellers)
	}
	return fmt.Errorf("%w: tenant %s has connected %s: check -seller-id", err, tenant, listed)
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
