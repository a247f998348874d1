package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/noterp/noterp/api"
	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/secrets"
	"github.com/noterp/noterp/internal/store"
)

// dialTemporal connects to the Temporal frontend of cfg.
func dialTemporal(ctx context.Context, cfg config.Config, logger *zap.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    devstack.TemporalLogger(logger.Named("temporal")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s, namespace %s: %w: start Temporal or set %s", cfg.TemporalAddress, cfg.TemporalNamespace, err, config.EnvTemporalAddress)
	}
	return c, nil
}

// openSecrets opens the development secret store, generating its key into
// the data directory on first use unless NOTERP_SECRETS_KEY is set.
func openSecrets(cfg config.Config) (*secrets.Local, error) {
	key := cfg.SecretsKey
	if key == nil {
		var err error
		if key, err = secrets.LoadOrCreateKey(cfg.SecretsKeyFile); err != nil {
			return nil, err
		}
	}
	return secrets.OpenLocal(cfg.SecretsFile, key)
}

// lwaClient returns the LWA application credentials for cfg: the configured
// ones, or the simulator's demo credentials when the worker talks to the
// simulator and none are configured.
func lwaClient(cfg config.Config) (id, secret string) {
	id, secret = cfg.LWAClientID, cfg.LWAClientSecret
	if cfg.Simulated() && id == "" && secret == "" {
		return amazonsim.DemoClientID, amazonsim.DemoClientSecret
	}
	return id, secret
}

// spapiEndpoint returns the SP-API base URL for cfg: the explicit endpoint,
// the region's Amazon host, or the simulator.
func spapiEndpoint(cfg config.Config) (string, error) {
	switch {
	case cfg.SPAPIEndpoint != "":
		return cfg.SPAPIEndpoint, nil
	case cfg.SPAPIRegion != "":
		return spapi.Endpoint(cfg.SPAPIRegion, cfg.SPAPISandbox)
	default:
		return cfg.SimulatorURL(), nil
	}
}

// newListingsClient builds the SP-API client whose access tokens come from
// LWA with the sellers' refresh tokens in refreshTokens.
func newListingsClient(cfg config.Config, clientID, clientSecret string, refreshTokens lwa.RefreshTokens, logger *zap.Logger) (*spapi.Client, string, error) {
	endpoint, err := spapiEndpoint(cfg)
	if err != nil {
		return nil, "", err
	}

	sources, err := lwa.NewSources(lwa.Config{TokenURL: cfg.LWATokenURL, ClientID: clientID, ClientSecret: clientSecret}, refreshTokens, logger.Named("lwa"))
	if err != nil {
		return nil, "", err
	}
	listings, err := spapi.New(spapi.Config{Endpoint: endpoint, AppName: "NotERP", AppVersion: version, Tokens: sources, Logger: logger.Named("spapi")})
	if err != nil {
		return nil, "", err
	}
	return listings, endpoint, nil
}

// prepareDatabase creates the database if it is missing, applies the
// migrations and opens the store.
func prepareDatabase(ctx context.Context, databaseURL string, logger *zap.Logger) (*store.Store, error) {
	if err := store.EnsureDatabase(ctx, databaseURL); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, databaseURL, logger.Named("migrate")); err != nil {
		return nil, err
	}
	return store.Open(ctx, databaseURL, logger.Named("store"))
}

// newAPIServer builds the API with Temporal Web's origins allowed to call
// the codec endpoint.
func newAPIServer(cfg config.Config, st *store.Store, temporal client.Client, logger *zap.Logger) (*api.Server, error) {
	port := strconv.Itoa(cfg.TemporalUIPort)
	return api.New(api.Config{
		Store:        st,
		Temporal:     temporal,
		Namespace:    cfg.TemporalNamespace,
		Logger:       logger.Named("api"),
		CodecOrigins: []string{"http://127.0.0.1:" + port, "http://localhost:" + port},
	})
}

// serveAPI runs srv on addr until ctx ends, then shuts it down, giving open
// requests ten seconds.
func serveAPI(ctx context.Context, srv *api.Server, addr string) error {
	served := make(chan error, 1)
	go func() { served <- srv.Start(addr) }()

	select {
	case err := <-served:
		if err == nil {
			return errors.New("API server stopped unexpectedly")
		}
		return err
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down API: %w", err)
	}
	return <-served
}

// waitHTTP polls url until it responds with 200, ctx ends or timeout passes.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	httpClient := &http.Client{Timeout: 2 * time.Second}

	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not respond with 200 within %s", url, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
