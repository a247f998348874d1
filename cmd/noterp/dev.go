package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/worker"
)

// Demo tenant settings that `noterp dev` seeds.
const (
	demoTenant = "demo"
	// demoReviewWindow is short so that the demo reaches its review within
	// a minute; real policies default to seven days.
	demoReviewWindow = 20 * time.Second
)

// stack collects the stop steps of the dev stack's parts and runs them in
// reverse order of start.
type stack struct {
	logger *zap.Logger
	stops  []stopStep
}

type stopStep struct {
	name string
	stop func(context.Context) error
}

func (s *stack) onStop(name string, stop func(context.Context) error) {
	s.stops = append(s.stops, stopStep{name, stop})
}

// shutdown runs every stop step, latest first, and logs the ones that fail.
func (s *stack) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := len(s.stops) - 1; i >= 0; i-- {
		step := s.stops[i]
		if err := step.stop(ctx); err != nil {
			s.logger.Error("stop failed", zap.String("part", step.name), zap.Error(err))
		}
	}
}

// runDev runs the whole stack in this process and its children until ctx
// ends: Temporal's dev server, PostgreSQL (found or private), the Amazon
// simulator, the worker and the API, with a seeded demo tenant.
func runDev(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	if err := noFlags("dev", args, out); err != nil {
		return err
	}
	if !cfg.Simulated() {
		return fmt.Errorf("noterp dev runs against the Amazon simulator only, but %s or %s is set: unset them, or run `noterp api` and `noterp worker` against Amazon", config.EnvSPAPIRegion, config.EnvSPAPIEndpoint)
	}
	for name, addr := range map[string]string{config.EnvAPIAddr: cfg.APIAddr, config.EnvAmazonSimAddr: cfg.AmazonSimAddr} {
		if err := checkFree(addr); err != nil {
			return fmt.Errorf("%s=%s: %w", name, addr, err)
		}
	}
	// The private PostgreSQL cluster may run as another OS user, which must
	// be able to enter the data directory.
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}

	s := &stack{logger: logger}
	defer s.shutdown()
	// Parts that run in goroutines report here when they stop on their own.
	failed := make(chan error, 3)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	env, err := startDev(ctx, cfg, logger, s, failed)
	if err != nil {
		return err
	}
	printBanner(out, cfg, env)

	select {
	case <-ctx.Done():
		logger.Info("stopping")
		return nil
	case err := <-failed:
		return err
	}
}

// startDev starts each part in order and registers its stop step.
func startDev(ctx context.Context, cfg config.Config, logger *zap.Logger, s *stack, failed chan<- error) (devstack.DemoEnv, error) {
	pg, err := devstack.EnsurePostgres(ctx, cfg.DatabaseURL, cfg.DataDir, logger.Named("postgres"))
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	s.onStop("postgres", pg.Stop)

	st, err := prepareDatabase(ctx, pg.URL, logger)
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	s.onStop("store", func(context.Context) error { st.Close(); return nil })

	if err := startTemporal(ctx, cfg, logger, s); err != nil {
		return devstack.DemoEnv{}, err
	}

	refreshTokens, err := openSecrets(cfg)
	if err != nil {
		return devstack.DemoEnv{}, err
	}

	sim := amazonsim.New(amazonsim.Config{Logger: logger.Named("amazonsim")})
	demo := sim.SeedDemo()
	if err := refreshTokens.PutRefreshToken(ctx, demo.SellerID, demo.RefreshToken); err != nil {
		return devstack.DemoEnv{}, err
	}
	goPart(ctx, s, failed, "amazonsim", func(ctx context.Context) error {
		return amazonsim.ListenAndServe(ctx, cfg.AmazonSimAddr, sim)
	})
	if err := waitListening(ctx, cfg.AmazonSimAddr); err != nil {
		return devstack.DemoEnv{}, fmt.Errorf("start the Amazon simulator: %w", err)
	}

	temporal, err := dialTemporal(ctx, cfg, logger)
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	s.onStop("temporal client", func(context.Context) error { temporal.Close(); return nil })

	listings, _, err := newListingsClient(cfg, demo.ClientID, demo.ClientSecret, refreshTokens, logger)
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	goPart(ctx, s, failed, "worker", func(ctx context.Context) error {
		return worker.Run(ctx, worker.Config{Temporal: temporal, Store: st, Listings: listings, Logger: logger.Named("worker")})
	})

	srv, err := newAPIServer(cfg, st, temporal, logger)
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	goPart(ctx, s, failed, "api", func(ctx context.Context) error { return serveAPI(ctx, srv, cfg.APIAddr) })
	apiURL := "http://" + cfg.APIAddr
	if err := waitHTTP(ctx, apiURL+"/healthz", 30*time.Second); err != nil {
		return devstack.DemoEnv{}, fmt.Errorf("API: %w", err)
	}

	creds, err := st.SeedDemo(ctx, store.DemoSeed{
		Tenant:         demoTenant,
		SellerID:       demo.SellerID,
		Region:         "na",
		MarketplaceIDs: []string{demo.MarketplaceID},
		ReviewWindow:   demoReviewWindow,
	})
	if err != nil {
		return devstack.DemoEnv{}, err
	}
	env := devstack.DemoEnv{
		API:            apiURL,
		Tenant:         creds.Tenant,
		RequesterToken: creds.Tokens["requester"],
		ApproverToken:  creds.Tokens["approver"],
		ReviewerToken:  creds.Tokens["reviewer"],
		SellerID:       demo.SellerID,
		MarketplaceID:  demo.MarketplaceID,
		SKU:            demo.SKU,
	}
	if err := devstack.WriteDemoEnv(cfg.DemoEnvFile(), env); err != nil {
		return devstack.DemoEnv{}, err
	}
	logger.Info("demo tenant seeded", zap.String("tenant", creds.Tenant), zap.String("seller_id", demo.SellerID), zap.String("demo_env", cfg.DemoEnvFile()))
	return env, nil
}

// startTemporal starts Temporal's dev server with its state in the data
// directory and Temporal Web pointed at the API's codec endpoint.
func startTemporal(ctx context.Context, cfg config.Config, logger *zap.Logger, s *stack) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	cli, err := devstack.FindTemporalCLI(cfg.TemporalCLI, wd)
	if err != nil {
		return err
	}

	server, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		CLI:           cli,
		Address:       cfg.TemporalAddress,
		Namespace:     cfg.TemporalNamespace,
		UIPort:        cfg.TemporalUIPort,
		DBFile:        filepath.Join(cfg.DataDir, "temporal.db"),
		CodecEndpoint: cfg.CodecEndpoint(),
		LogFile:       filepath.Join(cfg.DataDir, "temporal.log"),
		Logger:        logger.Named("temporal"),
	})
	if err != nil {
		return err
	}
	s.onStop("temporal", func(context.Context) error { return server.Stop() })
	return nil
}

// goPart runs part in a goroutine with its own context. Its stop step
// cancels that context and waits for part to return. If part returns while
// the stack is still up, its error goes to failed.
func goPart(ctx context.Context, s *stack, failed chan<- error, name string, part func(context.Context) error) {
	partCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	var partErr error
	go func() {
		partErr = part(partCtx)
		close(done)
		if partCtx.Err() != nil {
			return
		}
		err := partErr
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		select {
		case failed <- fmt.Errorf("%s: %w", name, err):
		default:
		}
	}()

	s.onStop(name, func(stopCtx context.Context) error {
		cancel()
		select {
		case <-done:
			return partErr
		case <-stopCtx.Done():
			return fmt.Errorf("%s did not stop: %w", name, stopCtx.Err())
		}
	})
}

func printBanner(out io.Writer, cfg config.Config, env devstack.DemoEnv) {
	uiURL := fmt.Sprintf("http://127.0.0.1:%d/namespaces/%s/workflows", cfg.TemporalUIPort, url.PathEscape(cfg.TemporalNamespace))
	fmt.Fprintf(out, `
NotERP is running. Press Ctrl-C to stop everything.

  API            %s
  Temporal Web   %s
  Temporal       %s (namespace %s)
  Amazon         %s (the simulator, not Amazon)
  Demo tenant    %s: seller %s, marketplace %s, SKU %s
  Demo tokens    %s

First command, in another terminal:

  make demo

or call the API yourself:

  set -a; . %s; set +a
  curl -s -H "Authorization: Bearer $NOTERP_TOKEN_REQUESTER" "$NOTERP_API/v1/tenants/$NOTERP_TENANT/actions"

`, env.API, uiURL, cfg.TemporalAddress, cfg.TemporalNamespace, cfg.SimulatorURL(),
		env.Tenant, env.SellerID, env.MarketplaceID, env.SKU, cfg.DemoEnvFile(), cfg.DemoEnvFile())
}
