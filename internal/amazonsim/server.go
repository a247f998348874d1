package amazonsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Operation names, as in Amazon's model and in the control API.
const (
	OperationGetListingsItem   = "getListingsItem"
	OperationPatchListingsItem = "patchListingsItem"
	// OperationToken is the LWA token endpoint.
	OperationToken = "token"
)

// DefaultApplyDelay is how long an accepted patch stays pending before it
// applies when Config.ApplyDelay is zero.
const DefaultApplyDelay = 2 * time.Second

// Config configures a Server.
type Config struct {
	// ApplyDelay is how long after an accepted patchListingsItem the change
	// shows in getListingsItem. Zero means DefaultApplyDelay; a negative
	// value applies changes at once.
	ApplyDelay time.Duration
	// AccessTokenTTL is the lifetime of issued access tokens. Zero means one
	// hour, Amazon's documented lifetime.
	AccessTokenTTL time.Duration
	// ClientID and ClientSecret are the LWA application credentials the
	// token endpoint accepts. Empty means DemoClientID and DemoClientSecret.
	ClientID     string
	ClientSecret string
	// Logger receives one debug entry per request. Optional.
	Logger *zap.Logger
	// Now returns the current time for token expiry, rate limits and
	// pending writes. Optional; the default is time.Now.
	Now func() time.Time
}

// Server is the simulator. It is safe for concurrent use.
type Server struct {
	applyDelay     time.Duration
	accessTokenTTL time.Duration
	clientID       string
	clientSecret   string
	logger         *zap.Logger
	now            func() time.Time

	mu           sync.Mutex
	sellers      map[string]*seller         // by seller id
	refresh      map[string]string          // refresh token → seller id
	accessTokens map[string]accessToken     // access token → grant
	listings     map[listingKey]*listing    // by seller id and SKU
	buckets      map[bucketKey]*tokenBucket // by seller id and operation
	faults       []*activeFault
	calls        map[string]map[string]int // seller id → operation → requests
}

// seller is a seller that authorized the application.
type seller struct {
	refreshToken string
	revoked      bool
}

// accessToken is an issued LWA access token.
type accessToken struct {
	sellerID  string
	expiresAt time.Time
}

// New returns a simulator with no sellers and no listings.
func New(cfg Config) *Server {
	s := &Server{
		applyDelay:     cfg.ApplyDelay,
		accessTokenTTL: cfg.AccessTokenTTL,
		clientID:       cfg.ClientID,
		clientSecret:   cfg.ClientSecret,
		logger:         cfg.Logger,
		now:            cfg.Now,
		sellers:        make(map[string]*seller),
		refresh:        make(map[string]string),
		accessTokens:   make(map[string]accessToken),
		listings:       make(map[listingKey]*listing),
		buckets:        make(map[bucketKey]*tokenBucket),
		calls:          make(map[string]map[string]int),
	}
	if s.applyDelay == 0 {
		s.applyDelay = DefaultApplyDelay
	}
	if s.accessTokenTTL <= 0 {
		s.accessTokenTTL = time.Hour
	}
	if s.clientID == "" {
		s.clientID = DemoClientID
	}
	if s.clientSecret == "" {
		s.clientSecret = DemoClientSecret
	}
	if s.logger == nil {
		s.logger = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Handler returns the HTTP handler of the Amazon endpoints and the control
// API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/o2/token", s.handleToken)
	mux.HandleFunc("GET /listings/2021-08-01/items/{sellerId}/{sku}", s.spapi(OperationGetListingsItem, s.handleGetListingsItem))
	mux.HandleFunc("PATCH /listings/2021-08-01/items/{sellerId}/{sku}", s.spapi(OperationPatchListingsItem, s.handlePatchListingsItem))

	mux.HandleFunc("GET /_sim/listings/{sellerId}/{sku}", s.handleGetListingState)
	mux.HandleFunc("PUT /_sim/listings/{sellerId}/{sku}", s.handlePutListingState)
	mux.HandleFunc("POST /_sim/sellers", s.handleAddSeller)
	mux.HandleFunc("POST /_sim/sellers/{sellerId}/revoke", s.handleRevokeSeller)
	mux.HandleFunc("POST /_sim/faults", s.handleAddFault)
	mux.HandleFunc("GET /_sim/faults", s.handleListFaults)
	mux.HandleFunc("DELETE /_sim/faults", s.handleClearFaults)
	mux.HandleFunc("GET /_sim/calls", s.handleCalls)
	return s.withRequestID(mux)
}

// withRequestID gives every response a unique x-amzn-RequestId and logs one
// line per request.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestID := newRequestID()
		w.Header().Set("x-amzn-RequestId", requestID)

		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(recorder, r)

		s.logger.Debug("amazonsim request",
			zap.String("method", r.Method),
			zap.String("path", r.URL.EscapedPath()),
			zap.Int("status", recorder.status),
			zap.String("amazon_request_id", requestID))
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// AddSeller registers sellerID with refreshToken, or replaces its refresh
// token and lifts a revocation if the seller exists.
func (s *Server) AddSeller(sellerID, refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if old, ok := s.sellers[sellerID]; ok {
		delete(s.refresh, old.refreshToken)
	}
	s.sellers[sellerID] = &seller{refreshToken: refreshToken}
	s.refresh[refreshToken] = sellerID
}

// RevokeSeller revokes sellerID's authorization, as a seller who removes the
// application in Seller Central does. A refresh of its token then gets
// invalid_grant and its access tokens are rejected. It reports whether the
// seller exists.
func (s *Server) RevokeSeller(sellerID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()

	registered, ok := s.sellers[sellerID]
	if !ok {
		return false
	}
	registered.revoked = true
	for token, grant := range s.accessTokens {
		if grant.sellerID == sellerID {
			delete(s.accessTokens, token)
		}
	}
	return true
}

// Calls returns the number of requests received per seller id and
// operation. Requests whose seller is unknown count under "".
func (s *Server) Calls() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()

	calls := make(map[string]map[string]int, len(s.calls))
	for sellerID, byOperation := range s.calls {
		calls[sellerID] = make(map[string]int, len(byOperation))
		for operation, n := range byOperation {
			calls[sellerID][operation] = n
		}
	}
	return calls
}

// countCall records one request. The caller holds s.mu.
func (s *Server) countCall(sellerID, operation string) {
	if s.calls[sellerID] == nil {
		s.calls[sellerID] = make(map[string]int)
	}
	s.calls[sellerID][operation]++
}

// ListenAndServe serves s on addr until ctx ends, then shuts down, giving
// open requests five seconds. addr must be a loopback address, such as
// "127.0.0.1:8765" or "localhost:0", because the simulator is a test double
// with no authentication of its control API.
func ListenAndServe(ctx context.Context, addr string, s *Server) error {
	if err := checkLoopback(addr); err != nil {
		return err
	}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("amazonsim: listen on %s: %w", addr, err)
	}
	server := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	s.logger.Info("amazonsim listening", zap.String("addr", listener.Addr().String()))

	select {
	case err := <-served:
		return fmt.Errorf("amazonsim: serve on %s: %w", addr, err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("amazonsim: shut down %s: %w", addr, err)
	}
	s.logger.Info("amazonsim stopped", zap.String("addr", addr))
	return nil
}

// checkLoopback rejects an addr whose host is not a loopback address.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("amazonsim: address %q is invalid: use host:port such as 127.0.0.1:8765: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("amazonsim: address %q is not loopback: the simulator serves only on 127.0.0.1, ::1 or localhost", addr)
}

// newRequestID returns a random id in the UUID text format Amazon uses for
// x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// errorEntry is one entry of an SP-API error body.
type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// writeJSON writes v with status. rate is the x-amzn-RateLimit-Limit value;
// like Amazon, the header goes only on 200, 400 and 404 responses.
func writeJSON(w http.ResponseWriter, status int, v any, rate float64) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "amazonsim: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}

	w.Header().Set("Content-Type", "application/json")
	if rate > 0 && (status == http.StatusOK || status == http.StatusBadRequest || status == http.StatusNotFound) {
		w.Header().Set("x-amzn-RateLimit-Limit", strconv.FormatFloat(rate, 'f', 1, 64))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeErrors writes an SP-API error list.
func writeErrors(w http.ResponseWriter, status int, rate float64, entries ...errorEntry) {
	writeJSON(w, status, map[string][]errorEntry{"errors": entries}, rate)
}

// writeControlError writes an error of the control API.
func writeControlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)}, 0)
}
