package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/noterp/noterp/internal/policy"
)

// LoadPolicy returns the newest policy version of tenant for kind, or
// policy.Default when the tenant has stored none.
func (s *Store) LoadPolicy(ctx context.Context, tenant, kind string) (policy.Policy, error) {
	var document []byte
	err := s.pool.QueryRow(ctx, `
		SELECT document FROM policies
		WHERE tenant = $1 AND kind = $2
		ORDER BY version DESC LIMIT 1`,
		tenant, kind).Scan(&document)
	if errors.Is(err, pgx.ErrNoRows) {
		return policy.Default(tenant, kind), nil
	}
	if err != nil {
		return policy.Policy{}, fmt.Errorf("load policy of tenant %s for %s: %w", tenant, kind, err)
	}

	var p policy.Policy
	if err := json.Unmarshal(document, &p); err != nil {
		return policy.Policy{}, fmt.Errorf("decode policy of tenant %s for %s: %w", tenant, kind, err)
	}
	p.Normalize()
	return p, nil
}

// PutPolicy validates p and stores it as the next version of its tenant
// and kind, creating the tenant if needed. It ignores p.Version and returns
// the stored policy with its new version and defaults filled in.
func (s *Store) PutPolicy(ctx context.Context, p policy.Policy) (policy.Policy, error) {
	if p.Kind == "" {
		return policy.Policy{}, fmt.Errorf("policy of tenant %s has no kind: set kind, for example listing.price.set", p.Tenant)
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return policy.Policy{}, err
	}
	if err := s.CreateTenant(ctx, p.Tenant); err != nil {
		return policy.Policy{}, err
	}

	// Two writers may pick the same next version. The primary key rejects
	// the second, which then tries again with a fresh maximum.
	const attempts = 5
	for range attempts {
		stored, err := s.insertPolicyVersion(ctx, p)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			continue
		}
		return stored, err
	}
	return policy.Policy{}, fmt.Errorf("store policy of tenant %s for %s: %d concurrent writers took every version number: try again", p.Tenant, p.Kind, attempts)
}

func (s *Store) insertPolicyVersion(ctx context.Context, p policy.Policy) (policy.Policy, error) {
	var next int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM policies WHERE tenant = $1 AND kind = $2`, p.Tenant, p.Kind).Scan(&next)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("find next policy version of tenant %s for %s: %w", p.Tenant, p.Kind, err)
	}
	p.Version = next
	return s.insertPolicy(ctx, p)
}

// insertPolicy stores p under its version; an existing version fails with
// PostgreSQL's unique violation (23505).
func (s *Store) insertPolicy(ctx context.Context, p policy.Policy) (policy.Policy, error) {
	document, err := json.Marshal(p)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("encode policy of tenant %s for %s: %w", p.Tenant, p.Kind, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO policies (tenant, kind, version, document) VALUES ($1, $2, $3, $4)`, p.Tenant, p.Kind, p.Version, document)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("store policy of tenant %s for %s version %d: %w", p.Tenant, p.Kind, p.Version, err)
	}
	return p, nil
}
