package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/store"
)

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
// can no longer call SP-API for the seller, and then its connection row, so
// the API rejects new actions for it and another tenant may connect it.
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
	// The token goes first: a failure after it leaves a connection without
	// a token, which fails closed, never a token without a connection.
	if err := refreshTokens.DeleteRefreshToken(ctx, *sellerID); err != nil {
		return fmt.Errorf("delete refresh token of seller %s of tenant %s: %w", *sellerID, *tenant, err)
	}
	if err := st.DeleteSellerConnection(ctx, *tenant, *sellerID); err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "seller.disconnected", map[string]any{"sellerId": *sellerID})

	fmt.Fprintf(s.out, "seller %s disconnected from tenant %s: its refresh token was deleted from %s and new actions for it are rejected until it is connected again\n",
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
