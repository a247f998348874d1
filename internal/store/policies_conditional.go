package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/noterp/noterp/internal/policy"
)

// ErrPolicyVersionTaken means another writer stored a policy version after
// the one a conditional write was based on.
var ErrPolicyVersionTaken = errors.New("a newer policy version was stored")

// PutPolicyAfter validates p and stores it as version base+1 of its tenant
// and kind, only if no version after base exists. The primary key turns a
// race into a failed insert, so of two writers editing from the same
// version exactly one succeeds. The other gets an error wrapping
// ErrPolicyVersionTaken. base 0 means the default policy, before any
// stored version. Unlike PutPolicy, it does not create the tenant.
func (s *Store) PutPolicyAfter(ctx context.Context, p policy.Policy, base int) (policy.Policy, error) {
	if base < 0 {
		return policy.Policy{}, fmt.Errorf("policy base version %d is negative: use 0 for the default policy or a stored version", base)
	}
	if p.Kind == "" {
		return policy.Policy{}, fmt.Errorf("policy of tenant %s has no kind: set kind, for example listing.price.set", p.Tenant)
	}
	p.Normalize()
	p.Version = base + 1
	if err := p.Validate(); err != nil {
		return policy.Policy{}, err
	}

	current, err := s.StoredPolicyVersion(ctx, p.Tenant, p.Kind)
	if err != nil {
		return policy.Policy{}, err
	}
	if current != base {
		return policy.Policy{}, fmt.Errorf("policy of tenant %s for %s is at version %d, not %d: %w", p.Tenant, p.Kind, current, base, ErrPolicyVersionTaken)
	}

	_, err = s.insertPolicy(ctx, p)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return policy.Policy{}, fmt.Errorf("policy of tenant %s for %s: version %d was stored by another writer: %w", p.Tenant, p.Kind, p.Version, ErrPolicyVersionTaken)
	}
	if err != nil {
		return policy.Policy{}, err
	}
	return p, nil
}
