package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SellerConnection is an Amazon seller account that a tenant authorized.
// It holds no tokens: refresh tokens live in the secret store.
type SellerConnection struct {
	Tenant         string    `json:"tenant"`
	SellerID       string    `json:"sellerId"`
	Region         string    `json:"region"`
	MarketplaceIDs []string  `json:"marketplaceIds"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// PutSellerConnection creates or replaces tenant's connection to a seller,
// creating the tenant if needed.
func (s *Store) PutSellerConnection(ctx context.Context, c SellerConnection) error {
	if c.SellerID == "" {
		return fmt.Errorf("seller connection of tenant %s has no seller id: set the SP-API selling partner id", c.Tenant)
	}
	if c.Region == "" {
		return fmt.Errorf("seller connection %s of tenant %s has no region: use na, eu or fe", c.SellerID, c.Tenant)
	}
	if err := s.CreateTenant(ctx, c.Tenant); err != nil {
		return err
	}
	if c.MarketplaceIDs == nil {
		c.MarketplaceIDs = []string{}
	}

	_, err := s.pool.Exec(ctx, `
		INSERT INTO seller_connections (tenant, seller_id, region, marketplace_ids) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, seller_id) DO UPDATE
		SET region = EXCLUDED.region, marketplace_ids = EXCLUDED.marketplace_ids, updated_at = now()`,
		c.Tenant, c.SellerID, c.Region, c.MarketplaceIDs)
	if err != nil {
		return fmt.Errorf("store connection to seller %s of tenant %s: %w", c.SellerID, c.Tenant, err)
	}
	return nil
}

// GetSellerConnection returns tenant's connection to sellerID, or an error
// wrapping ErrNotFound.
func (s *Store) GetSellerConnection(ctx context.Context, tenant, sellerID string) (SellerConnection, error) {
	c := SellerConnection{Tenant: tenant, SellerID: sellerID}
	err := s.pool.QueryRow(ctx, `
		SELECT region, marketplace_ids, created_at, updated_at
		FROM seller_connections WHERE tenant = $1 AND seller_id = $2`,
		tenant, sellerID).Scan(&c.Region, &c.MarketplaceIDs, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return SellerConnection{}, fmt.Errorf("seller %s of tenant %s: %w", sellerID, tenant, ErrNotFound)
	}
	if err != nil {
		return SellerConnection{}, fmt.Errorf("load connection to seller %s of tenant %s: %w", sellerID, tenant, err)
	}
	return c, nil
}
