package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/workflows"
)

// demoTokenLabel labels the tokens SeedDemo issues, so that the next call
// can revoke them.
const demoTokenLabel = "demo"

// DemoSeed describes the demo tenant SeedDemo creates.
type DemoSeed struct {
	Tenant         string
	SellerID       string
	Region         string
	MarketplaceIDs []string
	// ReviewWindow is the policy's review window. Zero means the policy
	// package default.
	ReviewWindow time.Duration
}

// DemoCredentials are the fresh tokens of the demo users.
type DemoCredentials struct {
	Tenant string
	// Tokens maps each role (requester, approver, reviewer) to the token of
	// its demo user.
	Tokens map[string]string
}

// demoRoles are the demo users' roles. Each user holds one, so the demo
// shows that a requester can't approve.
var demoRoles = []string{policy.RoleRequester, policy.RoleApprover, policy.RoleReviewer}

// DemoUserID returns the user id of the demo user with role, like
// "demo-requester".
func DemoUserID(role string) string { return "demo-" + role }

// SeedDemo creates the demo tenant, its seller connection, one user per
// demo role and a listing.price.set policy if the tenant has none. It can
// run any number of times: each call revokes the demo users' earlier demo
// tokens and issues fresh ones.
func (s *Store) SeedDemo(ctx context.Context, d DemoSeed) (DemoCredentials, error) {
	if err := s.CreateTenant(ctx, d.Tenant); err != nil {
		return DemoCredentials{}, err
	}

	err := s.PutSellerConnection(ctx, SellerConnection{Tenant: d.Tenant, SellerID: d.SellerID, Region: d.Region, MarketplaceIDs: d.MarketplaceIDs})
	if err != nil {
		return DemoCredentials{}, fmt.Errorf("seed demo tenant %s: %w", d.Tenant, err)
	}

	if err := s.seedDemoPolicy(ctx, d); err != nil {
		return DemoCredentials{}, err
	}

	creds := DemoCredentials{Tenant: d.Tenant, Tokens: map[string]string{}}
	for _, role := range demoRoles {
		userID := DemoUserID(role)
		if err := s.CreateUser(ctx, d.Tenant, userID, []string{role}); err != nil {
			return DemoCredentials{}, fmt.Errorf("seed demo tenant %s: %w", d.Tenant, err)
		}
		_, err := s.pool.Exec(ctx, `
			UPDATE api_tokens SET revoked_at = now()
			WHERE tenant = $1 AND user_id = $2 AND label = $3 AND revoked_at IS NULL`,
			d.Tenant, userID, demoTokenLabel)
		if err != nil {
			return DemoCredentials{}, fmt.Errorf("revoke old demo tokens of user %s of tenant %s: %w", userID, d.Tenant, err)
		}
		token, err := s.IssueToken(ctx, d.Tenant, userID, demoTokenLabel)
		if err != nil {
			return DemoCredentials{}, fmt.Errorf("seed demo tenant %s: %w", d.Tenant, err)
		}
		creds.Tokens[role] = token
	}
	return creds, nil
}

// seedDemoPolicy stores the demo listing.price.set policy unless the tenant
// has one: one approval from an approver, a 50 % guardrail, 72 h to
// approve, the seed's review window, 24 h to review and 5 min to verify.
func (s *Store) seedDemoPolicy(ctx context.Context, d DemoSeed) error {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM policies WHERE tenant = $1 AND kind = $2)`, d.Tenant, workflows.KindListingPriceSet).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up demo policy of tenant %s: %w", d.Tenant, err)
	}
	if exists {
		return nil
	}

	limit := decimal.NewFromInt(50)
	p := policy.Policy{
		Tenant:            d.Tenant,
		Kind:              workflows.KindListingPriceSet,
		RequiredApprovals: 1,
		EligibleRoles:     []string{policy.RoleApprover},
		MaxChangePercent:  &limit,
		ApprovalDeadline:  policy.Duration{D: 72 * time.Hour},
		ReviewWindow:      policy.Duration{D: d.ReviewWindow},
		ReviewDeadline:    policy.Duration{D: 24 * time.Hour},
		VerifyTimeout:     policy.Duration{D: 5 * time.Minute},
	}
	if _, err := s.PutPolicy(ctx, p); err != nil {
		return fmt.Errorf("seed demo policy of tenant %s: %w", d.Tenant, err)
	}
	return nil
}
