package store

import (
	"context"
	"fmt"
)

// TenantExists reports whether tenant has been created. The store's writes
// create a missing tenant, so a caller that must not create one by mistake
// checks here first.
func (s *Store) TenantExists(ctx context.Context, tenant string) (bool, error) {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenant).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("look up tenant %s: %w", tenant, err)
	}
	return exists, nil
}

// SellerConnectedElsewhere reports whether a tenant other than tenant has a
// connection to sellerID.
func (s *Store) SellerConnectedElsewhere(ctx context.Context, tenant, sellerID string) (bool, error) {
	var connected bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM seller_connections WHERE seller_id = $1 AND tenant <> $2)`,
		sellerID, tenant).Scan(&connected)
	if err != nil {
		return false, fmt.Errorf("look up other tenants' connections to seller %s for tenant %s: %w", sellerID, tenant, err)
	}
	return connected, nil
}

// ConnectedSellerIDs returns the ids of the sellers that tenant has
// connected, sorted, or an empty slice when there are none.
func (s *Store) ConnectedSellerIDs(ctx context.Context, tenant string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT seller_id FROM seller_connections WHERE tenant = $1 ORDER BY seller_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("list seller connections of tenant %s: %w", tenant, err)
	}
	defer rows.Close()

	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list seller connections of tenant %s: %w", tenant, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list seller connections of tenant %s: %w", tenant, err)
	}
	return ids, nil
}

// StoredPolicyVersion returns the newest policy version that tenant has
// stored for kind, or 0 when it has stored none and LoadPolicy returns
// policy.Default.
func (s *Store) StoredPolicyVersion(ctx context.Context, tenant, kind string) (int, error) {
	var version int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM policies WHERE tenant = $1 AND kind = $2`, tenant, kind).Scan(&version)
	if err != nil {
		return 0, fmt.Errorf("look up policy version of tenant %s for %s: %w", tenant, kind, err)
	}
	return version, nil
}

// DeleteSellerConnection removes tenant's connection to sellerID, so new
// actions for the seller are rejected and another tenant may connect it.
// It returns an error wrapping ErrNotFound when there is no such connection.
func (s *Store) DeleteSellerConnection(ctx context.Context, tenant, sellerID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM seller_connections WHERE tenant = $1 AND seller_id = $2`, tenant, sellerID)
	if err != nil {
		return fmt.Errorf("delete connection of tenant %s to seller %s: %w", tenant, sellerID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connection of tenant %s to seller %s: %w", tenant, sellerID, ErrNotFound)
	}
	return nil
}
