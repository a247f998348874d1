package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/workflows"
)

// tokenPrefix starts every API token, so that secret scanners and people
// can recognise one.
const tokenPrefix = "ntk_"

// validTenant matches tenant ids. A tenant id is part of workflow ids
// ("action:<tenant>:<key>"), so it must not contain a colon.
var validTenant = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// validUserID matches user ids.
var validUserID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$`)

// knownRoles lists the roles a user can hold.
var knownRoles = []string{policy.RoleRequester, policy.RoleApprover, policy.RoleReviewer, policy.RoleAdmin, policy.RoleAuditor}

// ValidateTenant reports whether tenant is a valid tenant id: 1 to 63
// lower-case letters, digits and hyphens, starting with a letter or digit.
func ValidateTenant(tenant string) error {
	if !validTenant.MatchString(tenant) {
		return fmt.Errorf("tenant id %q is invalid: use 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit", tenant)
	}
	return nil
}

// CreateTenant creates tenant if it does not exist.
func (s *Store) CreateTenant(ctx context.Context, tenant string) error {
	if err := ValidateTenant(tenant); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, tenant); err != nil {
		return fmt.Errorf("create tenant %s: %w", tenant, err)
	}
	return nil
}

// CreateUser creates userID in tenant with roles, creating the tenant if
// needed. For an existing user it replaces the roles.
func (s *Store) CreateUser(ctx context.Context, tenant, userID string, roles []string) error {
	if !validUserID.MatchString(userID) {
		return fmt.Errorf("user id %q is invalid: use 1 to 128 letters, digits, '.', '_', '@' or '-'", userID)
	}
	if len(roles) == 0 {
		return fmt.Errorf("user %s of tenant %s has no role: give at least one of %s", userID, tenant, strings.Join(knownRoles, ", "))
	}
	for _, r := range roles {
		if !slices.Contains(knownRoles, r) {
			return fmt.Errorf("role %q of user %s is unknown: use %s", r, userID, strings.Join(knownRoles, ", "))
		}
	}
	if err := s.CreateTenant(ctx, tenant); err != nil {
		return err
	}

	_, err := s.pool.Exec(ctx, `
		INSERT INTO users (tenant, id, roles) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, id) DO UPDATE SET roles = EXCLUDED.roles`,
		tenant, userID, roles)
	if err != nil {
		return fmt.Errorf("create user %s of tenant %s: %w", userID, tenant, err)
	}
	return nil
}

// IssueToken creates a new API token for userID of tenant and returns its
// plaintext. Only the token's SHA-256 is stored, so the plaintext can't be
// read again later. An unknown user returns an error wrapping ErrNotFound.
func (s *Store) IssueToken(ctx context.Context, tenant, userID, label string) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("generate token for user %s of tenant %s: %w", userID, tenant, err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)

	tag, err := s.pool.Exec(ctx, `
		INSERT INTO api_tokens (hash, tenant, user_id, label)
		SELECT $1, tenant, id, $4 FROM users WHERE tenant = $2 AND id = $3`,
		hashToken(token), tenant, userID, label)
	if err != nil {
		return "", fmt.Errorf("issue token for user %s of tenant %s: %w", userID, tenant, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("issue token: user %s of tenant %s: %w", userID, tenant, ErrNotFound)
	}
	return token, nil
}

// RevokeToken revokes the token whose plaintext is token, if tenant owns
// it. An unknown or already revoked token returns an error wrapping
// ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, tenant, token string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE api_tokens SET revoked_at = now()
		WHERE hash = $1 AND tenant = $2 AND revoked_at IS NULL`,
		hashToken(token), tenant)
	if err != nil {
		return fmt.Errorf("revoke token of tenant %s: %w", tenant, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token of tenant %s: %w", tenant, ErrNotFound)
	}
	return nil
}

// Authenticate returns the principal that owns bearerToken. An empty,
// unknown or revoked token returns an error wrapping ErrUnauthenticated.
func (s *Store) Authenticate(ctx context.Context, bearerToken string) (workflows.Principal, error) {
	if bearerToken == "" {
		return workflows.Principal{}, ErrUnauthenticated
	}

	var p workflows.Principal
	err := s.pool.QueryRow(ctx, `
		SELECT u.tenant, u.id, u.roles
		FROM api_tokens t JOIN users u ON u.tenant = t.tenant AND u.id = t.user_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL`,
		hashToken(bearerToken)).Scan(&p.Tenant, &p.UserID, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return workflows.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return workflows.Principal{}, fmt.Errorf("authenticate token: %w", err)
	}
	return p, nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
