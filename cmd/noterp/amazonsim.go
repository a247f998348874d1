package main

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/config"
)

// runAmazonSim serves the simulator with its demo seller and listing, and
// stores the demo seller's refresh token in the secret store so that a
// `noterp worker` started beside it can call it.
func runAmazonSim(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	if err := noFlags("amazonsim", args, out); err != nil {
		return err
	}

	sim := amazonsim.New(amazonsim.Config{Logger: logger.Named("amazonsim")})
	demo := sim.SeedDemo()

	refreshTokens, err := openSecrets(cfg)
	if err != nil {
		return err
	}
	if err := refreshTokens.PutRefreshToken(ctx, demo.SellerID, demo.RefreshToken); err != nil {
		return err
	}

	fmt.Fprintf(out, "Amazon simulator (a test double, not Amazon) on http://%s\n", cfg.AmazonSimAddr)
	fmt.Fprintf(out, "  demo seller %s, marketplace %s, SKU %s\n", demo.SellerID, demo.MarketplaceID, demo.SKU)
	fmt.Fprintf(out, "  the seller's refresh token is in %s\n", cfg.SecretsFile)
	return amazonsim.ListenAndServe(ctx, cfg.AmazonSimAddr, sim)
}
