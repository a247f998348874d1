package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/worker"
)

// runAPI serves the HTTP API against an existing Temporal and a migrated
// database.
func runAPI(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	if err := noFlags("api", args, out); err != nil {
		return err
	}

	st, err := store.Open(ctx, cfg.DatabaseURL, logger.Named("store"))
	if err != nil {
		return err
	}
	defer st.Close()
	temporal, err := dialTemporal(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer temporal.Close()

	srv, err := newAPIServer(cfg, st, temporal, logger)
	if err != nil {
		return err
	}
	return serveAPI(ctx, srv, cfg.APIAddr)
}

// runWorker runs the Temporal worker until interrupted. It reads seller
// refresh tokens from the development secret store. It is the only command
// that may call Amazon's SP-API hosts (`noterp dev` uses the simulator
// only), so it alone checks the LWA client settings.
func runWorker(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	if err := noFlags("worker", args, out); err != nil {
		return err
	}
	if err := cfg.CheckAmazonCredentials(); err != nil {
		return usageErrorf("invalid configuration:\n%w", err)
	}

	st, err := store.Open(ctx, cfg.DatabaseURL, logger.Named("store"))
	if err != nil {
		return err
	}
	defer st.Close()
	refreshTokens, err := openSecrets(cfg)
	if err != nil {
		return err
	}
	clientID, clientSecret := lwaClient(cfg)
	listings, endpoint, err := newListingsClient(cfg, clientID, clientSecret, refreshTokens, logger)
	if err != nil {
		return err
	}
	temporal, err := dialTemporal(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer temporal.Close()

	logger.Info("worker calling SP-API", zap.String("endpoint", endpoint), zap.Bool("simulated", cfg.Simulated()))
	return worker.Run(ctx, worker.Config{Temporal: temporal, Store: st, Listings: listings, Logger: logger.Named("worker")})
}

// runMigrate creates the database if it is missing and applies the
// migrations.
func runMigrate(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	if err := noFlags("migrate", args, out); err != nil {
		return err
	}

	st, err := prepareDatabase(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	st.Close()
	logger.Info("database migrated")
	return nil
}

// noFlags parses args for a command that takes no flags, so that -h prints
// help and a stray argument is an error.
func noFlags(name string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("noterp "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("noterp %s takes no arguments, got %q", name, fs.Args())
	}
	return nil
}
