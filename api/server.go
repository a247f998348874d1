// Package api is NotERP's HTTP API, built on Echo. It authenticates bearer
// tokens, enforces each route's roles, starts governed-action workflows,
// sends people's approvals, rejections, cancellations and reviews to them
// as Temporal Updates, and serves action state and audit timelines. It
// also serves the payload codec endpoint that Temporal Web calls.
//
// The API never calls Amazon: only the worker's activities do.
package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/store"
)

// DefaultUpdateTimeout bounds how long a request waits for a Temporal
// Update or query before it returns 504.
const DefaultUpdateTimeout = 10 * time.Second

// DefaultCodecOrigins are the origins of a local Temporal Web (port 8233).
var DefaultCodecOrigins = []string{"http://127.0.0.1:8233", "http://localhost:8233"}

// maxBodyBytes limits request bodies; an action request is well under 4 KiB.
const maxBodyBytes = "1M"

// Config configures a Server.
type Config struct {
	// Store is the PostgreSQL store. Required.
	Store *store.Store
	// Temporal is the Temporal client. Required.
	Temporal client.Client
	// Namespace is the Temporal namespace, for logs. Default "default".
	Namespace string
	// Logger receives access and error logs. Default: no logging.
	Logger *zap.Logger
	// CodecOrigins are the browser origins allowed to call the codec
	// endpoint. Default DefaultCodecOrigins.
	CodecOrigins []string
	// UpdateTimeout bounds each Temporal Update and query. Default
	// DefaultUpdateTimeout.
	UpdateTimeout time.Duration
}

// Server is the HTTP API. Create it with New.
type Server struct {
	store         *store.Store
	temporal      client.Client
	namespace     string
	logger        *zap.Logger
	updateTimeout time.Duration
	echo          *echo.Echo
}

// New checks cfg, fills its defaults and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Config.Store is nil: pass an opened *store.Store")
	}
	if cfg.Temporal == nil {
		return nil, errors.New("api: Config.Temporal is nil: pass a connected Temporal client")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if len(cfg.CodecOrigins) == 0 {
		cfg.CodecOrigins = DefaultCodecOrigins
	}
	if cfg.UpdateTimeout <= 0 {
		cfg.UpdateTimeout = DefaultUpdateTimeout
	}

	s := &Server{
		store:         cfg.Store,
		temporal:      cfg.Temporal,
		namespace:     cfg.Namespace,
		logger:        cfg.Logger,
		updateTimeout: cfg.UpdateTimeout,
		echo:          echo.New(),
	}
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.Server.ReadHeaderTimeout = 10 * time.Second
	s.echo.Server.IdleTimeout = 2 * time.Minute
	s.routes(cfg.CodecOrigins)
	return s, nil
}

func (s *Server) routes(codecOrigins []string) {
	e := s.echo
	e.Use(middleware.RequestID())
	e.Use(s.accessLog)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(maxBodyBytes))

	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)

	codec := e.Group("/codec", s.codecCORS(codecOrigins))
	for _, path := range []string{"/encode", "/decode"} {
		codec.POST(path, s.codec)
		codec.OPTIONS(path, s.codec)
	}

	// Authentication is route middleware rather than group middleware:
	// Echo adds catch-all routes for a group's middleware, which would turn
	// a wrong method on a known path into 404 instead of 405.
	tenant := e.Group("/v1/tenants/:tenant")
	auth := s.authenticate
	tenant.POST("/actions", s.createAction, auth)
	tenant.GET("/actions", s.listActions, auth)
	tenant.GET("/actions/:id", s.getAction, auth)
	tenant.GET("/actions/:id/history", s.getHistory, auth)
	tenant.POST("/actions/:id/approve", s.approve, auth)
	tenant.POST("/actions/:id/reject", s.reject, auth)
	tenant.POST("/actions/:id/cancel", s.cancel, auth)
	tenant.POST("/actions/:id/review", s.review, auth)
}

// Handler returns the server's HTTP handler, for httptest and embedding.
func (s *Server) Handler() http.Handler { return s.echo }

// Start listens on addr and serves until Shutdown. It returns nil after
// Shutdown and the listener's error otherwise.
func (s *Server) Start(addr string) error {
	s.logger.Info("API listening", zap.String("addr", addr), zap.String("namespace", s.namespace))
	err := s.echo.Start(addr)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve API on %s: %w", addr, err)
	}
	return nil
}

// Shutdown stops accepting connections and waits for open requests until
// ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.echo.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down API: %w", err)
	}
	s.logger.Info("API stopped")
	return nil
}
