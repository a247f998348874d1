package amazonsim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

// tokenRequest holds the fields of an LWA refresh-token grant.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// oauthError is the OAuth 2 error body LWA returns.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// handleToken serves the LWA refresh-token grant. It accepts the documented
// form encoding and the JSON body Amazon's Java client sends.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	req, ok := readTokenRequest(w, r)
	if !ok {
		return
	}

	s.mu.Lock()
	sellerID := s.refresh[req.RefreshToken]
	s.countCall(sellerID, OperationToken)
	fault := s.takeFault(sellerID, OperationToken, false)
	s.mu.Unlock()

	switch {
	case fault != nil && fault.kind == FaultThrottle:
		writeJSON(w, http.StatusTooManyRequests, oauthError{"too_many_requests", "The rate of requests exceeds the limit. (simulated fault)"}, 0)
		return
	case fault != nil && fault.kind == FaultServerError:
		writeJSON(w, http.StatusInternalServerError, oauthError{"server_error", "The server encountered an internal error. (simulated fault)"}, 0)
		return
	}

	if req.GrantType != "refresh_token" {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "The simulator supports only grant_type refresh_token."}, 0)
		return
	}
	if req.ClientID != s.clientID || req.ClientSecret != s.clientSecret {
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "Client authentication failed"}, 0)
		return
	}
	if req.RefreshToken == "" {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request is missing a required parameter : refresh_token"}, 0)
		return
	}

	s.mu.Lock()
	registered := s.sellers[sellerID]
	if sellerID == "" || registered == nil || registered.revoked {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission."}, 0)
		return
	}
	token := "Atza|sim-" + randomHex(24)
	s.accessTokens[token] = accessToken{sellerID: sellerID, expiresAt: s.now().Add(s.accessTokenTTL)}
	s.mu.Unlock()

	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  token,
		"token_type":    "bearer",
		"expires_in":    int(s.accessTokenTTL.Seconds()),
		"refresh_token": req.RefreshToken,
	}, 0)
}

// readTokenRequest decodes the grant from a form or JSON body. It writes a
// 400 response and returns false when the body is unreadable. Client
// credentials in a Basic Authorization header are ignored, so a client that
// sends them only there gets invalid_client.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)

	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" {
		var req tokenRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request body is not valid JSON."}, 0)
			return tokenRequest{}, false
		}
		return req, true
	}

	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request body is not a valid form."}, 0)
		return tokenRequest{}, false
	}
	return tokenRequest{
		GrantType:    strings.TrimSpace(r.PostForm.Get("grant_type")),
		RefreshToken: r.PostForm.Get("refresh_token"),
		ClientID:     r.PostForm.Get("client_id"),
		ClientSecret: r.PostForm.Get("client_secret"),
	}, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
